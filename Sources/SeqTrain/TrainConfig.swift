import Foundation
import SeqCore

/// The DSA loss's hyper-parameters: the `dsa` section of a training config, and (with the class
/// counts from the lists) `DSAConfig`. The one place they and their defaults are written.
public struct DSASettings: ConfigSection, Equatable, Sendable {
    /// Weight of the pull-to-own-agent term, in `[0, 1]`.
    public var lambda: Float = 0.5
    /// Fraction of agents left out each iteration, in `[0, 1]`. A `Double` because
    /// `K_used = floor(N * (1 - dropout_ratio))` is defined in double precision.
    public var dropoutRatio: Double = 0.99
    /// Margin factor on the own-agent distance, `>= 1`.
    public var alpha: Float = 2
    /// Additive margin, `>= 0`.
    public var beta: Float = 1
    /// Rescale every agent row to norm `scale` before each iteration.
    public var useNormalize = false
    public var scale: Float = 1
    /// While `iteration <= centerIter` the pull term is left out.
    public var centerIter = 0
    /// While `iteration <= diffIter` the hinge terms are left out.
    public var diffIter = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case lambda, alpha, beta, scale
        case dropoutRatio = "dropout_ratio", useNormalize = "use_normalize", centerIter = "center_iter", diffIter = "diff_iter"
    }

    /// Checks the ranges the method page gives (`DSAConfig.validate` adds the class counts).
    func validateRanges() throws {
        guard (0...1).contains(lambda) else { throw SeqError("DSA: lambda must be in [0, 1], got \(lambda)") }
        guard (0...1).contains(dropoutRatio) else { throw SeqError("DSA: dropout_ratio must be in [0, 1], got \(dropoutRatio)") }
        guard alpha >= 1, alpha.isFinite else { throw SeqError("DSA: alpha must be >= 1 and finite, got \(alpha)") }
        guard beta >= 0, beta.isFinite else { throw SeqError("DSA: beta must be >= 0 and finite, got \(beta)") }
        guard !useNormalize || (scale > 0 && scale.isFinite) else { throw SeqError("DSA: scale must be positive, got \(scale)") }
        guard centerIter >= 0, diffIter >= 0 else { throw SeqError("DSA: center_iter and diff_iter must be >= 0") }
    }

    /// Checks the ranges that do not depend on the class counts.
    public func validate() throws {
        try validateRanges()
        guard scale.isFinite else { throw SeqError("DSA: scale must be finite, got \(scale)") }
    }

    /// The loss configuration for `F` identities and `S` sequences.
    public func lossConfig(faceIDCount: Int, sequenceIDCount: Int, lossWeight: Float) -> DSAConfig {
        DSAConfig(faceIDCount: faceIDCount, sequenceIDCount: sequenceIDCount, settings: self, lossWeight: lossWeight)
    }
}

/// How batches are made.
public struct DataConfig: ConfigSection, Equatable, Sendable {
    public var identityBatch = 32
    /// 0 trains identity-only (no DSA).
    public var sequenceBatch = 32
    /// Side the images are brought to before cropping; 0 means `input_size * 9 / 8` (144 for 128).
    public var imageSize = 0
    public var mirror = true
    /// Decoding threads.
    public var threads = 2

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case identityBatch = "identity_batch", sequenceBatch = "sequence_batch", imageSize = "image_size", mirror, threads
    }

    /// The ranges are checked by `TrainConfig.validate`, which knows the input size.
    public func validate() throws {}

    public func resolvedImageSize(inputSize: Int) -> Int { imageSize > 0 ? imageSize : inputSize * 9 / 8 }
}

/// Everything that defines a training run; saved as `config.json` in the run folder.
/// Unknown keys at any level are rejected by name.
public struct TrainConfig: ConfigSection, Equatable, Sendable {
    public var network = NetworkConfig()
    public var head = MarginConfig()
    public var dsa = DSASettings()
    public var solver = SolverConfig()
    public var data = DataConfig()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case network, head, dsa, solver, data }

    /// Reads and checks a config file.
    public static func load(from url: URL) throws -> TrainConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SeqError("cannot read config file", file: url.path)
        }
        return try decodeConfig(TrainConfig.self, from: data, path: url.path)
    }

    public func validate() throws {
        try network.validate()
        try head.validate()
        try solver.validate()
        let maxBatch = TrainLimits.maxBatch
        guard (1...maxBatch).contains(data.identityBatch) else {
            throw SeqError("data: identity_batch must be in 1…\(maxBatch), got \(data.identityBatch)")
        }
        guard (0...maxBatch).contains(data.sequenceBatch) else {
            throw SeqError("data: sequence_batch must be in 0…\(maxBatch), got \(data.sequenceBatch)")
        }
        guard (1...TrainLimits.maxThreads).contains(data.threads) else {
            throw SeqError("data: threads must be in 1…\(TrainLimits.maxThreads), got \(data.threads)")
        }
        guard (0...TrainLimits.maxInputSize).contains(data.imageSize) else {
            throw SeqError("data: image_size must be in 0…\(TrainLimits.maxInputSize) (0: input_size * 9/8), got \(data.imageSize)")
        }
        guard data.resolvedImageSize(inputSize: network.inputSize) >= network.inputSize else {
            throw SeqError("data: image_size must be at least network.input_size")
        }
        try dsa.validate()
    }

    /// The settings (dotted JSON keys, e.g. `solver.base_lr`) whose values differ from
    /// `other`'s, each as `key value (other's value)`, sorted by key.
    public func differences(from other: TrainConfig) -> [String] {
        let mine = (try? Self.flatten(jsonData())) ?? [:], theirs = (try? Self.flatten(other.jsonData())) ?? [:]
        return Set(mine.keys).union(theirs.keys).sorted().compactMap { key in
            let a = mine[key] ?? "none", b = theirs[key] ?? "none"
            return a == b ? nil : "\(key) \(a) (was \(b))"
        }
    }

    /// Leaf values of a JSON object by dotted key, as compact JSON text.
    private static func flatten(_ data: Data) throws -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ value: JSONValue, _ key: String) {
            if case .object(let members) = value {
                for (k, v) in members { walk(v, key.isEmpty ? k : key + "." + k) }
            } else {
                out[key] = value.serialized(.compact)
            }
        }
        walk(try JSONValue.parse(data), "")
        return out
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
