/// Element-wise sum of two tensors of the same shape (the join of a residual unit).
public final class Add {
    public init() {}

    /// `a + b`.
    public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "Add: shapes \(a.shape) and \(b.shape) differ")
        var y = a
        y.data.withUnsafeMutableBufferPointer { yb in
        b.data.withUnsafeBufferPointer { bb in
            for i in 0..<yb.count { yb[i] += bb[i] }
        }}
        return y
    }

    /// Gradients with respect to both inputs: each is `dy`.
    public func backward(_ dy: Tensor) -> (da: Tensor, db: Tensor) {
        (dy, dy)
    }
}
