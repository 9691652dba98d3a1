import Foundation
import SeqCore
import SeqDetect
import SeqMedia
import SeqNN

/// dlib's 5-point face shape predictor (`shape_predictor_5_face_landmarks.dat`: the outer and
/// inner corner of each eye and the base of the nose), an ensemble of regression trees over
/// pixel-intensity differences (Kazemi and Sullivan), run from a face box.
///
/// The weights are dlib's own, converted by `tools/shape_predictor.py convert` (numpy, its own
/// reader of dlib's serialisation). On the sample media's real faces it gives dlib's landmarks
/// exactly from the same boxes (tools/shape_predictor.py check; Tests/Fixtures/shape_predictor).
/// `FaceChip` cuts dlib's chips from its landmarks, started from dlib's own detector box
/// (`DlibFrontalDetector`; docs/embedding.md, "The chip").
public struct ShapePredictor: Sendable {
    /// The file name `tools/shape_predictor.py convert` writes into `assets/`.
    public static let weightsFileName = "dlib_shape_predictor_5.safetensors"

    /// The mean shape in the unit square of the face box: x, y per landmark.
    let initial: [Float]
    let landmarkCount: Int
    /// Per cascade: the trees' splits (feature pixel indices and thresholds) and leaves.
    let cascades: [Cascade]

    struct Cascade: Sendable {
        var trees: Int
        var splits: Int  // per tree; leaves = splits + 1
        var idx1: [Int32], idx2: [Int32], threshold: [Float]  // [trees * splits]
        var leaves: [Float]  // [trees * (splits + 1) * landmarkCount * 2]
        var anchor: [Int32]  // [features]
        var delta: [Float]  // [features * 2]
    }

    /// Loads the converted predictor. Throws a `SeqError` naming the file when it is missing or
    /// not a converted shape predictor.
    public init(weights url: URL) throws {
        let hint = "run python3 tools/shape_predictor.py convert --out \(url.path)"
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("shape predictor not found; \(hint)", file: url.path)
        }
        let t = try SafeTensors.read(from: url)
        func tensor(_ name: String, rank: Int) throws -> Tensor {
            guard let x = t[name], x.rank == rank else {
                throw SeqError("shape predictor unusable (tensor \(name) missing or of the wrong rank); \(hint)", file: url.path)
            }
            return x
        }
        let initial = try tensor("initial", rank: 2)
        let idx1 = try tensor("idx1", rank: 3), idx2 = try tensor("idx2", rank: 3)
        let threshold = try tensor("threshold", rank: 3), leaves = try tensor("leaves", rank: 5)
        let anchor = try tensor("anchor", rank: 2), delta = try tensor("delta", rank: 3)
        let p = initial.shape[0], c = idx1.shape[0], trees = idx1.shape[1], splits = idx1.shape[2]
        let features = anchor.shape[1]
        guard initial.shape == [p, 2], idx2.shape == idx1.shape, threshold.shape == idx1.shape,
              leaves.shape == [c, trees, splits + 1, p, 2], anchor.shape[0] == c, delta.shape == [c, features, 2],
              idx1.data.allSatisfy({ $0 >= 0 && Int($0) < features }), idx2.data.allSatisfy({ $0 >= 0 && Int($0) < features }),
              anchor.data.allSatisfy({ $0 >= 0 && Int($0) < p }) else {
            throw SeqError("shape predictor unusable (inconsistent shapes or indices); \(hint)", file: url.path)
        }
        self.initial = initial.data
        landmarkCount = p
        let perTree = trees * splits, perLeaves = trees * (splits + 1) * p * 2
        cascades = (0..<c).map { k in
            Cascade(trees: trees, splits: splits,
                    idx1: idx1.data[k * perTree ..< (k + 1) * perTree].map { Int32($0) },
                    idx2: idx2.data[k * perTree ..< (k + 1) * perTree].map { Int32($0) },
                    threshold: Array(threshold.data[k * perTree ..< (k + 1) * perTree]),
                    leaves: Array(leaves.data[k * perLeaves ..< (k + 1) * perLeaves]),
                    anchor: anchor.data[k * features ..< (k + 1) * features].map { Int32($0) },
                    delta: Array(delta.data[k * features * 2 ..< (k + 1) * features * 2]))
        }
    }

    /// The landmarks (image pixels) of the face in the box `left, top, right, bottom` of an RGB
    /// image, as dlib computes them from the same box (before dlib rounds them to whole pixels).
    public func landmarks(in image: Image, left: Float, top: Float, right: Float, bottom: Float) -> [Point2] {
        precondition(image.channels == 3, "the shape predictor reads RGB images")
        let w = image.width, h = image.height
        let bw = right - left, bh = bottom - top
        var shape = initial
        let leafSize = landmarkCount * 2
        // The arithmetic is the plain formula's, in its order; the loops read the cascade's
        // arrays through raw buffers (one embedding runs this twice per face).
        image.pixels.withUnsafeBufferPointer { px in
        shape.withUnsafeMutableBufferPointer { shape in
            var pixels = [Float](repeating: 0, count: cascades.map(\.anchor.count).max() ?? 0)
            var leafStarts = [Int32](repeating: 0, count: cascades.map(\.trees).max() ?? 0)
            leafStarts.withUnsafeMutableBufferPointer { leafOf in
            pixels.withUnsafeMutableBufferPointer { pixels in
            for cascade in cascades {
                // The similarity (rotation and scale) taking the mean shape onto the current one
                // orients the feature pixels' offsets, as in training.
                let (a, b) = Self.rotationScale(from: initial, to: Array(shape))
                let n = cascade.anchor.count
                cascade.anchor.withUnsafeBufferPointer { anchor in
                cascade.delta.withUnsafeBufferPointer { delta in
                    for i in 0..<n {
                        pixels[i] = 0
                        let j = Int(anchor[i]), dx = delta[2 * i], dy = delta[2 * i + 1]
                        let ux = shape[2 * j] + a * dx - b * dy, uy = shape[2 * j + 1] + b * dx + a * dy
                        // Nearest pixel (dlib rounds the point), intensity (r + g + b) / 3, 0 outside.
                        let x = Int((left + ux * bw + 0.5).rounded(.down)), y = Int((top + uy * bh + 0.5).rounded(.down))
                        guard x >= 0, x < w, y >= 0, y < h else { continue }
                        let o = (y * w + x) * 3
                        pixels[i] = Float((Int(px[o]) + Int(px[o + 1]) + Int(px[o + 2])) / 3)
                    }
                }}
                // First every tree's leaf (the trees read only the pixels), then the leaves added
                // in tree order (the same sums as one tree at a time): the leaves are megabytes,
                // and loads whose addresses are all known can be in flight together, where each
                // tree's load otherwise waited for its own walk.
                cascade.idx1.withUnsafeBufferPointer { idx1 in
                cascade.idx2.withUnsafeBufferPointer { idx2 in
                cascade.threshold.withUnsafeBufferPointer { threshold in
                    for t in 0..<cascade.trees {
                        var node = 0
                        let base = t * cascade.splits
                        while node < cascade.splits {
                            let s = base + node
                            node = pixels[Int(idx1[s])] - pixels[Int(idx2[s])] > threshold[s] ? 2 * node + 1 : 2 * node + 2
                        }
                        leafOf[t] = Int32((t * (cascade.splits + 1) + node - cascade.splits) * leafSize)
                    }
                }}}
                cascade.leaves.withUnsafeBufferPointer { leaves in
                    if leafSize == 10 {
                        // Five landmarks (dlib's 5-point model): the ten sums in registers, each
                        // still added in tree order (lane by lane, the same roundings).
                        let raw = UnsafeRawPointer(leaves.baseAddress!)
                        var head = SIMD8<Float>(shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], shape[7])
                        var tail = SIMD2<Float>(shape[8], shape[9])
                        for t in 0..<cascade.trees {
                            let leaf = Int(leafOf[t]) * 4
                            head += raw.loadUnaligned(fromByteOffset: leaf, as: SIMD8<Float>.self)
                            tail += raw.loadUnaligned(fromByteOffset: leaf + 32, as: SIMD2<Float>.self)
                        }
                        for k in 0..<8 { shape[k] = head[k] }
                        shape[8] = tail[0]
                        shape[9] = tail[1]
                    } else {
                        for t in 0..<cascade.trees {
                            let leaf = Int(leafOf[t])
                            for k in 0..<leafSize { shape[k] += leaves[leaf + k] }
                        }
                    }
                }
            }
            }
            }
        }}
        return (0..<landmarkCount).map { Point2(left + shape[2 * $0] * bw, top + shape[2 * $0 + 1] * bh) }
    }

    /// The rotation-and-scale part `[[a, -b], [b, a]]` of the least-squares similarity taking
    /// the points `from` onto `to` (x, y pairs), as dlib's `find_tform_between_shapes`.
    static func rotationScale(from: [Float], to: [Float]) -> (Float, Float) {
        let n = from.count / 2
        var fx: Float = 0, fy: Float = 0, tx: Float = 0, ty: Float = 0
        for i in 0..<n { fx += from[2 * i]; fy += from[2 * i + 1]; tx += to[2 * i]; ty += to[2 * i + 1] }
        fx /= Float(n); fy /= Float(n); tx /= Float(n); ty /= Float(n)
        // In complex numbers, alpha = sum conj(f) t / sum |f|^2: the least-squares similarity
        // (no reflection is possible between two shapes this close).
        var re: Float = 0, im: Float = 0, norm: Float = 0
        for i in 0..<n {
            let ax = from[2 * i] - fx, ay = from[2 * i + 1] - fy
            let bx = to[2 * i] - tx, by = to[2 * i + 1] - ty
            re += ax * bx + ay * by
            im += ax * by - ay * bx
            norm += ax * ax + ay * ay
        }
        return norm > 0 ? (re / norm, im / norm) : (1, 0)
    }
}
