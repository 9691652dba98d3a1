import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// Runs a trained network over images: central crop, `(v-127.5)/128`, colour planes in the
/// network's `channelOrder`, `fc5` features.
public final class FeatureExtractor {
    public let network: FaceResNet
    public let preprocessor: FacePreprocessor
    public var batchSize: Int
    public var threads: Int

    public init(network: FaceResNet, imageSize: Int, batchSize: Int = 16, threads: Int = 2) {
        self.network = network
        preprocessor = FacePreprocessor(imageSize: imageSize, cropSize: network.config.inputSize, channels: network.config.inputChannels,
                                        channelOrder: network.config.channelOrder)
        self.batchSize = max(1, batchSize)
        self.threads = max(1, threads)
    }

    /// Loads the network of a run folder (its `config.json`) with weights from `checkpoint`,
    /// or from the run's last good checkpoint.
    public static func load(run: URL, checkpoint: URL? = nil, batchSize: Int = 16, threads: Int = 2) throws -> FeatureExtractor {
        let config = try TrainConfig.load(from: run.appendingPathComponent("config.json"))
        // Twice the batch: --flip runs the mirrored copies in the same pass.
        try TrainLimits.checkMemory(network: config.network, batch: max(1, batchSize) * 2, classes: 1, agents: 0,
                                    purpose: "feature extraction")
        var rng = SeededGenerator(seed: config.solver.seed)
        let net = try FaceResNet(config: config.network, using: &rng)
        let file: URL
        var expected: Int? = nil
        if let checkpoint {
            file = checkpoint
        } else {
            guard let state = try Checkpoint.latest(run: run) else {
                throw SeqError("run has no checkpoint yet (no checkpoint.json)", file: run.path)
            }
            file = Checkpoint.folder(run).appendingPathComponent(state.weightsFile)
            expected = state.weightsBytes
        }
        try Checkpoint.assign(try Checkpoint.readChecked(file, expectedBytes: expected), to: net.parameters, file: file)
        return FeatureExtractor(network: net, imageSize: config.data.resolvedImageSize(inputSize: config.network.inputSize),
                                batchSize: batchSize, threads: threads)
    }

    /// Features `[urls.count, featureDim]`, row-major. With `flip`, the mirrored image's
    /// feature is added to each row.
    public func extract(_ urls: [URL], flip: Bool = false, progress: ProgressReporter? = nil) throws -> [Float] {
        let p = preprocessor
        let batches = BatchedFeatures(sampleShape: (p.channels, p.cropSize, p.cropSize), featureDim: network.config.featureDim,
                                      batchSize: batchSize, threads: threads)
        return try batches.extract(urls, flip: flip, progress: progress,
                                   fill: { image, mirror, at in p.fill(image, offset: nil, mirror: mirror, into: at) },
                                   forward: { network.forward($0) })
    }
}
