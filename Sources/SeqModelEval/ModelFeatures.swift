import Dispatch
import Foundation
import SeqCore
import SeqDetect
import SeqEval
import SeqMedia
import SeqTrain

/// Model mode of `seqcurate eval`: the features a trained run gives the images behind a pair
/// list, read from the run's cache (`RUN/eval_cache/`) where the same weights already saw the
/// same dataset, otherwise extracted now and added to the cache.
///
/// With `detection`, each raw image is first cut to the aligned crop of its main face
/// (`FaceDetection.mainFace`), written once under `RUN/eval_cache/aligned-<dataset hash>/`.
public struct ModelFeatures {
    /// `--detect`: how raw images become face crops. The detector is made only when some image
    /// still needs a crop, so a fully cached evaluation does not load its weights.
    public struct Detection {
        public var makeDetector: () throws -> MTCNN
        public var cropper: @Sendable (Image, FaceDetection) -> Image

        public init(makeDetector: @escaping () throws -> MTCNN, cropper: @escaping @Sendable (Image, FaceDetection) -> Image) {
            self.makeDetector = makeDetector
            self.cropper = cropper
        }
    }

    /// The dataset folder (LFW `Name/Name_0001.jpg`; YTF `aligned_images_DB/Name/<video>/`).
    public var root: URL
    /// The training run whose latest checkpoint gives the network, or a model folder (`ModelFolder`).
    public var run: URL
    public var detection: Detection?
    /// Leave out keys that have no image instead of failing.
    public var skipMissing = false
    /// Largest image read with `detection` (`ImageIO.defaultMaxPixels` by default).
    public var maxPixels = ImageIO.defaultMaxPixels
    /// No progress output.
    public var quiet = false

    public init(root: URL, run: URL, detection: Detection? = nil) {
        self.root = root
        self.run = run
        self.detection = detection
    }

    /// The features of every image the pairs of `list` need, in need order (see `DatasetImages`
    /// for the keys). Only the images present now are returned, whatever else the cache holds.
    public func features(for list: PairList) throws -> FeatureFile {
        guard let weights = try FeatureEmbedding.weightsTag(model: run) else {
            throw SeqError("model mode needs a trained model (seqcurate train): the run has no checkpoint yet", file: run.path)
        }
        let dataset = try DatasetImages(root: root, benchmark: list.benchmark)
        let needed = try dataset.images(neededBy: list, skipMissing: skipMissing)
        // The cache name ties features to these weights and this dataset folder.
        let datasetHash = Self.stableHash(dataset.base.standardizedFileURL.path)
        let cache = FeatureCache(directory: run.appendingPathComponent("eval_cache"),
                                 name: "\(list.benchmark.rawValue)-\(weights)-\(datasetHash)\(detection != nil ? "-detect" : "")")
        let cached = cache.load()
        let have = Set(cached?.keys ?? [])
        let todo = needed.filter { !have.contains($0.key) }
        if todo.isEmpty, let cached { return try cached.selecting(keys: needed.map(\.key)) }

        let extractor = try FeatureEmbedding.load(model: run)
        var inputs = todo.map(\.url)
        if let detection {
            inputs = try alignedCopies(of: todo, with: detection, into: run.appendingPathComponent("eval_cache/aligned-\(datasetHash)"))
        }
        let progress = ProgressReporter("extract", total: todo.count, unit: "images", quiet: quiet)
        let values = try extractor.extract(inputs, flip: false, progress: progress)
        progress.finish()
        let d = extractor.featureDim
        let base = try cached ?? FeatureFile(keys: [], values: [], dimension: d,
                                             featuresPath: cache.featuresURL.path, keysPath: cache.keysURL.path)
        let file = try base.appending(keys: todo.map(\.key), values: values)
        try cache.save(file)
        return try file.selecting(keys: needed.map(\.key))
    }

    /// The crop of each raw image's main face, written once into `folder` (as `<key>.jpg`). An
    /// image where the detector finds no face is used whole, and counted in a note.
    func alignedCopies(of items: [(key: String, url: URL)], with detection: Detection, into folder: URL) throws -> [URL] {
        let detector = try detection.makeDetector()
        let cropper = detection.cropper
        let maxPixels = self.maxPixels
        var out = [URL](repeating: folder, count: items.count)
        var misses = [Bool](repeating: false, count: items.count)
        let errors = NSLock()
        var firstError: SeqError?
        let progress = ProgressReporter("detect+align", total: items.count, unit: "images", quiet: quiet)
        out.withUnsafeMutableBufferPointer { urls in
            misses.withUnsafeMutableBufferPointer { missed in
                let (u, m) = (urls, missed)
                DispatchQueue.concurrentPerform(iterations: items.count) { i in
                    let target = folder.appendingPathComponent(items[i].key).deletingPathExtension().appendingPathExtension("jpg")
                    u[i] = target
                    if FileManager.default.fileExists(atPath: target.path) { progress.advance(); return }
                    do {
                        let image = try ImageIO.read(items[i].url, maxPixels: maxPixels)
                        var crop = image
                        if let face = FaceDetection.mainFace(detector.detect(image), width: image.width, height: image.height) {
                            crop = cropper(image, face)
                        } else {
                            m[i] = true
                        }
                        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try ImageIO.writeJPEG(crop, to: target, quality: 95)
                    } catch {
                        errors.lock()
                        if firstError == nil { firstError = error as? SeqError ?? SeqError("\(error)", file: items[i].url.path) }
                        errors.unlock()
                    }
                    progress.advance()
                }
            }
        }
        progress.finish()
        if let firstError { throw firstError }
        let missed = misses.filter { $0 }.count
        if missed > 0 { printError("seqcurate: note: no face found in \(missed) of \(items.count) images; those are used whole") }
        return out
    }

    /// FNV-1a of `text`, as 16 hex digits (Swift's `hashValue` changes from run to run).
    static func stableHash(_ text: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
