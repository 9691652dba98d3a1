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
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var acc = [Double](repeating: 0, count: c)
                for oy in 0..<outH {
                    let y0 = Double(oy) * sy, y1 = y0 + sy
                    let iy0 = min(Int(y0), height - 1), iy1 = min(max(Int((y1 - 1e-9).rounded(.up)), iy0 + 1), height)
                    for ox in 0..<outW {
                        let x0 = Double(ox) * sx, x1 = x0 + sx
                        let ix0 = min(Int(x0), width - 1), ix1 = min(max(Int((x1 - 1e-9).rounded(.up)), ix0 + 1), width)
                        for k in 0..<c { acc[k] = 0 }
                        var total = 0.0
                        for y in iy0..<iy1 {
                            let wy = min(Double(y + 1), y1) - max(Double(y), y0)
                            guard wy > 0 else { continue }
                            for x in ix0..<ix1 {
                                let wx = min(Double(x + 1), x1) - max(Double(x), x0)
                                guard wx > 0 else { continue }
                                let w = wx * wy
                                let base = (y * width + x) * c
                                for k in 0..<c { acc[k] += w * Double(src[base + k]) }
                                total += w
                            }
                        }
                        if total <= 0 {
                            let base = (iy0 * width + ix0) * c
                            for k in 0..<c { dst[(oy * outW + ox) * c + k] = src[base + k] }
                        } else {
                            for k in 0..<c { dst[(oy * outW + ox) * c + k] = UInt8(min(255, max(0, (acc[k] / total).rounded()))) }
                        }
                    }
                }
            }
        }
        return Image(width: outW, height: outH, channels: c, pixels: out)
    }
}
