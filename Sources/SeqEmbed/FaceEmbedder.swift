import Foundation
import SeqCore
import SeqDetect
import SeqMedia
import SeqNN

/// dlib's pretrained face descriptor (`dlib_face_recognition_resnet_model_v1`, the network behind
/// `face_recognition` and dlib's `compute_face_descriptor`) on seqcurate's own layers: a
/// 150x150 RGB face chip in, a 128-number descriptor out. Two chips whose descriptors are less
/// than `sameIdentityThreshold` apart (Euclidean) are, by dlib's rule, the same person.
///
/// Descriptors agree with dlib's `compute_face_descriptor` (no jitter) on the same chip to about
/// 1e-6; see docs/embedding.md for the figures and for how chips are cut (`FaceChip`).
///
/// Thread-safe: `embed` may be called from several threads at once; each call borrows a network
/// from an internal pool (built on demand, sharing the weights).
public final class FaceEmbedder: @unchecked Sendable {
    /// Side of the square RGB chip the network takes, in pixels.
    public static let chipSize = 150
    /// Length of a descriptor.
    public static let dimension = 128
    /// dlib's decision threshold: descriptors closer than this are the same person.
    public static let sameIdentityThreshold: Float = 0.6
    /// The weights file name `tools/setup.sh` writes into `assets/`.
    public static let weightsFileName = "dlib_face_resnet.safetensors"
    /// Where `tools/setup.sh` puts the converted weights, relative to the repository root.
    public static let defaultWeightsPath = "assets/" + weightsFileName

    /// Chips run through the network this many at a time (bounded memory, wide products).
    public var batchSize = 32

    /// dlib's 5-point shape predictor, when its converted weights (`ShapePredictor.weightsFileName`)
    /// lie next to the network's: chips then follow dlib's own landmarks (`chip(of:in:)`).
    public let shapePredictor: ShapePredictor?
    /// dlib's frontal face detector's filters, when converted (`DlibFrontalDetector.weightsFileName`)
    /// next to the network's and `startBox` is `.dlibDetector`: the shape predictor then starts
    /// from dlib's own box.
    public let detector: DlibFrontalDetector?

    /// Where dlib's shape predictor starts for a chip (`FaceChip.predictorStart`).
    public enum StartBox: Sendable {
        /// dlib's own detector box, found by scoring its HOG filters around an estimate: dlib's
        /// chip, within 0.0005 of dlib's descriptor on the sample faces. Costs a few
        /// milliseconds for a small face and tens for a large one (dlib's image pyramid down to
        /// the face's level).
        case dlibDetector
        /// The estimate snapped onto dlib's detector grid: dlib's box for about two faces in
        /// three, within 0.09 of dlib's descriptor on the sample faces; no extra cost. Ingest
        /// uses it, where embeddings are frequent and only compared with each other at margins
        /// far wider than that (docs/embedding.md).
        case snappedEstimate
    }

    /// Where the shape predictor starts (`.dlibDetector` unless given).
    public let startBox: StartBox

    private let lock = NSLock()
    private var idle: [DlibResNet] = []
    /// The first network built; the others share its transformed weights (read only).
    private let prototype: DlibResNet

    /// Loads the network from a safetensors file written by tools/convert_dlib.py. Throws a
    /// `SeqError` naming the file, and saying how to make it, when it is missing or unusable.
    public init(weights url: URL, startBox: StartBox = .dlibDetector) throws {
        self.startBox = startBox
        let hint = "run tools/setup.sh (or python3 tools/convert_dlib.py DAT --out \(url.path)) to fetch and convert them"
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("dlib face embedding weights not found; \(hint)", file: url.path)
        }
        do {
            var weights = try SafeTensors.read(from: url)
            let first = try DlibResNet(taking: &weights)
            idle = [first]
            prototype = first
        } catch let error as SeqError {
            throw SeqError("dlib face embedding weights unusable (\(error.reason)); \(hint)", file: url.path)
        }
        let predictor = url.deletingLastPathComponent().appendingPathComponent(ShapePredictor.weightsFileName)
        shapePredictor = FileManager.default.fileExists(atPath: predictor.path) ? try ShapePredictor(weights: predictor) : nil
        let hog = url.deletingLastPathComponent().appendingPathComponent(DlibFrontalDetector.weightsFileName)
        detector = startBox == .dlibDetector && FileManager.default.fileExists(atPath: hog.path) ? try DlibFrontalDetector(weights: hog) : nil
    }

    /// Runs `body` with a network no other thread is using.
    private func withNetwork<T>(_ body: (DlibResNet) -> T) -> T {
        lock.lock()
        let net = idle.popLast()
        lock.unlock()
        let network = net ?? DlibResNet(copying: prototype)
        defer {
            lock.lock()
            idle.append(network)
            lock.unlock()
        }
        return body(network)
    }

    /// The descriptors of 150x150 RGB chips (e.g. from `FaceChip.extract`), in order.
    /// Throws a `SeqError` when a chip is not 150x150 with 3 channels.
    public func embed(_ chips: [Image]) throws -> [[Float]] {
        for (i, chip) in chips.enumerated() {
            guard chip.width == Self.chipSize, chip.height == Self.chipSize, chip.channels == 3 else {
                throw SeqError("face chip \(i + 1) is \(chip.width)x\(chip.height) with \(chip.channels) channels; "
                    + "the dlib embedding takes \(Self.chipSize)x\(Self.chipSize) RGB chips")
            }
        }
        var out: [[Float]] = []
        out.reserveCapacity(chips.count)
        let step = max(1, batchSize)
        withNetwork { net in
            for start in stride(from: 0, to: chips.count, by: step) {
                let batch = chips[start..<min(start + step, chips.count)].map(\.pixels)
                let y = net.forward(DlibResNet.inputTensor(batch))
                for i in 0..<batch.count {
                    out.append(Array(y.data[(i * Self.dimension)..<((i + 1) * Self.dimension)]))
                }
            }
        }
        return out
    }

    /// The descriptor of one 150x150 RGB chip.
    public func embed(_ chip: Image) throws -> [Float] {
        try embed([chip])[0]
    }

    /// Euclidean distance between two descriptors (dlib compares with `sameIdentityThreshold`).
    public static func distance(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "descriptors of different lengths")
        var s: Float = 0
        for i in 0..<a.count { s += (a[i] - b[i]) * (a[i] - b[i]) }
        return s.squareRoot()
    }
}

extension FaceEmbedder {
    /// The 150x150 chip of a detected face: from dlib's own landmarks (`FaceChip.extract(from:face:predictor:detector:)`,
    /// started from dlib's own box when the detector's filters are loaded) when the shape predictor is loaded, else from MTCNN's landmarks and `FaceChip.template`.
    public func chip(of face: FaceDetection, in image: Image) -> Image? {
        if let shapePredictor { return FaceChip.extract(from: image, face: face, predictor: shapePredictor, detector: detector) }
        return FaceChip.extract(from: image, face: face)
    }
}
