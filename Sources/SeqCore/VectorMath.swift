/// Dense-vector kernels on raw Float buffers, shared by the layers (SeqNN), the losses and heads
/// (SeqTrain) and feature scoring (SeqEval).
///
/// Accumulation rule for every reduction (`sum`, `dot`, `sumOfSquares`, `squaredDistance`):
/// terms are formed in Float and accumulated in sixteen Float lanes (`SIMD16<Float>`: the loop
/// vectorises although a float reduction may not be reordered, and sixteen lanes keep several
/// independent vector additions in flight); the sixteen lanes and the tail (`count % 16`
/// elements, formed in Double) are then summed in Double, and the result is Double.
/// If that result is not finite while the lanes overflowed on finite input, the whole reduction
/// is done again in Double, so large but finite vectors still give a finite answer; NaN or
/// infinite input still gives a non-finite result. Callers that work in Float convert the
/// result once.
///
/// Multiply and add stay separate: a fused multiply-add lowers to a libm `fmaf` call per lane
/// on x86-64 builds without FMA enabled, several times slower.
///
/// The kernels are `@inlinable` and always inlined, so they are compiled (and optimised) into
/// each calling module's hot loop rather than called across the module boundary; SeqCore itself
/// is built without optimisation in debug builds.
public enum VectorMath {
    /// `Σ p_i` over `count` elements.
    @inlinable @inline(__always)
    public static func sum(_ p: UnsafePointer<Float>, count n: Int) -> Double {
        let raw = UnsafeRawPointer(p)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc += raw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            i += 16
        }
        var total = lanes(acc)
        while i < n {
            total += Double(p[i])
            i += 1
        }
        if total.isFinite { return total }
        return exactSum(count: n) { Double(p[$0]) }
    }

    /// `Σ a_i b_i` over `count` elements.
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Double {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            acc += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            i += 16
        }
        var total = lanes(acc)
        while i < n {
            total += Double(a[i]) * Double(b[i])
            i += 1
        }
        if total.isFinite { return total }
        return exactSum(count: n) { Double(a[$0]) * Double(b[$0]) }
    }

    /// `Σ a_i²` over `count` elements.
    @inlinable @inline(__always)
    public static func sumOfSquares(_ a: UnsafePointer<Float>, count n: Int) -> Double {
        dot(a, a, count: n)
    }

    /// `Σ (a_i - b_i)²` over `count` elements.
    @inlinable @inline(__always)
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Double {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= n {
            let d = ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
                - rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            acc += d * d
            i += 16
        }
        var total = lanes(acc)
        while i < n {
            let d = Double(a[i]) - Double(b[i])
            total += d * d
            i += 1
        }
        if total.isFinite { return total }
        return exactSum(count: n) { let d = Double(a[$0]) - Double(b[$0]); return d * d }
    }

    /// `y += alpha * x` over `count` elements.
    @inlinable @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float>, scale alpha: Float, into y: UnsafeMutablePointer<Float>, count n: Int) {
        let v = SIMD16<Float>(repeating: alpha)
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        var i = 0
        while i + 16 <= n {
            var yv = ry.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self)
            yv += rx.loadUnaligned(fromByteOffset: i &* 4, as: SIMD16<Float>.self) * v
            ry.storeBytes(of: yv, toByteOffset: i &* 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// `y += alpha * (a - b)` over `count` elements.
    @inlinable @inline(__always)
    public static func addScaledDifference(_ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                           into y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += alpha * (a[i] - b[i]) }
    }

    /// The index of the first NaN or infinite element, if any.
    @inlinable
    public static func firstNonFinite(_ a: UnsafePointer<Float>, count n: Int) -> Int? {
        for i in 0..<n where !a[i].isFinite { return i }
        return nil
    }

    /// The sixteen lanes summed in Double, in lane order.
    @inlinable @inline(__always)
    static func lanes(_ acc: SIMD16<Float>) -> Double {
        var total = 0.0
        for lane in 0..<16 { total += Double(acc[lane]) }
        return total
    }

    /// The overflow fallback: every term in Double, in order. Not inlined (rare path).
    @inlinable @inline(never)
    static func exactSum(count n: Int, _ term: (Int) -> Double) -> Double {
        var total = 0.0
        for i in 0..<n { total += term(i) }
        return total
    }
}
