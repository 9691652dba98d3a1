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
        let c = channels
        // One pass from x into a fresh buffer (no copy of x first), planes split across threads.
        return x.data.withUnsafeBufferPointer { xb in
        slope.value.data.withUnsafeBufferPointer { ab in
            Tensor(shape: x.shape) { yb in
                let xp = xb.baseAddress!, yp = yb.baseAddress!, a = ab.baseAddress!
                ParallelLoop.split(n * c, work: 2 * n * c * inner) { planes in
                    for plane in planes {
                        let slope = a[plane % c]
                        let src = xp + plane * inner, dst = yp + plane * inner
                        var j = 0
                        while j + 16 <= inner {
                            let v = UnsafeRawPointer(src + j).loadUnaligned(as: SIMD16<Float>.self)
                            UnsafeMutableRawPointer(dst + j).storeBytes(
                                of: v.replacing(with: v * slope, where: v .<= 0), as: SIMD16<Float>.self)
                            j += 16
                        }
                        while j < inner {
                            let v = src[j]
                            dst[j] = v > 0 ? v : slope * v
                            j += 1
                        }
                    }
                }
            }
        }}
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = lastInput else { preconditionFailure("PReLU.backward before forward") }
        precondition(dy.shape == x.shape, "PReLU(\(slope.name)).backward: dy shape \(dy.shape) vs \(x.shape)")
        let (n, inner) = layout(x.shape)
        let c = channels
        // dx goes to a fresh buffer (no copy of dy first). Channels are split across threads;
        // each channel's slope gradient still sums its images in order, as the serial loop did.
        return x.data.withUnsafeBufferPointer { xb in
        dy.data.withUnsafeBufferPointer { gb in
        slope.value.data.withUnsafeBufferPointer { ab in
        slope.grad.data.withUnsafeMutableBufferPointer { sgb in
            Tensor(shape: x.shape) { db in
                let xp = xb.baseAddress!, gp = gb.baseAddress!, dp = db.baseAddress!
                let a = ab.baseAddress!, sg = sgb.baseAddress!
                ParallelLoop.split(c, work: 3 * n * c * inner) { chs in
                    for i in 0..<n {
                        for ch in chs {
                            let idx = (i * c + ch) * inner
                            sg[ch] += Self.backwardPlane(x: xp + idx, dy: gp + idx, dx: dp + idx, count: inner, slope: a[ch])
                        }
                    }
                }
            }
        }}}}
    }

    /// `dx` of one plane, and its contribution to the slope gradient (sum of `dy * x` where x <= 0).
    @inline(__always)
    private static func backwardPlane(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                      count: Int, slope a: Float) -> Float {
        // Sixteen lanes at a time: inputs straddle zero at random, so branches mispredict.
        var lanes = SIMD16<Float>()
        var j = 0
        while j + 16 <= count {
            let v = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self)
            let g = UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD16<Float>.self)
            let negative = v .<= 0
            lanes += (g * v).replacing(with: 0, where: .!negative)
            UnsafeMutableRawPointer(dx + j).storeBytes(of: g.replacing(with: g * a, where: negative), as: SIMD16<Float>.self)
            j += 16
        }
        var da = lanes.sum()
        while j < count {
            let v = x[j], g = dy[j]
            if v <= 0 {
                da += g * v
                dx[j] = g * a
            } else {
                dx[j] = g
            }
            j += 1
        }
        return da
    }
}
