import Foundation
import SeqCore

/// The order of the colour planes a network takes (config key `network.channel_order`).
///
/// Caffe's `ImageData` layer and the published `featurer.py` feed OpenCV's BGR order, so
/// weights trained there (e.g. converted with `import-caffe`) need `.bgr`; runs trained by
/// seqcurate use `.rgb` unless their config says otherwise. From scratch either order trains
/// equally well, but a network must be fed the order it was trained with: the trainer's data
/// path and `FeatureExtractor` both follow this setting. Gray networks (`input_channels` 1)
/// ignore it.
public enum ChannelOrder: String, Codable, CaseIterable, Sendable {
    /// Red, green, blue planes (seqcurate's order; the default).
    case rgb
    /// Blue, green, red planes (Caffe/OpenCV's order).
    case bgr
}

/// Shape of a `face_res20net`-family network.
///
/// The published network is the default: four stages of 64/128/256/512 channels with
/// 1/2/4/1 residual units, a 512-d `fc5`, 128x128 RGB input. Narrower or shallower variants
/// change `channels` (or scale them with `width`), `units` and `inputSize`; for example
/// `{"channels": [16, 32, 48, 64], "units": [1, 1, 1, 1], "input_size": 64, "feature_dim": 128}`
/// trains on two CPU cores in minutes.
public struct NetworkConfig: ConfigSection, Equatable, Sendable {
    /// Output channels of each stage's opening stride-2 convolution.
    public var channels: [Int] = [64, 128, 256, 512]
    /// Residual units per stage (same count as `channels`).
    public var units: [Int] = [1, 2, 4, 1]
    /// Multiplies every entry of `channels` (rounded, at least 1).
    public var width: Double = 1
    /// Side of the square input crop.
    public var inputSize: Int = 128
    /// 3 for RGB, 1 for gray.
    public var inputChannels: Int = 3
    /// Size of `fc5`, the face feature.
    public var featureDim: Int = 512
    /// The colour-plane order of the input (`"rgb"` or `"bgr"`): a property of the trained
    /// weights, recorded in the run's `config.json`. Default `.rgb`, which is what every run
    /// whose config does not name it was trained with; models imported from the published
    /// Caffe weights use `.bgr`.
    public var channelOrder: ChannelOrder = .rgb

    public init() {}

    /// The published `face_res20net`.
    public static let faceRes20 = NetworkConfig()

    /// A small variant for demos and tests on a couple of CPU cores.
    public static var tiny: NetworkConfig {
        var c = NetworkConfig()
        c.channels = [8, 16, 24, 32]
        c.units = [1, 1, 1, 1]
        c.inputSize = 32
        c.featureDim = 64
        return c
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case channels, units, width
        case inputSize = "input_size", inputChannels = "input_channels", featureDim = "feature_dim"
        case channelOrder = "channel_order"
    }

    /// Stage widths after the `width` multiplier.
    public var effectiveChannels: [Int] { channels.map { max(1, Int((Double($0) * width).rounded())) } }

    /// Spatial side after all stages (each halves it, rounding up).
    public var finalMapSize: Int { channels.reduce(inputSize) { s, _ in (s - 1) / 2 + 1 } }

    public func validate() throws {
        guard !channels.isEmpty else { throw SeqError("network: channels must not be empty") }
        guard units.count == channels.count else {
            throw SeqError("network: units has \(units.count) entries but channels has \(channels.count)")
        }
        guard channels.count <= TrainLimits.maxStages else {
            throw SeqError("network: at most \(TrainLimits.maxStages) stages, got \(channels.count)")
        }
        let maxChannels = TrainLimits.maxChannels
        guard channels.allSatisfy({ (1...maxChannels).contains($0) }), units.allSatisfy({ (0...TrainLimits.maxUnits).contains($0) }) else {
            throw SeqError("network: channels must be in 1…\(maxChannels) and units in 0…\(TrainLimits.maxUnits), got \(channels) and \(units)")
        }
        // Checked before effectiveChannels converts channels x width to Int (which traps on overflow).
        guard width > 0, width.isFinite, channels.allSatisfy({ Double($0) * width <= Double(maxChannels) }) else {
            throw SeqError("network: width must be positive and keep every stage at most \(maxChannels) channels, got \(width)")
        }
        guard inputChannels == 1 || inputChannels == 3 else { throw SeqError("network: input_channels must be 1 or 3") }
        guard inputSize <= TrainLimits.maxInputSize else {
            throw SeqError("network: input_size must be at most \(TrainLimits.maxInputSize), got \(inputSize)")
        }
        guard inputSize >= 1 << channels.count else {
            throw SeqError("network: input_size \(inputSize) is too small for \(channels.count) stride-2 stages")
        }
        guard (1...maxChannels).contains(featureDim) else {
            throw SeqError("network: feature_dim must be in 1…\(maxChannels), got \(featureDim)")
        }
    }
}
