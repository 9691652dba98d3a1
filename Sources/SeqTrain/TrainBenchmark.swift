import Foundation
import SeqCore
import SeqNN

/// Measures training and feature-extraction throughput on synthetic batches (no image
/// decoding), for comparison with the same network in other frameworks (tools/bench_train.sh).
public enum TrainBenchmark {
    public struct Result: Codable, Sendable {
        public var trainImagesPerSecond: Double
        public var featureImagesPerSecond: Double
        /// Peak resident memory of the process (VmHWM), MiB.
        public var peakMemoryMiB: Double
        public var batch: Int
        public var iterations: Int
        public var inputSize: Int
        public var classes: Int

        enum CodingKeys: String, CodingKey {
            case trainImagesPerSecond = "train_images_per_s", featureImagesPerSecond = "features_images_per_s"
            case peakMemoryMiB = "peak_memory_mib", batch, iterations, inputSize = "input_size", classes
        }
    }

    /// Times `iterations` training steps (forward, margin head, LSRO, backward, SGD) and as many
    /// feature passes, each after one untimed warm-up.
    public static func run(network: NetworkConfig, margin: MarginConfig = MarginConfig(kind: .cosface),
                           classes: Int, batch: Int, iterations: Int, seed: UInt64 = 1) throws -> Result {
        guard (1...TrainLimits.maxClasses).contains(classes) else {
            throw SeqError("benchmark: classes must be in 1…\(TrainLimits.maxClasses), got \(classes)")
        }
        guard (1...TrainLimits.maxBatch).contains(batch) else {
            throw SeqError("benchmark: batch must be in 1…\(TrainLimits.maxBatch), got \(batch)")
        }
        guard (1...1_000_000).contains(iterations) else {
            throw SeqError("benchmark: iterations must be in 1…1000000, got \(iterations)")
        }
        try network.validate()
        try TrainLimits.checkMemory(network: network, batch: batch, classes: classes, agents: 0)
        var rng = SeededGenerator(seed: seed)
        let net = try FaceResNet(config: network, using: &rng)
        let head = try MarginHead(featureDim: network.featureDim, classes: classes, config: margin, using: &rng)
        let solver = SGDSolver(config: SolverConfig())
        let params = net.parameters + head.parameters
        let shape = [batch, network.inputChannels, network.inputSize, network.inputSize]
        let images = Initializer.gaussian(shape: shape, std: 0.5, using: &rng)
        let labels = (0..<batch).map { _ in Int32(rng.next() % UInt64(classes)) }
        let loss = LSROLoss()

        func trainStep() throws {
            for p in params { p.zeroGrad() }
            let f = net.forward(images)
            let z = head.forward(f, labels: labels)
            let out = try loss.evaluate(logits: z.data, labels: labels, classes: classes)
            net.backward(head.backward(Tensor(shape: z.shape, data: out.dlogits)))
            solver.step(params, learningRate: 1e-4)
        }
        try trainStep()
        var start = Date()
        for _ in 0..<iterations { try trainStep() }
        let train = Double(batch * iterations) / Date().timeIntervalSince(start)

        _ = net.forward(images)
        start = Date()
        for _ in 0..<iterations { _ = net.forward(images) }
        let features = Double(batch * iterations) / Date().timeIntervalSince(start)
        return Result(trainImagesPerSecond: train, featureImagesPerSecond: features, peakMemoryMiB: peakResidentMiB(),
                      batch: batch, iterations: iterations, inputSize: network.inputSize, classes: classes)
    }

    /// VmHWM from /proc/self/status (0 where unavailable).
    public static func peakResidentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        let kb = Double(line.split(separator: " ").compactMap { Double($0) }.first ?? 0)
        return kb / 1024
    }
}
