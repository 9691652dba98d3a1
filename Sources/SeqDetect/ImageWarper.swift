import Foundation
import SeqMedia

/// What a warp samples outside the source image.
public enum BorderMode: Sendable, Equatable {
    /// A constant value in every channel (0 = black).
    case constant(UInt8)
    /// The nearest edge pixel.
    case replicate
}

/// Bilinear resampling of an image through an affine map.
public enum ImageWarper {
    /// The `width` x `height` image whose pixel (u, v) shows the source at `outputToSource(u, v)`,
    /// interpolated bilinearly. When one output pixel covers more than one source pixel, it
    /// averages an n x n grid of bilinear samples (n = the rounded-up scale, at most 4) so that
    /// shrinking does not alias.
    public static func warp(_ image: Image, width: Int, height: Int, outputToSource m: AffineTransform,
                            border: BorderMode = .replicate) -> Image {
        precondition(width > 0 && height > 0, "warp to an empty image")
        let channels = image.channels
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let n = max(1, min(4, Int(m.scale.rounded(.up))))
        let inv = 1 / Float(n * n)
        let sw = image.width, sh = image.height
        let constant: Float
        switch border {
        case .constant(let v): constant = Float(v)
        case .replicate: constant = 0
        }
        let replicate = border == .replicate
        image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            var acc = [Float](repeating: 0, count: channels)
            acc.withUnsafeMutableBufferPointer { accb in
                let acc = accb.baseAddress!
                /// Adds `weight` x the source pixel (x, y), or the border value, to `acc`.
                @inline(__always) func tap(_ x: Int, _ y: Int, _ weight: Float) {
                    if weight == 0 { return }
                    if x >= 0 && x < sw && y >= 0 && y < sh || replicate {
                        let base = (min(max(y, 0), sh - 1) * sw + min(max(x, 0), sw - 1)) * channels
                        for k in 0..<channels { acc[k] += weight * Float(src[base + k]) }
                    } else {
                        for k in 0..<channels { acc[k] += weight * constant }
                    }
                }
                // Sub-sample offsets centred on the output pixel.
                let offsets = (0..<n).map { (Float($0) + 0.5) / Float(n) - 0.5 }
                let px = src.baseAddress!
                for v in 0..<height {
                    for u in 0..<width {
                        for k in 0..<channels { acc[k] = 0 }
                        for sy in 0..<n {
                            for sx in 0..<n {
                                let fu = Float(u) + offsets[sx], fv = Float(v) + offsets[sy]
                                let x = m.a * fu + m.b * fv + m.tx
                                let y = m.c * fu + m.d * fv + m.ty
                                guard abs(x) < 1e7, abs(y) < 1e7 else { continue }  // also rejects NaN
                                // Floor without a libm call: truncate, then step down for negatives.
                                var x0 = Int(x), y0 = Int(y)
                                if Float(x0) > x { x0 -= 1 }
                                if Float(y0) > y { y0 -= 1 }
                                let wx = x - Float(x0), wy = y - Float(y0)
                                if channels == 3 && x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh {
                                    // All four taps inside: no border logic.
                                    let p = px + (y0 * sw + x0) * 3, q = p + sw * 3
                                    let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                                    acc[0] += w00 * Float(p[0]) + w10 * Float(p[3]) + w01 * Float(q[0]) + w11 * Float(q[3])
                                    acc[1] += w00 * Float(p[1]) + w10 * Float(p[4]) + w01 * Float(q[1]) + w11 * Float(q[4])
                                    acc[2] += w00 * Float(p[2]) + w10 * Float(p[5]) + w01 * Float(q[2]) + w11 * Float(q[5])
                                    continue
                                }
                                tap(x0, y0, (1 - wx) * (1 - wy))
                                tap(x0 + 1, y0, wx * (1 - wy))
                                tap(x0, y0 + 1, (1 - wx) * wy)
                                tap(x0 + 1, y0 + 1, wx * wy)
                            }
                        }
                        let o = (v * width + u) * channels
                        for k in 0..<channels { dst[o + k] = UInt8(min(255, max(0, acc[k] * inv + 0.5))) }
                    }
                }
            }
        }}
        return Image(width: width, height: height, channels: channels, pixels: out)
    }
}
