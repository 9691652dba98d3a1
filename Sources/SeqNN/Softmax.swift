import Foundation

/// Softmax along `axis` (default 1, the channel axis of NCHW or the class axis of `[N, K]`),
/// computed stably by subtracting each slice's maximum.
public func softmax(_ x: Tensor, axis: Int = 1) -> Tensor {
    precondition(axis >= 0 && axis < x.rank, "softmax axis \(axis) out of range for shape \(x.shape)")
    let outer = x.shape[..<axis].reduce(1, *)
    let extent = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    var y = x
    y.data.withUnsafeMutableBufferPointer { yb in
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * extent * inner + i
                var m = -Float.infinity
                for k in 0..<extent { m = max(m, yb[base + k * inner]) }
                var sum: Float = 0
                for k in 0..<extent {
                    let e = expf(yb[base + k * inner] - m)
                    yb[base + k * inner] = e
                    sum += e
                }
                let inv = 1 / sum
                for k in 0..<extent { yb[base + k * inner] *= inv }
            }
        }
    }
    return y
}
