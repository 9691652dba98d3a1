/// Small dense-vector kernels for the losses and heads, written with SIMD so that
/// debug and release builds both stay fast without BLAS call overhead on short rows.
enum VectorMath {
    /// `Σ (a_i - b_i)^2` over `count` elements.
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let d = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += d * d
            i += 8
        }
        var s = acc.sum()
        while i < count {
            let d = a[i] - b[i]
            s += d * d
            i += 1
        }
        return s
    }

    /// `Σ a_i b_i` over `count` elements.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            i += 8
        }
        var s = acc.sum()
        while i < count {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// `y += alpha * (a - b)` over `count` elements.
    @inline(__always)
    static func addScaledDifference(_ alpha: Float, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                    into y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] += alpha * (a[i] - b[i]) }
    }
}
