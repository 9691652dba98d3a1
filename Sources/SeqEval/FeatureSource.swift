import SeqCore

/// Anything that can give a feature vector for the keys of a pair list: a precomputed feature
/// file (`FeatureFile`), or, in model mode, a trained network run over the dataset images.
///
/// For LFW a key names one image (`Name/Name_0001.jpg`); for YTF it names a video folder
/// (`Name/<video>`) and the feature is the video feature of `VideoFeature.aggregate`.
public protocol FeatureSource {
    /// Where the features come from, used in messages (e.g. a file path).
    var origin: String { get }

    /// The feature of each key, in the order of `keys`; nil where the source has none.
    /// Sources throw a `SeqError` naming the key when a feature is NaN, infinite, or zero.
    func features(for keys: [String]) throws -> [[Float]?]
}

/// How a YTF video's feature is built from its frames.
public enum VideoFeature {
    /// The sum of the L2-normalised frame features, L2-normalised again (SeqFace's YTF rule).
    /// Returns nil when there are no frames or the sum is zero.
    /// - Throws: a `SeqError` when a frame is not finite or has zero norm; `frameName(i)` names it.
    public static func aggregate(_ frames: [[Float]], frameName: (Int) -> String = { "frame \($0)" }) throws -> [Float]? {
        guard let d = frames.first?.count else { return nil }
        var acc = [Float](repeating: 0, count: d)
        try acc.withUnsafeMutableBufferPointer { accp in
            for (i, frame) in frames.enumerated() {
                guard frame.count == d else {
                    throw SeqError("\(frameName(i)) has \(frame.count) values where \(d) were expected")
                }
                try frame.withUnsafeBufferPointer { f in
                    let norm = try FeatureCheck.norm(f.baseAddress!, count: d, name: frameName(i))
                    VectorMath.addScaled(f.baseAddress!, scale: Float(1 / norm), into: accp.baseAddress!, count: d)
                }
            }
        }
        return normalized(acc)
    }

    /// `v / |v|`, or nil when `v` is zero.
    static func normalized(_ v: [Float]) -> [Float]? {
        let norm = v.withUnsafeBufferPointer { VectorMath.sumOfSquares($0.baseAddress!, count: $0.count) }.squareRoot()
        guard norm > 0, norm.isFinite else { return nil }
        let inv = Float(1 / norm)
        return v.map { $0 * inv }
    }
}

/// Checks that turn bad feature values into one-line errors naming the feature.
enum FeatureCheck {
    /// The L2 norm of a feature, which must be finite and nonzero.
    static func norm(_ p: UnsafePointer<Float>, count d: Int, name: @autoclosure () -> String,
                     file: String? = nil, line: Int? = nil) throws -> Double {
        let ss = VectorMath.sumOfSquares(p, count: d)
        if !ss.isFinite {
            let i = VectorMath.firstNonFinite(p, count: d) ?? 0
            let what = p[i].isNaN ? "NaN" : "an infinite value"
            throw SeqError("feature of '\(SeqError.quotable(name()))' contains \(what) (element \(i))", file: file, line: line)
        }
        guard ss > 0 else {
            throw SeqError("feature of '\(SeqError.quotable(name()))' is all zeros (zero norm), so its cosine similarity is undefined",
                           file: file, line: line)
        }
        return ss.squareRoot()
    }
}
