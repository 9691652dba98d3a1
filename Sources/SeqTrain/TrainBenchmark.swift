import Foundation
import SeqCore
import SeqNN

/// Measures training and feature-extraction throughput on synthetic batches (no image
/// decoding), for comparison with the same network in other frameworks (tools/bench_train.sh).
///
/// A training step is the published one: `fc5`, the margin head (by default SphereFace with
/// Caffe's backward rule) and LSRO over the identity and sequence samples, the DSA loss on
/// `fc5` when the batch holds sequence samples, backward, and the SGD update with the
/// published multipliers.
public enum TrainBenchmark {
    public struct Result: Codable, Sendable {
        public var trainImagesPerSecond: Double
        public var featureImagesPerSecond: Double
        /// Peak resident memory of the process (VmHWM), MiB.
        public var peakMemoryMiB: Double
        /// Images per step: `identityBatch + sequenceBatch`.
        public var batch: Int
        public var identityBatch: Int
        public var sequenceBatch: Int
        public var iterations: Int
        public var inputSize: Int
        /// Identity classes `F` of the head.
        public var classes: Int
        /// Sequence ids `S` (DSA agents are `F + S`).
        public var sequences: Int
        /// The head's margin and backward rule, e.g. `sphereface/caffe`.
        public var head: String
        /// Whether the DSA loss ran.
        public var dsa: Bool

        enum CodingKeys: String, CodingKey {
            case trainImagesPerSecond = "train_images_per_s", featureImagesPerSecond = "features_images_per_s"
            case peakMemoryMiB = "peak_memory_mib", batch, identityBatch = "identity_batch", sequenceBatch = "sequence_batch"
            case iterations, inputSize = "input_size", classes, sequences, head, dsa
        }
    }

    /// Times `iterations` training steps and as many feature passes, each after one untimed
    /// warm-up. DSA runs when `sequenceBatch > 0` and `solver.dsaWeight > 0`.
    public static func run(network: NetworkConfig, margin: MarginConfig = MarginConfig(), dsa settings: DSASettings = DSASettings(),
                           solver solverConfig: SolverConfig = SolverConfig(), classes: Int, sequences: Int = 1000,
                           identityBatch: Int, sequenceBatch: Int = 0, iterations: Int, seed: UInt64 = 1) throws -> Result {
        guard (1...TrainLimits.maxClasses).contains(classes), (1...TrainLimits.maxClasses).contains(sequences) else {
            throw SeqError("benchmark: classes and sequences must be in 1…\(TrainLimits.maxClasses), got \(classes) and \(sequences)")
        }
        guard (1...TrainLimits.maxBatch).contains(identityBatch), (0...TrainLimits.maxBatch).contains(sequenceBatch) else {
            throw SeqError("benchmark: identity batch must be in 1…\(TrainLimits.maxBatch) and sequence batch in 0…\(TrainLimits.maxBatch), got \(identityBatch) and \(sequenceBatch)")
        }
        guard (1...1_000_000).contains(iterations) else {
            throw SeqError("benchmark: iterations must be in 1…1000000, got \(iterations)")
        }
        try network.validate()
        try margin.validate()
        try solverConfig.validate()
        let batch = identityBatch + sequenceBatch
        let useDSA = sequenceBatch > 0 && solverConfig.dsaWeight > 0
        try TrainLimits.checkMemory(network: network, batch: batch, classes: classes, agents: useDSA ? classes + sequences : 0)
        var rng = SeededGenerator(seed: seed)
        let net = try FaceResNet(config: network, using: &rng)
        let head = try MarginHead(featureDim: network.featureDim, classes: classes, config: margin, using: &rng)
        let solver = SGDSolver(config: solverConfig)
        var dsaLoss: DSALoss? = nil
        var agents: Parameter? = nil
        if useDSA {
            let config = settings.lossConfig(faceIDCount: classes, sequenceIDCount: sequences, lossWeight: solverConfig.dsaWeight)
            dsaLoss = try DSALoss(config: config, featureDim: network.featureDim)
            agents = Parameter(name: "dsa.agents",
                               value: Tensor(shape: [config.agentCount, network.featureDim],
                                             data: DSALoss.initialAgents(config: config, featureDim: network.featureDim, using: &rng)),
                               lrMult: 1, decayMult: 0)
        }
        let params = net.parameters + head.parameters + (agents.map { [$0] } ?? [])
        let shape = [batch, network.inputChannels, network.inputSize, network.inputSize]
        let images = Initializer.gaussian(shape: shape, std: 0.5, using: &rng)
        let labels = (0..<identityBatch).map { _ in Int32(rng.next() % UInt64(classes)) }
            + (0..<sequenceBatch).map { _ in -1 - Int32(rng.next() % UInt64(sequences)) }
        let loss = LSROLoss(lossWeight: solverConfig.lsroWeight)
        var step = 0

        func trainStep() throws {
            step += 1
            for p in params { p.zeroGrad() }
            let f = net.forward(images)
            let z = head.forward(f, labels: labels, iteration: step)
            let out = try loss.evaluate(logits: z.data, labels: labels, classes: classes)
            var df = head.backward(Tensor(shape: z.shape, data: out.dlogits))
            if let dsaLoss, let agents {
                var sampling = SeededGenerator(seed: mixSeed(seed, 0xD5A, UInt64(step)))
                let d = try dsaLoss.evaluate(features: f.data, labels: labels, centers: &agents.value.data, using: &sampling)
                agents.grad.data = d.dcenters
                for i in 0..<df.count { df.data[i] += d.dfeatures[i] }
            }
            net.backward(df)
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
                      batch: batch, identityBatch: identityBatch, sequenceBatch: sequenceBatch, iterations: iterations,
                      inputSize: network.inputSize, classes: classes, sequences: sequences,
                      head: "\(margin.kind.rawValue)/\(margin.backward.rawValue)", dsa: useDSA)
    }

    /// VmHWM from /proc/self/status (0 where unavailable).
    public static func peakResidentMiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        let kb = Double(line.split(separator: " ").compactMap { Double($0) }.first ?? 0)
        return kb / 1024
    }
}
