import Foundation

extension Image {
    /// The image scaled to `width` x `height` by averaging the source area under each output pixel
    /// (a box filter: the right choice for shrinking; it falls back to nearest pixels when growing).
    public func resizedArea(width outW: Int, height outH: Int) -> Image {
        precondition(outW > 0 && outH > 0, "empty output size")
        if outW == width && outH == height { return self }
        let c = channels
        var out = [UInt8](repeating: 0, count: outW * outH * c)
        let sx = Double(width) / Double(outW), sy = Double(height) / Double(outH)
        let cols = AreaSpans(source: width, target: outW, scale: sx)
        let rows = AreaSpans(source: height, target: outH, scale: sy)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var acc = [Double](repeating: 0, count: c)
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        let o = (oy * outW + ox) * c
                        var total = 0.0
                        if c == 3 {
                            // RGB (crops and their thumbnails): the channels in registers, summed
                            // in the same order as below, so the bytes are the same.
                            var r = 0.0, g = 0.0, b = 0.0
                            for j in rows.range(oy) {
                                let wy = rows.weights[j]
                                for i in cols.range(ox) {
                                    let w = cols.weights[i] * wy
                                    let base = (rows.index[j] * width + cols.index[i]) * 3
                                    r += w * Double(src[base]); g += w * Double(src[base + 1]); b += w * Double(src[base + 2])
                                    total += w
                                }
                            }
                            acc[0] = r; acc[1] = g; acc[2] = b
                        } else {
                            for k in 0..<c { acc[k] = 0 }
                            for j in rows.range(oy) {
                                let wy = rows.weights[j]
                                for i in cols.range(ox) {
                                    let w = cols.weights[i] * wy
                                    let base = (rows.index[j] * width + cols.index[i]) * c
                                    for k in 0..<c { acc[k] += w * Double(src[base + k]) }
                                    total += w
                                }
                            }
                        }
                        if total <= 0 {
                            let base = (rows.first[oy] * width + cols.first[ox]) * c
                            for k in 0..<c { dst[o + k] = src[base + k] }
                        } else {
                            for k in 0..<c { dst[o + k] = UInt8(min(255, max(0, (acc[k] / total).rounded()))) }
                        }
                    }
                }
            }
        }
        return Image(width: outW, height: outH, channels: c, pixels: out)
    }
}

/// The source pixels under each output pixel along one axis and their overlaps, computed once
/// per axis instead of once per output pixel: output `o` covers the entries `range(o)` of `index`
/// (source pixels) and `weights` (their overlap, positive), and `first[o]` is the pixel a
/// coverless output copies.
private struct AreaSpans {
    var index: [Int] = []
    var weights: [Double] = []
    var start: [Int] = []
    var first: [Int] = []

    init(source: Int, target: Int, scale: Double) {
        for o in 0..<target {
            let a = Double(o) * scale, b = a + scale
            let i0 = min(Int(a), source - 1), i1 = min(max(Int((b - 1e-9).rounded(.up)), i0 + 1), source)
            start.append(index.count)
            first.append(i0)
            for i in i0..<i1 {
                let w = min(Double(i + 1), b) - max(Double(i), a)
                if w > 0 { index.append(i); weights.append(w) }
            }
        }
        start.append(index.count)
    }

    func range(_ o: Int) -> Range<Int> { start[o]..<start[o + 1] }
}
