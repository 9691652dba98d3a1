/// Parametric ReLU with one learned slope per channel: `y = x > 0 ? x : slope[c] * x`.
///
/// Works on `[N, C, H, W]` and `[N, C]` (any shape whose second dimension is the channel).
public final class PReLU: Layer {
    public let channels: Int
    /// Negative-side slopes, shape `[C]`. No weight decay by default.
    public let slope: Parameter

    private var lastInput: Tensor?

    public init(channels: Int, initialSlope: Float = 0.25, name: String = "prelu") {
        self.channels = channels
        slope = Parameter(name: name + ".slope", value: Tensor(repeating: initialSlope, shape: [channels]),
                          lrMult: 1, decayMult: 0)
    }

    public var parameters: [Parameter] { [slope] }

    private func layout(_ shape: [Int]) -> (batch: Int, inner: Int) {
        precondition(shape.count >= 2 && shape[1] == channels,
                     "PReLU(\(slope.name)) expects [N, \(channels), ...], got \(shape)")
        return (shape[0], shape.dropFirst(2).reduce(1, *))
    }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, inner) = layout(x.shape)
        lastInput = x
        var y = x
        let c = channels
        y.data.withUnsafeMutableBufferPointer { yb in
        slope.value.data.withUnsafeBufferPointer { ab in
            var idx = 0
            for _ in 0..<n {
                for ch in 0..<c {
                    let a = ab[ch]
                    for j in idx..<(idx + inner) {
                        let v = yb[j]
                        yb[j] = v > 0 ? v : a * v
                    }
                    idx += inner
                }
            }
        }}
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = lastInput else { preconditionFailure("PReLU.backward before forward") }
        precondition(dy.shape == x.shape, "PReLU(\(slope.name)).backward: dy shape \(dy.shape) vs \(x.shape)")
        let (n, inner) = layout(x.shape)
        var dx = dy
        let c = channels
        x.data.withUnsafeBufferPointer { xb in
        dx.data.withUnsafeMutableBufferPointer { db in
        slope.value.data.withUnsafeBufferPointer { ab in
        slope.grad.data.withUnsafeMutableBufferPointer { gb in
            var idx = 0
            for _ in 0..<n {
                for ch in 0..<c {
                    let a = ab[ch]
                    // Sixteen lanes at a time: inputs straddle zero at random, so branches mispredict.
                    var lanes = SIMD16<Float>()
                    var j = idx
                    let end = idx + inner
                    let xr = UnsafeRawPointer(xb.baseAddress!), dr = UnsafeMutableRawPointer(db.baseAddress!)
                    let stride = MemoryLayout<Float>.stride
                    while j + 16 <= end {
                        let v = xr.loadUnaligned(fromByteOffset: j * stride, as: SIMD16<Float>.self)
                        let g = dr.loadUnaligned(fromByteOffset: j * stride, as: SIMD16<Float>.self)
                        let negative = v .<= 0
                        lanes += (g * v).replacing(with: 0, where: .!negative)
                        dr.storeBytes(of: g.replacing(with: g * a, where: negative), toByteOffset: j * stride,
                                      as: SIMD16<Float>.self)
                        j += 16
                    }
                    var da = lanes.sum()
                    while j < end {
                        let v = xb[j], g = db[j]
                        if v <= 0 {
                            da += g * v
                            db[j] = g * a
                        }
                        j += 1
                    }
                    gb[ch] += da
                    idx += inner
                }
            }
        }}}}
        return dx
    }
}
