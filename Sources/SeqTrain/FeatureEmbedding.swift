import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// Something that turns face images into feature rows: a trained run (`FeatureExtractor`) or a
/// model folder (`GraphFeatureExtractor`).
public protocol FeatureEmbedder: AnyObject {
    /// Length of one feature row.
    var featureDim: Int { get }
    /// Features `[urls.count, featureDim]`, row-major. With `flip`, the mirrored image's feature
    /// is added to each row.
    func extract(_ urls: [URL], flip: Bool, progress: ProgressReporter?) throws -> [Float]
}

extension FeatureExtractor: FeatureEmbedder {
    public var featureDim: Int { network.config.featureDim }
}

public enum FeatureEmbedding {
    /// The embedder of `model`: a model folder (it has `model.json`) or a training run (its
    /// `config.json` and, unless `checkpoint` is given, its latest checkpoint).
    public static func load(model: URL, checkpoint: URL? = nil, batchSize: Int = 16, threads: Int = 2) throws -> any FeatureEmbedder {
        if ModelFolder.isModelFolder(model) {
            if checkpoint != nil {
                throw SeqError("--checkpoint applies to training runs; a model folder has one set of weights", file: model.path)
            }
            return try GraphFeatureExtractor.load(folder: model, batchSize: batchSize, threads: threads)
        }
        return try FeatureExtractor.load(run: model, checkpoint: checkpoint, batchSize: batchSize, threads: threads)
    }

    /// A short name for the weights `model` uses now, for cache names: a run's latest checkpoint
    /// file name, or for a model folder `model-` and a hash of its manifest and weights size.
    /// Nil for a run without a checkpoint.
    public static func weightsTag(model: URL) throws -> String? {
        if ModelFolder.isModelFolder(model) {
            let manifest = try Data(contentsOf: model.appendingPathComponent(ModelFolder.manifestName))
            let size = (try? FileManager.default.attributesOfItem(atPath: model.appendingPathComponent(ModelFolder.weightsName).path)[.size] as? Int) ?? 0
            var h: UInt64 = 0xcbf29ce484222325
            for byte in manifest + Data("\(size)".utf8) { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
            return "model-" + String(h, radix: 16)
        }
        guard let state = try Checkpoint.latest(run: model) else { return nil }
        return (state.weightsFile as NSString).deletingPathExtension
    }
}

/// Runs a model folder's graph over images (see `ModelFolder`, `ModelPreprocessor`).
public final class GraphFeatureExtractor: FeatureEmbedder {
    public let manifest: ModelManifest
    public let network: GraphNetwork
    public let preprocessor: ModelPreprocessor
    public var batchSize: Int
    public var threads: Int

    public init(manifest: ModelManifest, weights: [String: Tensor], batchSize: Int = 16, threads: Int = 2) throws {
        self.manifest = manifest
        network = try GraphNetwork(spec: manifest.graph, weights: weights)
        preprocessor = try ModelPreprocessor(settings: manifest.preprocess, inputShape: manifest.graph.inputShape,
                                             mean: weights[ModelFolder.meanKey])
        self.batchSize = max(1, batchSize)
        self.threads = max(1, threads)
    }

    public static func load(folder: URL, batchSize: Int = 16, threads: Int = 2) throws -> GraphFeatureExtractor {
        let (manifest, weights) = try ModelFolder.read(folder)
        do {
            return try GraphFeatureExtractor(manifest: manifest, weights: weights, batchSize: batchSize, threads: threads)
        } catch let e as SeqError {
            throw SeqError(e.reason, file: e.file ?? folder.path)
        }
    }

    public var featureDim: Int { network.outputSize }

    /// The network input for `images`, `[N, C, H, W]`.
    public func input(for images: [Image], mirror: Bool = false) -> Tensor {
        let p = preprocessor, sample = p.sampleCount
        var data = [Float](repeating: 0, count: images.count * sample)
        data.withUnsafeMutableBufferPointer { buf in
            for (i, image) in images.enumerated() { p.fill(image, mirror: mirror, into: buf.baseAddress! + i * sample) }
        }
        return Tensor(shape: [images.count, p.channels, p.height, p.width], data: data)
    }

    public func extract(_ urls: [URL], flip: Bool = false, progress: ProgressReporter? = nil) throws -> [Float] {
        let p = preprocessor
        let batches = BatchedFeatures(sampleShape: (p.channels, p.height, p.width), featureDim: featureDim,
                                      batchSize: batchSize, threads: threads, grayscale: p.channels == 1)
        return try batches.extract(urls, flip: flip, progress: progress,
                                   fill: { image, mirror, at in p.fill(image, mirror: mirror, into: at) },
                                   forward: { network.forward($0) })
    }
}
