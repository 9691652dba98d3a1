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
    /// window is the activation of the window's maximum or of its minimum (negative slopes).
    static func preluMaxPool(_ x: Tensor, slopes: [Float], kernel k: Int, stride s: Int) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(c == slopes.count, "PReLU over \(x.shape) with \(slopes.count) slopes")
        let oh = poolExtent(h, kernel: k, stride: s), ow = poolExtent(w, kernel: k, stride: s)
        var y = Tensor(zeros: [n, c, oh, ow])
        // Per output row: the element-wise max and min over the window's input rows (a
        // vectorisable pass over whole rows), then over each window's columns.
        var colHi = [Float](repeating: 0, count: w), colLo = [Float](repeating: 0, count: w)
        x.data.withUnsafeBufferPointer { xb in
        y.data.withUnsafeMutableBufferPointer { yb in
        slopes.withUnsafeBufferPointer { sb in
        colHi.withUnsafeMutableBufferPointer { hb in
        colLo.withUnsafeMutableBufferPointer { lb in
            let hi = hb.baseAddress!, lo = lb.baseAddress!
            var src = xb.baseAddress!, dst = yb.baseAddress!
            for _ in 0..<(n * c) {
                let a = sb[(src - xb.baseAddress!) / (h * w) % c]
                // With a non-negative slope PReLU is monotone: only the maximum matters.
                let needMin = a < 0
                for oy in 0..<oh {
                    let y0 = oy * s, y1 = min(y0 + k, h)
                    let first = src + y0 * w
                    hi.update(from: first, count: w)
                    if needMin { lo.update(from: first, count: w) }
                    for iy in (y0 + 1)..<max(y0 + 1, y1) {
                        let row = src + iy * w
                        for ix in 0..<w { hi[ix] = max(hi[ix], row[ix]) }
                        if needMin { for ix in 0..<w { lo[ix] = min(lo[ix], row[ix]) } }
                    }
                    let out = dst + oy * ow
                    // Windows wholly inside the row first (fixed length), then the clipped tail.
                    let full = w >= k ? min(ow, (w - k) / s + 1) : 0
                    if k == 2 && s == 2 {
                        for ox in 0..<full { out[ox] = max(hi[2 * ox], hi[2 * ox + 1]) }
                    } else if k == 3 && s == 2 {
                        for ox in 0..<full { out[ox] = max(max(hi[2 * ox], hi[2 * ox + 1]), hi[2 * ox + 2]) }
                    } else {
                        for ox in 0..<full {
                            var m = hi[ox * s]
                            for ix in (ox * s + 1)..<(ox * s + k) { m = max(m, hi[ix]) }
                            out[ox] = m
                        }
                    }
                    for ox in full..<ow {
                        var m = hi[ox * s]
                        for ix in (ox * s)..<min(ox * s + k, w) { m = max(m, hi[ix]) }
                        out[ox] = m
                    }
                    if needMin {
                        for ox in 0..<ow {
                            let x0 = ox * s, x1 = min(x0 + k, w)
                            var mn = lo[x0]
                            for ix in x0..<x1 { mn = min(mn, lo[ix]) }
                            let fh = out[ox] > 0 ? out[ox] : a * out[ox], fl = mn > 0 ? mn : a * mn
                            out[ox] = max(fh, fl)
                        }
                    } else {
                        for ox in 0..<ow { let v = out[ox]; out[ox] = v > 0 ? v : a * v }
                    }
                }
                src += h * w
                dst += oh * ow
            }
        }}}}}
        return y
    }
}
