import Foundation
import SeqNN

/// Inference-only element-wise kernels for MTCNN that fuse what SeqNN keeps separate for
/// training (SeqNN's PReLU and max pooling remember their inputs and argmax for backward).
enum MTCNNKernels {
    /// P-Net's first layer (3 → 10 channels, 3x3, stride 1, no padding) computed directly: four
    /// output pixels at a time, all ten output channels in registers, each of the 27 input taps
    /// loaded once and multiplied into the ten. It runs over a whole pyramid level, where im2col
    /// and a matrix product write, pack and read again a 27-row column matrix of the level (at
    /// 720p the largest single cost of a key frame). Sums run bias first, then the taps in
    /// (channel, row, column) order: results agree with the product's to float rounding.
    /// Other shapes go through `Conv2D`.
    static func pnetFirstLayer(_ x: Tensor, _ conv: Conv2D) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard conv.inChannels == 3, conv.outChannels == 10, conv.kernelH == 3, conv.kernelW == 3,
              conv.stride == 1, conv.padding == 0, c == 3, h >= 3, w >= 3 else { return conv.forward(x) }
        let oh = h - 2, ow = w - 2, plane = oh * ow
        // Weight (o, tap) as a vector of four equal lanes, taps in (channel, row, column) order.
        var taps = [SIMD4<Float>](repeating: .zero, count: 270)
        for o in 0..<10 { for t in 0..<27 { taps[t * 10 + o] = SIMD4(repeating: conv.weight.value.data[o * 27 + t]) } }
        let bias = conv.bias.value.data
        return Tensor(shape: [n, 10, oh, ow]) { yb in
        x.data.withUnsafeBufferPointer { xb in
        taps.withUnsafeBufferPointer { tb in
            let wt = tb.baseAddress!
            for image in 0..<n {
                let input = xb.baseAddress! + image * 3 * h * w
                let output = yb.baseAddress! + image * 10 * plane
                // Offsets of the 27 taps from an output pixel's top-left input.
                var offsets = [Int](repeating: 0, count: 27)
                for ci in 0..<3 { for ky in 0..<3 { for kx in 0..<3 { offsets[(ci * 3 + ky) * 3 + kx] = (ci * h + ky) * w + kx } } }
                offsets.withUnsafeBufferPointer { ob in
                for y in 0..<oh {
                    let rowIn = input + y * w, rowOut = output + y * ow
                    var i = 0
                    while i + 4 <= ow {
                        var a0 = SIMD4<Float>(repeating: bias[0]), a1 = SIMD4<Float>(repeating: bias[1])
                        var a2 = SIMD4<Float>(repeating: bias[2]), a3 = SIMD4<Float>(repeating: bias[3])
                        var a4 = SIMD4<Float>(repeating: bias[4]), a5 = SIMD4<Float>(repeating: bias[5])
                        var a6 = SIMD4<Float>(repeating: bias[6]), a7 = SIMD4<Float>(repeating: bias[7])
                        var a8 = SIMD4<Float>(repeating: bias[8]), a9 = SIMD4<Float>(repeating: bias[9])
                        let base = rowIn + i
                        for t in 0..<27 {
                            let v = UnsafeRawPointer(base + ob[t]).loadUnaligned(as: SIMD4<Float>.self)
                            let k = wt + t * 10
                            a0 += k[0] * v; a1 += k[1] * v; a2 += k[2] * v; a3 += k[3] * v; a4 += k[4] * v
                            a5 += k[5] * v; a6 += k[6] * v; a7 += k[7] * v; a8 += k[8] * v; a9 += k[9] * v
                        }
                        let o = rowOut + i
                        UnsafeMutableRawPointer(o).storeBytes(of: a0, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + plane).storeBytes(of: a1, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 2 * plane).storeBytes(of: a2, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 3 * plane).storeBytes(of: a3, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 4 * plane).storeBytes(of: a4, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 5 * plane).storeBytes(of: a5, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 6 * plane).storeBytes(of: a6, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 7 * plane).storeBytes(of: a7, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 8 * plane).storeBytes(of: a8, as: SIMD4<Float>.self)
                        UnsafeMutableRawPointer(o + 9 * plane).storeBytes(of: a9, as: SIMD4<Float>.self)
                        i += 4
                    }
                    // The last pixels of the row, one at a time, in the same order.
                    while i < ow {
                        for oc in 0..<10 {
                            var a = bias[oc]
                            for t in 0..<27 { a += wt[t * 10 + oc][0] * rowIn[i + ob[t]] }
                            rowOut[oc * plane + i] = a
                        }
                        i += 1
                    }
                }
                }
            }
        }}}
    }

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
