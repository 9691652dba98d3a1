import Foundation
import SeqCore

/// The named network presets.
public enum NetworkPreset: String, CaseIterable, Sendable {
    /// The published `face_res20net`.
    case faceRes20net = "face_res20net"
    /// A small variant for demos and tests.
    case tiny

    public var config: NetworkConfig {
        switch self {
        case .faceRes20net: return .faceRes20
        case .tiny: return .tiny
        }
    }

    /// The preset `network` was made from, ignoring `width` and `inputSize` (which may be set
    /// over a preset); nil for a custom network.
    public static func matching(_ network: NetworkConfig) -> NetworkPreset? {
        allCases.first { p in
            let c = p.config
            return c.channels == network.channels && c.units == network.units
                && c.featureDim == network.featureDim && c.inputChannels == network.inputChannels
        }
    }
}

/// Settings given one by one (as `seqcurate train` flags) over a config; nil where not given.
/// The list files and class counts are not part of `TrainConfig` but fix a run all the same,
/// so a resumed run compares them too (`ResumeRules`).
public struct TrainOverrides: Sendable, Equatable {
    public var network: NetworkPreset?
    public var width: Double?
    public var inputSize: Int?
    public var identityBatch: Int?
    public var sequenceBatch: Int?
    public var margin: MarginKind?
    /// The head's backward rule (`head.backward`).
    public var headBackward: MarginBackward?
    public var baseLR: Float?
    public var maxIter: Int?
    public var snapshot: Int?
    public var seed: UInt64?
    public var threads: Int?
    public var faceidNum: Int?
    public var seqidNum: Int?
    public var identityList: String?
    public var sequenceList: String?

    public init() {}

    /// Sets every given value in `config`, then validates it. A preset replaces the network's
    /// shape but keeps its `channel_order` (and, for `tiny`, sets an automatic image size of 36);
    /// a margin of another kind takes that kind's defaults (backward rule included), the same
    /// kind keeps the config's margin settings.
    public func apply(to config: inout TrainConfig) throws {
        if let network {
            let order = config.network.channelOrder
            config.network = network.config
            config.network.channelOrder = order
            if network == .tiny && config.data.imageSize == 0 { config.data.imageSize = 36 }
        }
        if let width { config.network.width = width }
        if let inputSize { config.network.inputSize = inputSize }
        if let identityBatch { config.data.identityBatch = identityBatch }
        if let sequenceBatch { config.data.sequenceBatch = sequenceBatch }
        if let margin, margin != config.head.kind { config.head = MarginConfig(kind: margin, scale: config.head.scale) }
        if let headBackward { config.head.backward = headBackward }
        if let baseLR { config.solver.baseLR = baseLR }
        if let maxIter { config.solver.maxIter = maxIter }
        if let snapshot { config.solver.snapshot = snapshot }
        if let seed { config.solver.seed = seed }
        if let threads { config.data.threads = threads }
        try config.validate()
    }
}
