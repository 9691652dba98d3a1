/// Sum of `count` floats, sixteen lanes at a time (a plain loop cannot vectorise a float
/// reduction because it must keep the addition order).
@inline(__always)
func vectorSum(_ p: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(p)
    var lanes = SIMD16<Float>()
    var j = 0
    while j + 16 <= count {
        lanes += raw.loadUnaligned(fromByteOffset: j * MemoryLayout<Float>.stride, as: SIMD16<Float>.self)
        j += 16
    }
    var s = lanes.sum()
    while j < count {
        s += p[j]
        j += 1
    }
    return s
}
