import Foundation

/// Scales each row of `[N, D]` (any `[N, ...]`, flattened per sample) to unit Euclidean length:
/// `y = x / sqrt(sum(x^2) + eps)`.
public final class L2Normalize: Layer {
    /// Keeps the division finite for an all-zero row.
    public let epsilon: Float

    private var lastOutput: Tensor?
    private var norms: [Float] = []

    public init(epsilon: Float = 1e-10) {
        self.epsilon = epsilon
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 1, "L2Normalize needs a batch dimension")
        let n = x.shape[0], d = n == 0 ? 0 : x.count / n
        var y = x
        norms = [Float](repeating: 0, count: n)
        let eps = epsilon
        y.data.withUnsafeMutableBufferPointer { yb in
        norms.withUnsafeMutableBufferPointer { nb in
            for i in 0..<n {
                let row = yb.baseAddress! + i * d
                var ss: Double = 0
                for j in 0..<d { ss += Double(row[j]) * Double(row[j]) }
                let norm = Float((ss + Double(eps)).squareRoot())
                nb[i] = norm
                let inv = 1 / norm
                for j in 0..<d { row[j] *= inv }
            }
        }}
        lastOutput = y
        return y
    }

    /// `dx = (dy - y * <dy, y>) / norm`, per row.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let y = lastOutput else { preconditionFailure("L2Normalize.backward before forward") }
        precondition(dy.shape == y.shape, "L2Normalize.backward: dy shape \(dy.shape) vs \(y.shape)")
        let n = y.shape[0], d = n == 0 ? 0 : y.count / n
        var dx = dy
        y.data.withUnsafeBufferPointer { yb in
        dx.data.withUnsafeMutableBufferPointer { db in
        norms.withUnsafeBufferPointer { nb in
            for i in 0..<n {
                let base = i * d
                var dot: Float = 0
                for j in 0..<d { dot += db[base + j] * yb[base + j] }
                let inv = 1 / nb[i]
                for j in 0..<d { db[base + j] = (db[base + j] - yb[base + j] * dot) * inv }
            }
        }}}
        return dx
    }
}
