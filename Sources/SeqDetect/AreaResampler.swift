import Foundation
import SeqMedia

/// A region of an 8-bit RGB or grayscale image, read as RGB values 0...255 (gray replicated
/// into the three channels). A view, not a copy: the pyramid levels and the R-/O-Net crops
/// read the frame's bytes directly. (A float copy of the whole frame, made once per detection
/// before, was four times the frame's size, and every pyramid level then read all of it: at
/// 720p that memory traffic was most of the resampling's cost.)
struct RGBRegion {
    let width: Int
    let height: Int
    /// The image and where the region starts in it.
    let source: Image
    let x0: Int
    let y0: Int
    /// Running column sums of this region, when made (`withColumnSums`): resampling then takes
    /// vertical windows by subtraction.
    private(set) var columnSums: ColumnSums?

    /// The region with its column sums, for a region that many resamplings read (the pyramid
    /// and the R-/O-Net crops of one detection); itself when too large to sum.
    func withColumnSums() -> RGBRegion {
        var r = self
        r.columnSums = ColumnSums(self)
        return r
    }

    /// The whole image.
    init(_ image: Image) {
        self.init(image, x0: 0, y0: 0, width: image.width, height: image.height)
    }

    /// The region `x0 ..< x0+width`, `y0 ..< y0+height` of the image: refinement reads a few
    /// faces of a frame, so its crops are taken relative to (and clipped to) that region.
    init(_ image: Image, x0: Int, y0: Int, width: Int, height: Int) {
        precondition(x0 >= 0 && y0 >= 0 && width > 0 && height > 0
                     && x0 + width <= image.width && y0 + height <= image.height, "region outside the image")
        source = image
        self.x0 = x0
        self.y0 = y0
        self.width = width
        self.height = height
    }

    /// Sets (`first`) or adds to `out` row `y` of the region from column `x` on, `count` pixels,
    /// as interleaved RGB floats. The same values, added in the same order, as a float copy of
    /// the image would give: results are bit-for-bit those of the earlier float path.
    @inline(__always)
    func row(_ y: Int, x: Int, count: Int, into out: UnsafeMutablePointer<Float>, first: Bool,
             _ px: UnsafeBufferPointer<UInt8>) {
        let channels = source.channels
        let line = px.baseAddress! + ((y0 + y) * source.width + x0 + x) * channels
        if channels == 3 {
            let n = count * 3
            if first { for j in 0..<n { out[j] = Float(line[j]) } } else { for j in 0..<n { out[j] += Float(line[j]) } }
        } else {
            for i in 0..<count {
                let v = Float(line[i * channels])
                if first { out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v } else { out[3 * i] += v; out[3 * i + 1] += v; out[3 * i + 2] += v }
            }
        }
    }
}

/// Running sums down the columns of a whole `RGBRegion`: entry `(y, j)` is the sum of
/// interleaved RGB value `j` over rows `0 ..< y`. Built once per detection, it gives every
/// pyramid level's vertical windows by one subtraction each, where each level would otherwise
/// read every row of the frame (at 720p, a dozen passes over 2.8 million values per key frame).
final class ColumnSums: @unchecked Sendable {
    /// The largest region summed (values): beyond it, a huge photo's sums would take more
    /// memory than the passes they save are worth.
    static let maxValues = 4096 * 4096 * 3

    let rowLength: Int
    private let sums: [UInt32]

    /// Nil when the region is larger than `maxValues`, or so tall that a column's sum could
    /// reach 2^24 (then Float would round it, and resampling would no longer match).
    init?(_ region: RGBRegion) {
        let rowLength = region.width * 3
        guard rowLength * region.height <= Self.maxValues, region.height * 255 < (1 << 24) else { return nil }
        self.rowLength = rowLength
        let channels = region.source.channels
        // Row 0 is zero and every later row is written: not zeroed first (11 MB at 720p).
        let count = (region.height + 1) * rowLength
        let sums = [UInt32](unsafeUninitializedCapacity: count) { sb, initialized in
        region.source.pixels.withUnsafeBufferPointer { px in
            sb.baseAddress!.initialize(repeating: 0, count: rowLength)
            for y in 0..<region.height {
                let line = px.baseAddress! + ((region.y0 + y) * region.source.width + region.x0) * channels
                let above = sb.baseAddress! + y * rowLength, here = above + rowLength
                if channels == 3 {
                    for j in 0..<rowLength { here[j] = above[j] &+ UInt32(line[j]) }
                } else {
                    for i in 0..<region.width {
                        let v = UInt32(line[i * channels])
                        for k in 0..<3 { here[3 * i + k] = above[3 * i + k] &+ v }
                    }
                }
            }
        }
            initialized = count
        }
        self.sums = sums
    }

    /// The sums of rows `rows` over the pixels `columns` (region coordinates), as interleaved
    /// RGB floats, into `out`.
    @inline(__always)
    func window(rows: Range<Int>, columns: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let n = columns.count * 3
        sums.withUnsafeBufferPointer { sb in
            let top = sb.baseAddress! + rows.lowerBound * rowLength + columns.lowerBound * 3
            let bottom = sb.baseAddress! + rows.upperBound * rowLength + columns.lowerBound * 3
            for j in 0..<n { out[j] = Float(bottom[j] &- top[j]) }
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
    /// With the region's column sums (`RGBRegion.withColumnSums`), each output row's vertical
    /// window is one subtraction instead of a pass over its rows: the same values to the bit.
    static func resample(_ image: RGBRegion, x0: Int, y0: Int, width: Int, height: Int,
                         outWidth: Int, outHeight: Int, gain: Float, offset: Float,
                         into dst: UnsafeMutablePointer<Float>) {
        precondition(x0 >= 0 && y0 >= 0 && width > 0 && height > 0
                     && x0 + width <= image.width && y0 + height <= image.height,
                     "resample region outside the image")
        let rows = windows(input: height, output: outHeight)
        let rowLength = width * 3
        // Vertical pass first (whole interleaved rows, vectorisable), so the scalar horizontal
        // pass only runs over the output rows. Averaging is separable, so the order is free.
        var vertical = [Float](repeating: 0, count: outHeight * rowLength)
        let sums = image.columnSums
        image.source.pixels.withUnsafeBufferPointer { px in
        vertical.withUnsafeMutableBufferPointer { vb in
        rows.start.withUnsafeBufferPointer { rs in
        rows.end.withUnsafeBufferPointer { re in
            for i in 0..<outHeight {
                let a = Int(rs[i]), b = Int(re[i])
                let out = vb.baseAddress! + i * rowLength
                if let sums {
                    // Sums of whole numbers below 2^24, so exact in Float either way.
                    sums.window(rows: (y0 + a)..<(y0 + b), columns: x0..<(x0 + width), into: out)
                } else {
                    image.row(y0 + a, x: x0, count: width, into: out, first: true, px)
                    for r in (a + 1)..<max(a + 1, b) { image.row(y0 + r, x: x0, count: width, into: out, first: false, px) }
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

    /// The whole image resized to `width` x `height` by area averaging (rounded to 8 bits): the
    /// arithmetic of `resample`, which reads the 8-bit rows directly (a float copy of the whole
    /// input would take four times its size, 1.7 GB for a 144-megapixel photo, just to shrink it).
    static func resized(_ image: Image, width: Int, height: Int) -> Image {
        let channels = image.channels
        var planes = [Float](repeating: 0, count: 3 * width * height)
        planes.withUnsafeMutableBufferPointer { pb in
            resample(RGBRegion(image), x0: 0, y0: 0, width: image.width, height: image.height,
                     outWidth: width, outHeight: height, gain: 1, offset: 0, into: pb.baseAddress!)
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
