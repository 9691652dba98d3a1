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
        let d = network.config.featureDim
        var out = [Float](repeating: 0, count: urls.count * d)
        let p = preprocessor
        let sample = p.channels * p.cropSize * p.cropSize
        var start = 0
        while start < urls.count {
            let chunk = Array(urls[start..<min(start + batchSize, urls.count)])
            let copies = flip ? 2 : 1
            var data = [Float](repeating: 0, count: chunk.count * copies * sample)
            let errors = ErrorBox()
            data.withUnsafeMutableBufferPointer { buf in
                let base = SendablePointer(buf.baseAddress!)
                let workers = min(threads, chunk.count)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for i in stride(from: w, to: chunk.count, by: workers) {
                        do {
                            let image = try ImageIO.read(chunk[i])
                            p.fill(image, offset: nil, mirror: false, into: base.pointer + i * sample)
                            if flip { p.fill(image, offset: nil, mirror: true, into: base.pointer + (chunk.count + i) * sample) }
                        } catch let e as SeqError {
                            errors.set(e)
                        } catch {
                            errors.set(SeqError("cannot read image: \(error)", file: chunk[i].path))
                        }
                    }
                }
            }
            if let e = errors.error { throw e }
            let f = network.forward(Tensor(shape: [chunk.count * copies, p.channels, p.cropSize, p.cropSize], data: data))
            for i in 0..<chunk.count {
                for k in 0..<d {
                    out[(start + i) * d + k] = f.data[i * d + k] + (flip ? f.data[(chunk.count + i) * d + k] : 0)
                }
            }
            start += chunk.count
            progress?.advance(by: chunk.count)
        }
        return out
    }
}
