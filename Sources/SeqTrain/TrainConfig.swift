import Foundation
import SeqCore

/// DSA settings of a training run (the class counts come from the lists).
public struct DSASettings: Codable, Equatable, Sendable {
    public var lambda: Float = 0.5
    public var dropoutRatio: Double = 0.99
    public var alpha: Float = 2
    public var beta: Float = 1
    public var useNormalize = false
    public var scale: Float = 1
    public var centerIter = 0
    public var diffIter = 0

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case lambda, alpha, beta, scale
        case dropoutRatio = "dropout_ratio", useNormalize = "use_normalize", centerIter = "center_iter", diffIter = "diff_iter"
    }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(in: decoder, CodingKeys.self, section: "dsa")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DSASettings()
        lambda = try c.decodeIfPresent(Float.self, forKey: .lambda) ?? d.lambda
        dropoutRatio = try c.decodeIfPresent(Double.self, forKey: .dropoutRatio) ?? d.dropoutRatio
        alpha = try c.decodeIfPresent(Float.self, forKey: .alpha) ?? d.alpha
        beta = try c.decodeIfPresent(Float.self, forKey: .beta) ?? d.beta
        useNormalize = try c.decodeIfPresent(Bool.self, forKey: .useNormalize) ?? d.useNormalize
        scale = try c.decodeIfPresent(Float.self, forKey: .scale) ?? d.scale
        centerIter = try c.decodeIfPresent(Int.self, forKey: .centerIter) ?? d.centerIter
        diffIter = try c.decodeIfPresent(Int.self, forKey: .diffIter) ?? d.diffIter
    }

    /// The loss configuration for `F` identities and `S` sequences.
    public func lossConfig(faceIDCount: Int, sequenceIDCount: Int, lossWeight: Float) -> DSAConfig {
        DSAConfig(faceIDCount: faceIDCount, sequenceIDCount: sequenceIDCount, lambda: lambda, dropoutRatio: dropoutRatio,
                  alpha: alpha, beta: beta, useNormalize: useNormalize, scale: scale, centerIter: centerIter,
                  diffIter: diffIter, lossWeight: lossWeight)
    }
}

/// How batches are made.
public struct DataConfig: Codable, Equatable, Sendable {
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

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(in: decoder, CodingKeys.self, section: "data")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DataConfig()
        identityBatch = try c.decodeIfPresent(Int.self, forKey: .identityBatch) ?? d.identityBatch
        sequenceBatch = try c.decodeIfPresent(Int.self, forKey: .sequenceBatch) ?? d.sequenceBatch
        imageSize = try c.decodeIfPresent(Int.self, forKey: .imageSize) ?? d.imageSize
        mirror = try c.decodeIfPresent(Bool.self, forKey: .mirror) ?? d.mirror
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? d.threads
    }

    public func resolvedImageSize(inputSize: Int) -> Int { imageSize > 0 ? imageSize : inputSize * 9 / 8 }
}

/// Everything that defines a training run; saved as `config.json` in the run folder.
/// Unknown keys at any level are rejected by name.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var network = NetworkConfig()
    public var head = MarginConfig()
    public var dsa = DSASettings()
    public var solver = SolverConfig()
    public var data = DataConfig()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case network, head, dsa, solver, data }

    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(in: decoder, CodingKeys.self, section: "config")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        network = try c.decodeIfPresent(NetworkConfig.self, forKey: .network) ?? NetworkConfig()
        head = try c.decodeIfPresent(MarginConfig.self, forKey: .head) ?? MarginConfig()
        dsa = try c.decodeIfPresent(DSASettings.self, forKey: .dsa) ?? DSASettings()
        solver = try c.decodeIfPresent(SolverConfig.self, forKey: .solver) ?? SolverConfig()
        data = try c.decodeIfPresent(DataConfig.self, forKey: .data) ?? DataConfig()
    }

    /// Reads and checks a config file.
    public static func load(from url: URL) throws -> TrainConfig {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SeqError("cannot read config file", file: url.path)
        }
        let config = try decodeConfig(TrainConfig.self, from: data, path: url.path)
        do { try config.validate() } catch let e as SeqError { throw SeqError(e.reason, file: url.path) }
        return config
    }

    public func validate() throws {
        try network.validate()
        try head.validate()
        try solver.validate()
        guard data.identityBatch > 0 else { throw SeqError("data: identity_batch must be positive") }
        guard data.sequenceBatch >= 0 else { throw SeqError("data: sequence_batch must be >= 0") }
        guard data.threads > 0 else { throw SeqError("data: threads must be positive") }
        guard data.resolvedImageSize(inputSize: network.inputSize) >= network.inputSize else {
            throw SeqError("data: image_size must be at least network.input_size")
        }
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
