import ArgumentParser
import Foundation
import SeqCore
import SeqDetect

/// Detector options shared by detect, align, ingest, import-identities and eval.
struct DetectorOptions: ParsableArguments {
    @Option(help: "MTCNN weights file (default: $SEQCURATE_MTCNN_WEIGHTS, else mtcnn.safetensors in $SEQCURATE_HOME, <prefix>/share/seqcurate, ./assets or the build tree's assets; see docs/install.md).") var weights: String?
    @Option(parsing: .unconditional, help: "Smallest face to find, in pixels (default 20; ingest with key frames: 24).") var minFaceSize: Float?
    @Option(name: .customLong("min-face"), parsing: .unconditional, help: .init("Old name of --min-face-size.", visibility: .hidden)) var oldMinFace: Float?
    @Option(help: "MTCNN thresholds of P-Net, R-Net and O-Net.") var thresholds = "0.6,0.7,0.7"
    @Option(parsing: .unconditional, help: "Downscale frames so the longer side is at most this before detecting (coordinates stay in full size).") var maxSide: Int?

    /// The smallest face in pixels, given as --min-face-size or by its old name --min-face.
    var minFace: Float { oldMinFace ?? minFaceSize ?? 20 }
    /// True when the user chose the smallest face (ingest raises its default otherwise).
    var minFaceGiven: Bool { oldMinFace != nil || minFaceSize != nil }

    func validate() throws {
        try Renamed.check(old: oldMinFace, new: minFaceSize, "--min-face", "--min-face-size")
        guard minFace >= 1, minFace.isFinite else { throw ValidationError("--min-face-size must be at least 1 (pixels), got \(minFace)") }
        if let maxSide, maxSide < 12 { throw ValidationError("--max-side must be at least 12 (pixels), got \(maxSide)") }
        _ = try parsedThresholds()
    }

    func parsedThresholds() throws -> [Float] {
        let parts = thresholds.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 != nil && $0! > 0 && $0! < 1 }) else {
            throw ValidationError("--thresholds needs three numbers between 0 and 1, like 0.6,0.7,0.7")
        }
        return parts.map { $0! }
    }

    /// `minFaceSize` replaces the default smallest face when the user gave none.
    func makeDetector(parallelPyramid: Bool, minFaceSize defaultSize: Float? = nil) throws -> MTCNN {
        let t = try parsedThresholds()
        let size = minFaceGiven ? minFace : (defaultSize ?? minFace)
        var options = MTCNNOptions(minFaceSize: size, thresholds: (t[0], t[1], t[2]))
        options.maxSide = maxSide
        options.parallelPyramid = parallelPyramid
        return try MTCNN(weights: WeightsLocator.mtcnn(weights), options: options)
    }
}
