import Foundation
import SeqNN

/// Inference-only element-wise kernels for MTCNN that fuse what SeqNN keeps separate for
/// training (SeqNN's PReLU and max pooling remember their inputs and argmax for backward).
enum MTCNNKernels {
    /// PReLU in place on `[N, C, ...]`: `x > 0 ? x : slope[c] * x`.
    static func prelu(_ x: inout Tensor, slopes: [Float]) {
        let n = x.shape[0], c = x.shape[1]
        precondition(c == slopes.count, "PReLU over \(x.shape) with \(slopes.count) slopes")
        let inner = x.count / max(1, n * c)
        x.data.withUnsafeMutableBufferPointer { xb in
        slopes.withUnsafeBufferPointer { sb in
            var p = xb.baseAddress!
            for _ in 0..<n {
                for ch in 0..<c {
                    let a = sb[ch]
                    for j in 0..<inner {
                        let v = p[j]
                        p[j] = v > 0 ? v : a * v
                    }
                    p += inner
                }
            }
        }}
    }

    /// Caffe's output extent of an unpadded pooling window: rounded up, windows clipped at the border.
    static func poolExtent(_ size: Int, kernel: Int, stride: Int) -> Int {
        size <= kernel ? 1 : (size - kernel + stride - 1) / stride + 1
    }

    /// PReLU followed by max pooling (Caffe ceil rounding, no padding) over `[N, C, H, W]`,
    /// in one pass. PReLU is monotone on each side of zero, so the maximum of the activated
    /// window is the activation of the window's maximum or, for a negative slope, of the larger
    /// of the activations of its maximum and minimum.
    static func preluMaxPool(_ x: Tensor, slopes: [Float], kernel k: Int, stride s: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(c == slopes.count, "PReLU over \(x.shape) with \(slopes.count) slopes")
        let oh = poolExtent(h, kernel: k, stride: s), ow = poolExtent(w, kernel: k, stride: s)
        // Outputs whose window lies wholly inside the map; the rest are clipped at the border.
        let fullH = h >= k ? min(oh, (h - k) / s + 1) : 0
        let fullW = w >= k ? min(ow, (w - k) / s + 1) : 0
        // Every output is written below.
        let y = Tensor(shape: [n, c, oh, ow]) { yb in
        x.data.withUnsafeBufferPointer { xb in
        slopes.withUnsafeBufferPointer { sb in
            for plane in 0..<(n * c) {
                let src = xb.baseAddress! + plane * h * w
                let dst = yb.baseAddress! + plane * oh * ow
                let a = sb[plane % c]
                @inline(__always) func activate(_ hi: Float, _ lo: Float) -> Float {
                    let fh = hi > 0 ? hi : a * hi
                    if a >= 0 { return fh }
                    let fl = lo > 0 ? lo : a * lo
                    return max(fh, fl)
                }
                /// Any window, clipped at the border.
                func clipped(_ oy: Int, _ ox: Int) -> Float {
                    var hi = -Float.infinity, lo = Float.infinity
                    for iy in (oy * s)..<min(oy * s + k, h) {
                        for ix in (ox * s)..<min(ox * s + k, w) {
                            hi = max(hi, src[iy * w + ix]); lo = min(lo, src[iy * w + ix])
                        }
                    }
                    return activate(hi, lo)
                }
                for oy in 0..<oh {
                    let out = dst + oy * ow
                    var first = 0
                    if oy < fullH {
                        let r0 = src + oy * s * w
                        if k == 2 && s == 2 {
                            let r1 = r0 + w
                            for ox in 0..<fullW {
                                let p0 = r0 + 2 * ox, p1 = r1 + 2 * ox
                                let hi = max(max(p0[0], p0[1]), max(p1[0], p1[1]))
                                let lo = min(min(p0[0], p0[1]), min(p1[0], p1[1]))
                                out[ox] = activate(hi, lo)
                            }
                            first = fullW
                        } else if k == 3 && s == 2 {
                            let r1 = r0 + w, r2 = r1 + w
                            for ox in 0..<fullW {
                                let p0 = r0 + 2 * ox, p1 = r1 + 2 * ox, p2 = r2 + 2 * ox
                                let hi = max(max(max(p0[0], p0[1]), max(p0[2], p1[0])),
                                             max(max(p1[1], p1[2]), max(max(p2[0], p2[1]), p2[2])))
                                let lo = min(min(min(p0[0], p0[1]), min(p0[2], p1[0])),
                                             min(min(p1[1], p1[2]), min(min(p2[0], p2[1]), p2[2])))
                                out[ox] = activate(hi, lo)
                            }
                            first = fullW
                        }
                    }
                    for ox in first..<ow { out[ox] = clipped(oy, ox) }
                }
            }
        }}}
        return y
    }
}
