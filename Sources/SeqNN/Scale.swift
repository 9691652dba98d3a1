/// Multiplies by a fixed, non-learned factor: `y = s * x`.
public final class Scale: Layer {
    public let factor: Float

    public init(_ s: Float) {
        factor = s
    }

    public func forward(_ x: Tensor) -> Tensor {
        scaled(x)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        scaled(dy)
    }

    private func scaled(_ x: Tensor) -> Tensor {
        var y = x
        let s = factor
        y.data.withUnsafeMutableBufferPointer { yb in
            for i in 0..<yb.count { yb[i] *= s }
        }
        return y
    }
}
