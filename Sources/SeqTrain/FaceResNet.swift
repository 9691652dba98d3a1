import Foundation
import SeqCore
import SeqNN

/// Two 3x3 conv+PReLU layers whose output is added to the unit's input.
final class ResidualUnit: Layer {
    let conv1: Conv2D, act1: PReLU, conv2: Conv2D, act2: PReLU
    private let join = Add()

    init(channels: Int, names: (String, String), using rng: inout SeededGenerator) {
        conv1 = Conv2D(inChannels: channels, outChannels: channels, kernel: 3, stride: 1, padding: 1, name: names.0)
        act1 = PReLU(channels: channels, initialSlope: 0.25, name: names.0.replacingOccurrences(of: "conv", with: "relu"))
        conv2 = Conv2D(inChannels: channels, outChannels: channels, kernel: 3, stride: 1, padding: 1, name: names.1)
        act2 = PReLU(channels: channels, initialSlope: 0.25, name: names.1.replacingOccurrences(of: "conv", with: "relu"))
        // Inside residual units the published model uses Gaussian(0.01) weights and frozen
        // zero biases (`lr_mult: 0, decay_mult: 0` in train_val.prototxt).
        for conv in [conv1, conv2] {
            conv.batchParallel = FaceResNet.splitsBatches  // see FaceResNet.init
            conv.weight.value = Initializer.gaussian(shape: conv.weight.value.shape, std: 0.01, using: &rng)
            conv.bias.lrMult = 0
            conv.bias.decayMult = 0
        }
        for act in [act1, act2] { FaceResNet.applyPReLUMultipliers(act) }
    }

    var parameters: [Parameter] { conv1.parameters + act1.parameters + conv2.parameters + act2.parameters }

    func forward(_ x: Tensor) -> Tensor {
        join.forward(x, act2.forward(conv2.forward(act1.forward(conv1.forward(x)))))
    }

    func backward(_ dy: Tensor) -> Tensor {
        let (skip, branch) = join.backward(dy)
        var dx = conv1.backward(act1.backward(conv2.backward(act2.backward(branch))))
        dx.data.withUnsafeMutableBufferPointer { d in
            skip.data.withUnsafeBufferPointer { s in
                for i in 0..<d.count { d[i] += s[i] }
            }
        }
        return dx
    }
}

/// The `face_res20net` family: per stage a stride-2 3x3 conv + PReLU, then residual units;
/// finally `fc5` to the face feature. Parameter names follow the published prototxt
/// (`conv1_1`, `relu1_1`, …, `fc5`), and so do the solver multipliers (`param` blocks of
/// `train_val.prototxt`):
///
/// | parameter | lr_mult | decay_mult |
/// | --- | --- | --- |
/// | every conv weight, `fc5.weight` | 1 | 1 |
/// | each stage's opening conv bias (`convN_1.bias`), `fc5.bias` | 2 | 0 |
/// | residual-unit conv biases | 0 (frozen at 0) | 0 |
/// | PReLU slopes (no `param` block: Caffe's defaults) | 1 | 1 |
public final class FaceResNet: Layer {
    public let config: NetworkConfig
    private let body: Sequential
    public let fc5: Linear

    /// Builds the network with the published initialisation: Xavier for each stage's opening
    /// conv and `fc5`, Gaussian(0.01) inside residual units, zero biases, PReLU slopes 0.25.
    public init(config: NetworkConfig, using rng: inout SeededGenerator) throws {
        try config.validate()
        self.config = config
        var layers: [Layer] = []
        var inC = config.inputChannels
        for (s, outC) in config.effectiveChannels.enumerated() {
            let stage = s + 1
            let open = Conv2D(inChannels: inC, outChannels: outC, kernel: 3, stride: 2, padding: 1, name: "conv\(stage)_1")
            open.weight.value = Initializer.xavier(shape: open.weight.value.shape, fanIn: inC * 9, using: &rng)
            if s == 0 { open.needsInputGradient = false }
            // The network runs from one thread (training, extraction), so each convolution may
            // split its batch over OpenBLAS's threads: measured faster than two-threaded sgemm
            // (docs/performance.md, "Training").
            open.batchParallel = Self.splitsBatches
            layers.append(open)
            let act = PReLU(channels: outC, initialSlope: 0.25, name: "relu\(stage)_1")
            Self.applyPReLUMultipliers(act)
            layers.append(act)
            for u in 0..<config.units[s] {
                layers.append(ResidualUnit(channels: outC, names: ("conv\(stage)_\(2 + 2 * u)", "conv\(stage)_\(3 + 2 * u)"), using: &rng))
            }
            inC = outC
        }
        body = Sequential(layers)
        let side = config.finalMapSize
        let flat = inC * side * side
        fc5 = Linear(inFeatures: flat, outFeatures: config.featureDim, name: "fc5")
        fc5.weight.value = Initializer.xavier(shape: fc5.weight.value.shape, fanIn: flat, using: &rng)
    }

    public var parameters: [Parameter] { body.parameters + fc5.parameters }

    /// Whether the convolutions split batches over OpenBLAS's threads (`Conv2D.batchParallel`).
    /// On unless the environment sets `SEQCURATE_CONV_BATCH_SPLIT=0`, which restores OpenBLAS's
    /// own threads inside each product: a switch for comparing the two on a given machine
    /// (`SEQCURATE_CONV_BATCH_SPLIT=0 tools/bench_train.sh`), since measurements on the shared
    /// development machine could not settle which wins when the cores are free.
    static let splitsBatches = ProcessInfo.processInfo.environment["SEQCURATE_CONV_BATCH_SPLIT"] != "0"

    /// The published PReLU layers have no `param` block, so Caffe's defaults apply: lr x1, decay x1.
    static func applyPReLUMultipliers(_ act: PReLU) {
        act.slope.lrMult = 1
        act.slope.decayMult = 1
    }

    /// Features `[N, featureDim]` for images `[N, inputChannels, inputSize, inputSize]`.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == config.inputChannels && x.shape[2] == config.inputSize && x.shape[3] == config.inputSize,
                     "FaceResNet expects [N, \(config.inputChannels), \(config.inputSize), \(config.inputSize)], got \(x.shape)")
        return fc5.forward(body.forward(x))
    }

    /// Back-propagates the feature gradient, accumulating every parameter's gradient.
    @discardableResult
    public func backward(_ dy: Tensor) -> Tensor {
        body.backward(fc5.backward(dy))
    }

    /// Multiply-adds of one forward pass of one image (convolutions and fc5).
    public var multiplyAddsPerImage: Int {
        var side = config.inputSize, inC = config.inputChannels, total = 0
        for (s, outC) in config.effectiveChannels.enumerated() {
            side = (side - 1) / 2 + 1
            total += side * side * outC * inC * 9
            total += config.units[s] * 2 * side * side * outC * outC * 9
            inC = outC
        }
        return total + inC * side * side * config.featureDim
    }
}
