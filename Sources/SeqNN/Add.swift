/// Element-wise sum of two tensors of the same shape (the join of a residual unit).
public final class Add {
    public init() {}

    /// `a + b`.
    public func forward(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "Add: shapes \(a.shape) and \(b.shape) differ")
        // One pass into a fresh buffer (`a` is usually still held by the layer that read it, so
        // adding in place would copy it first), split across threads.
        return a.data.withUnsafeBufferPointer { ab in
        b.data.withUnsafeBufferPointer { bb in
            Tensor(shape: a.shape) { yb in
                let ap = ab.baseAddress, bp = bb.baseAddress, yp = yb.baseAddress
                ParallelLoop.split(yb.count, work: 3 * yb.count) { r in
                    for i in r { yp![i] = ap![i] + bp![i] }
                }
            }
        }}
    }

    /// Gradients with respect to both inputs: each is `dy`.
    public func backward(_ dy: Tensor) -> (da: Tensor, db: Tensor) {
        (dy, dy)
    }
}
