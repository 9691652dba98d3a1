import Foundation
import SeqMedia

/// An RGB image as interleaved floats (0...255): converted once per detection so the pyramid
/// levels and crops, which each read the frame again, do no integer conversions.
struct FloatRGBImage {
    let width: Int
    let height: Int
    /// `height * width * 3` values, rows top to bottom, RGB interleaved.
    let pixels: [Float]

    /// Converts an 8-bit RGB or grayscale image (gray is replicated into the three channels).
    init(_ image: Image) {
        width = image.width
        height = image.height
        let count = image.width * image.height
        let channels = image.channels
        let table = (0..<256).map { Float($0) }
        pixels = [Float](unsafeUninitializedCapacity: count * 3) { out, initialised in
            image.pixels.withUnsafeBufferPointer { src in
            table.withUnsafeBufferPointer { t in
                if channels == 3 {
                    for i in 0..<(count * 3) { out[i] = t[Int(src[i])] }
                } else {
                    for i in 0..<count {
                        let v = t[Int(src[i * channels])]
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    }
                }
            }}
            initialised = count * 3
        }
    }

    /// Converts the region `x0 ..< x0+width`, `y0 ..< y0+height` of an 8-bit RGB or grayscale
    /// image: refinement reads a few faces of a frame, so converting the whole frame would cost
    /// more than the networks.
    init(_ image: Image, x0: Int, y0: Int, width: Int, height: Int) {
        precondition(x0 >= 0 && y0 >= 0 && width > 0 && height > 0
                     && x0 + width <= image.width && y0 + height <= image.height, "region outside the image")
        self.width = width
        self.height = height
        let channels = image.channels, stride = image.width
        pixels = [Float](unsafeUninitializedCapacity: width * height * 3) { out, initialised in
            image.pixels.withUnsafeBufferPointer { src in
                var o = 0
                for y in y0..<(y0 + height) {
                    var i = (y * stride + x0) * channels
                    for _ in 0..<width {
                        if channels == 3 {
                            out[o] = Float(src[i]); out[o + 1] = Float(src[i + 1]); out[o + 2] = Float(src[i + 2])
                        } else {
                            let v = Float(src[i])
                            out[o] = v; out[o + 1] = v; out[o + 2] = v
                        }
                        o += 3
                        i += channels
                    }
                }
            }
            initialised = width * height * 3
        }
    }
}

/// Area-average resampling as PyTorch's `interpolate(mode: "area")` (adaptive average pooling)
/// computes it: output pixel `i` of `n` along an axis of `m` input pixels averages input pixels
/// `floor(i*m/n) ..< ceil((i+1)*m/n)` with equal weights. MTCNN's reference resamples its
/// pyramid and its R-/O-Net crops this way; matching it keeps scores within a few thousandths.
enum AreaResampler {
    /// The input windows of every output index along one axis.
    static func windows(input m: Int, output n: Int) -> (start: [Int32], end: [Int32]) {
        var start = [Int32](repeating: 0, count: n), end = [Int32](repeating: 0, count: n)
        for i in 0..<n {
            start[i] = Int32((i * m) / n)
            end[i] = Int32(((i + 1) * m + n - 1) / n)
        }
        return (start, end)
    }

    /// Resamples the region `x0 ..< x0+width`, `y0 ..< y0+height` of `image` to
    /// `outWidth` x `outHeight` and writes `average * gain + offset` as three float planes (CHW)
    /// at `dst`.
    static func resample(_ image: FloatRGBImage, x0: Int, y0: Int, width: Int, height: Int,
                         outWidth: Int, outHeight: Int, gain: Float, offset: Float,
                         into dst: UnsafeMutablePointer<Float>) {
        precondition(x0 >= 0 && y0 >= 0 && width > 0 && height > 0
                     && x0 + width <= image.width && y0 + height <= image.height,
                     "resample region outside the image")
        let rows = windows(input: height, output: outHeight)
        let stride = image.width * 3
        let rowLength = width * 3
        // Vertical pass first (whole interleaved rows, vectorisable), so the scalar horizontal
        // pass only runs over the output rows. Averaging is separable, so the order is free.
        var vertical = [Float](repeating: 0, count: outHeight * rowLength)
        image.pixels.withUnsafeBufferPointer { px in
        vertical.withUnsafeMutableBufferPointer { vb in
        rows.start.withUnsafeBufferPointer { rs in
        rows.end.withUnsafeBufferPointer { re in
            let src = px.baseAddress! + y0 * stride + x0 * 3
            for i in 0..<outHeight {
                let a = Int(rs[i]), b = Int(re[i])
                let out = vb.baseAddress! + i * rowLength
                out.update(from: src + a * stride, count: rowLength)
                for r in (a + 1)..<max(a + 1, b) {
                    let line = src + r * stride
                    for j in 0..<rowLength { out[j] += line[j] }
                }
                if b - a > 1 {
                    let inv = 1 / Float(b - a)
                    for j in 0..<rowLength { out[j] *= inv }
                }
            }
        }}}}
        // Horizontal pass into planar output, normalised on the way.
        horizontalPass(vertical, rowLength: rowLength, inputWidth: width, outWidth: outWidth, outHeight: outHeight,
                       gain: gain, offset: offset, into: dst)
    }

    /// Averages each output pixel's columns of the vertically resampled rows (interleaved RGB,
    /// `rowLength` floats each) into three planes at `dst`, times `gain` plus `offset`.
    private static func horizontalPass(_ vertical: [Float], rowLength: Int, inputWidth: Int, outWidth: Int, outHeight: Int,
                                       gain: Float, offset: Float, into dst: UnsafeMutablePointer<Float>) {
        let cols = windows(input: inputWidth, output: outWidth)
        let plane = outWidth * outHeight
        vertical.withUnsafeBufferPointer { vb in
        cols.start.withUnsafeBufferPointer { cs in
        cols.end.withUnsafeBufferPointer { ce in
            for i in 0..<outHeight {
                let row = vb.baseAddress! + i * rowLength
                let o0 = dst + i * outWidth, o1 = o0 + plane, o2 = o1 + plane
                for j in 0..<outWidth {
                    let a = Int(cs[j]), b = Int(ce[j])
                    let scale = gain / Float(b - a)
                    var s0: Float = 0, s1: Float = 0, s2: Float = 0
                    var p = row + a * 3
                    for _ in a..<b {
                        s0 += p[0]; s1 += p[1]; s2 += p[2]
                        p += 3
                    }
                    o0[j] = s0 * scale + offset
                    o1[j] = s1 * scale + offset
                    o2[j] = s2 * scale + offset
                }
            }
        }}}
    }

    /// The whole image resized to `width` x `height` by area averaging (rounded to 8 bits).
    /// The same arithmetic as `resample` on a `FloatRGBImage`, but the vertical pass reads the
    /// 8-bit rows directly: a float copy of the whole input would take four times its size
    /// (1.7 GB for a 144-megapixel photo) just to shrink it.
    static func resized(_ image: Image, width: Int, height: Int) -> Image {
        let rows = windows(input: image.height, output: height)
        let rowLength = image.width * 3
        let channels = image.channels
        var vertical = [Float](repeating: 0, count: height * rowLength)
        let table = (0..<256).map { Float($0) }
        image.pixels.withUnsafeBufferPointer { px in
        table.withUnsafeBufferPointer { t in
        vertical.withUnsafeMutableBufferPointer { vb in
            // One source row as floats, gray replicated into three channels as FloatRGBImage does.
            func add(_ r: Int, to out: UnsafeMutablePointer<Float>, first: Bool) {
                let line = px.baseAddress! + r * image.width * channels
                if channels == 3 {
                    if first { for j in 0..<rowLength { out[j] = t[Int(line[j])] } } else { for j in 0..<rowLength { out[j] += t[Int(line[j])] } }
                } else {
                    for x in 0..<image.width {
                        let v = t[Int(line[x * channels])]
                        if first { out[3 * x] = v; out[3 * x + 1] = v; out[3 * x + 2] = v } else { out[3 * x] += v; out[3 * x + 1] += v; out[3 * x + 2] += v }
                    }
                }
            }
            for i in 0..<height {
                let a = Int(rows.start[i]), b = Int(rows.end[i])
                let out = vb.baseAddress! + i * rowLength
                add(a, to: out, first: true)
                for r in (a + 1)..<max(a + 1, b) { add(r, to: out, first: false) }
                if b - a > 1 {
                    let inv = 1 / Float(b - a)
                    for j in 0..<rowLength { out[j] *= inv }
                }
            }
        }}}
        var planes = [Float](repeating: 0, count: 3 * width * height)
        planes.withUnsafeMutableBufferPointer { pb in
            horizontalPass(vertical, rowLength: rowLength, inputWidth: image.width, outWidth: width, outHeight: height,
                           gain: 1, offset: 0, into: pb.baseAddress!)
        }
        let outChannels = channels == 1 ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: width * height * outChannels)
        let plane = width * height
        for i in 0..<plane {
            for c in 0..<outChannels {
                pixels[i * outChannels + c] = UInt8(min(255, max(0, (planes[c * plane + i]).rounded())))
            }
        }
        return Image(width: width, height: height, channels: outChannels, pixels: pixels)
    }
}
