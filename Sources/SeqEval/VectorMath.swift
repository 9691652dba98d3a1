/// Small vector kernels on raw Float buffers, written for the hot loops of feature aggregation
/// and scoring (SeqEval has no BLAS dependency; these loops vectorise with SIMD8).
/// Multiply and add stay separate: `addProduct` lowers to a libm `fmaf` call per lane on
/// x86-64 builds without FMA enabled, several times slower.
enum VectorMath {
    /// Sum of `a[i] * b[i]`, accumulated in eight Float lanes and summed in Double.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Double {
        var acc = SIMD8<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 8 <= n {
            let va = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let vb = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += va * vb
            i += 8
        }
        var total = 0.0
        for lane in 0..<8 { total += Double(acc[lane]) }
        while i < n {
            total += Double(a[i]) * Double(b[i])
            i += 1
        }
        return total
    }

    /// Sum of squares; exact in Double when the fast Float sum overflows.
    static func sumOfSquares(_ a: UnsafePointer<Float>, count n: Int) -> Double {
        let fast = dot(a, a, count: n)
        if fast.isFinite { return fast }
        var total = 0.0
        for i in 0..<n { total += Double(a[i]) * Double(a[i]) }
        return total
    }

    /// The index of the first NaN or infinite element, if any.
    static func firstNonFinite(_ a: UnsafePointer<Float>, count n: Int) -> Int? {
        for i in 0..<n where !a[i].isFinite { return i }
        return nil
    }

    /// `acc += scale * x`.
    static func addScaled(_ x: UnsafePointer<Float>, scale: Float, into acc: UnsafeMutablePointer<Float>, count n: Int) {
        let v = SIMD8<Float>(repeating: scale)
        var i = 0
        let rx = UnsafeRawPointer(x), racc = UnsafeMutableRawPointer(acc)
        while i + 8 <= n {
            let xv = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            var av = racc.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            av += xv * v
            racc.storeBytes(of: av, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            acc[i] += scale * x[i]
            i += 1
        }
    }
}
