import SeqCore

/// A trainable tensor with its accumulated gradient and solver multipliers.
///
/// A reference type so that layers, optimisers and checkpoint code all see the same storage.
public final class Parameter {
    /// Stable name used in checkpoints and weight files, e.g. `"conv1_1.weight"`.
    public let name: String
    /// The current value.
    public var value: Tensor
    /// Gradient accumulated by `backward` calls; same shape as `value`. Clear with `zeroGrad()`.
    public var grad: Tensor
    /// Learning-rate multiplier (Caffe's `lr_mult`).
    public var lrMult: Float
    /// Weight-decay multiplier (Caffe's `decay_mult`).
    public var decayMult: Float

    public init(name: String, value: Tensor, lrMult: Float = 1, decayMult: Float = 1) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
        self.lrMult = lrMult
        self.decayMult = decayMult
    }

    /// A parameter of an inference-only layer (fixed pretrained weights, e.g. the face
    /// embedding): no gradient buffer is allocated (`grad` is empty), which for a network of
    /// millions of weights saves their size again in freshly zeroed memory at every load.
    /// `backward` must not be called on a layer holding one.
    public init(frozen name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: [0])
        self.lrMult = 0
        self.decayMult = 0
    }

    /// True for a parameter built with `init(frozen:value:)` (it has no gradient).
    public var isFrozen: Bool { grad.count != value.count }

    /// Resets the accumulated gradient to zero.
    public func zeroGrad() {
        grad.data.withUnsafeMutableBufferPointer { g in
            g.update(repeating: 0)
        }
    }

    /// Replaces the value, checking that the shape is the one this parameter was built with.
    public func assign(_ tensor: Tensor) throws {
        guard tensor.shape == value.shape else {
            throw SeqError("\(name): expected shape \(value.shape), got \(tensor.shape)")
        }
        value = tensor
    }
}
