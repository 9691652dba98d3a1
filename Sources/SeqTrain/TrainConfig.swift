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
        lambda = try c.float(.lambda, section: "dsa") ?? d.lambda
        dropoutRatio = try c.decodeIfPresent(Double.self, forKey: .dropoutRatio) ?? d.dropoutRatio
        alpha = try c.float(.alpha, section: "dsa") ?? d.alpha
        beta = try c.float(.beta, section: "dsa") ?? d.beta
        useNormalize = try c.decodeIfPresent(Bool.self, forKey: .useNormalize) ?? d.useNormalize
        scale = try c.float(.scale, section: "dsa") ?? d.scale
        centerIter = try c.integer(.centerIter, section: "dsa") ?? d.centerIter
        diffIter = try c.integer(.diffIter, section: "dsa") ?? d.diffIter
    }

    /// Checks the ranges that do not depend on the class counts (`DSAConfig.validate` checks the rest).
    public func validate() throws {
        try lossConfig(faceIDCount: 1, sequenceIDCount: 0, lossWeight: 1).validate()
        guard scale.isFinite else { throw SeqError("DSA: scale must be finite, got \(scale)") }
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
        identityBatch = try c.integer(.identityBatch, section: "data") ?? d.identityBatch
        sequenceBatch = try c.integer(.sequenceBatch, section: "data") ?? d.sequenceBatch
        imageSize = try c.integer(.imageSize, section: "data") ?? d.imageSize
        mirror = try c.decodeIfPresent(Bool.self, forKey: .mirror) ?? d.mirror
        threads = try c.integer(.threads, section: "data") ?? d.threads
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
        func walk(_ value: Any, _ key: String) {
            if let object = value as? [String: Any] {
                for (k, v) in object { walk(v, key.isEmpty ? k : key + "." + k) }
            } else if let text = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                out[key] = String(decoding: text, as: UTF8.self)
            }
        }
        walk(try JSONSerialization.jsonObject(with: data), "")
        return out
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
