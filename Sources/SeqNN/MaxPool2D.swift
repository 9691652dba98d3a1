/// Max pooling over NCHW tensors with Caffe's rounding: the output size is rounded UP,
/// `out = ceil((H + 2*pad - k) / s) + 1` (minus one if the last window would start in the
/// padding), and windows that run past the border are clipped.
public final class MaxPool2D: Layer {
    public let kernel: Int
    public let stride: Int
    public let padding: Int

    private var lastShape: [Int] = []
    /// Flat input index of each output's maximum, for the backward pass.
    private var argmax: [Int32] = []

    public init(kernel: Int, stride: Int, padding: Int = 0) {
        precondition(kernel > 0 && stride > 0 && padding >= 0 && padding < kernel)
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// Output extent along one axis of size `size`, Caffe style.
    public func outputExtent(_ size: Int) -> Int {
        let span = size + 2 * padding - kernel
        var out = (span <= 0 ? 0 : (span + stride - 1) / stride) + 1
        if padding > 0 && (out - 1) * stride >= size + padding { out -= 1 }
        return out
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "MaxPool2D expects [N, C, H, W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = outputExtent(h), ow = outputExtent(w)
        lastShape = x.shape
        var y = Tensor(zeros: [n, c, oh, ow])
        if argmax.count != y.count { argmax = [Int32](repeating: 0, count: y.count) }
        let k = kernel, s = stride, p = padding
        x.data.withUnsafeBufferPointer { xb in
        y.data.withUnsafeMutableBufferPointer { yb in
        argmax.withUnsafeMutableBufferPointer { ab in
            var o = 0
            for plane in 0..<(n * c) {
                let base = plane * h * w
                for oy in 0..<oh {
                    let y0 = max(oy * s - p, 0), y1 = min(oy * s - p + k, h)
                    for ox in 0..<ow {
                        let x0 = max(ox * s - p, 0), x1 = min(ox * s - p + k, w)
                        var best = -Float.infinity
                        var bestIndex = base + y0 * w + x0
                        for iy in y0..<y1 {
                            let row = base + iy * w
                            for ix in x0..<x1 where xb[row + ix] > best {
                                best = xb[row + ix]
                                bestIndex = row + ix
                            }
                        }
                        yb[o] = best
                        ab[o] = Int32(truncatingIfNeeded: bestIndex)
                        o += 1
                    }
                }
            }
        }}}
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.count == argmax.count, "MaxPool2D.backward: dy shape \(dy.shape) does not match forward")
        var dx = Tensor(zeros: lastShape)
        dy.data.withUnsafeBufferPointer { db in
        dx.data.withUnsafeMutableBufferPointer { xb in
        argmax.withUnsafeBufferPointer { ab in
            for i in 0..<db.count { xb[Int(ab[i])] += db[i] }
        }}}
        return dx
    }
}
