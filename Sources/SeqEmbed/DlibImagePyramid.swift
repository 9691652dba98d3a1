import Foundation
import SeqMedia

/// The image pyramid dlib's frontal face detector scans, computed only where it is needed but
/// value for value as dlib computes whole levels: level 0 is the image upsampled once
/// (`pyramid_up` with `pyramid_down<2>`), level k + 1 is level k shrunk by `pyramid_down<6>`
/// (to floor(5 n / 6)). Both are dlib's bilinear `resize_image` for RGB images, which works
/// four columns at a time in float32 (positions accumulated in float32 from the left edge,
/// truncated) and finishes the last columns in double; `tools/dlib_hog.py` holds the same in
/// numpy and finds it equal to dlib's own `resize_image` on every pixel.
///
/// A face's candidate boxes need a window of one level; `region(level:rect:)` works back to the
/// pixels of the image that window depends on and resamples only those.
struct DlibImagePyramid {
    /// A rectangle of one level (or of the image): RGB pixels, row-major.
    struct Region {
        var x0: Int, y0: Int, width: Int, height: Int
        var pixels: [UInt8]

        func at(_ x: Int, _ y: Int, _ channel: Int) -> UInt8 {
            pixels[((y - y0) * width + (x - x0)) * 3 + channel]
        }

        /// The part of this region inside `rect` (which it must cover).
        func cropped(to rect: Rect) -> Region {
            if rect.x.lowerBound == x0, rect.y.lowerBound == y0, rect.x.count == width, rect.y.count == height { return self }
            var out = [UInt8]()
            out.reserveCapacity(rect.x.count * rect.y.count * 3)
            for y in rect.y {
                let from = ((y - y0) * width + rect.x.lowerBound - x0) * 3
                out.append(contentsOf: pixels[from..<(from + rect.x.count * 3)])
            }
            return Region(x0: rect.x.lowerBound, y0: rect.y.lowerBound, width: rect.x.count, height: rect.y.count, pixels: out)
        }
    }

    /// A pixel rectangle: columns `x`, rows `y`.
    struct Rect: Equatable {
        var x: Range<Int>, y: Range<Int>
    }

    let image: Image
    /// (width, height) of the image and of every level, the image first.
    let sizes: [(width: Int, height: Int)]

    /// The pyramid of an RGB image, down to `levels` levels (fewer when they get empty).
    init(image: Image, levels: Int) {
        precondition(image.channels == 3, "dlib's detector pyramid is built from RGB images")
        self.image = image
        // pyramid_down<2>::rect_up of the whole image, rounded as dlib rounds a drectangle.
        var sizes = [(image.width, image.height)]
        var w = Int(((Double(image.width - 1) + 1.25) * 2).rounded(.toNearestOrAwayFromZero)) + 1
        var h = Int(((Double(image.height - 1) + 0.75) * 2).rounded(.toNearestOrAwayFromZero)) + 1
        for _ in 0..<levels where w > 0 && h > 0 {
            sizes.append((w, h))
            w = 5 * w / 6
            h = 5 * h / 6
        }
        self.sizes = sizes
    }

    /// Levels built (level l is `sizes[l + 1]`).
    var levelCount: Int { sizes.count - 1 }

    /// Whether dlib's detector scans `level` of this image: it stops after the first level whose
    /// `rect_down` is under 64 pixels either way (`create_fhog_pyramid`).
    func isScanned(level: Int) -> Bool {
        guard level < levelCount else { return false }
        var right = Double(sizes[1].width - 1), bottom = Double(sizes[1].height - 1)
        var left = 0.0, top = 0.0
        for _ in 0..<level {
            // The level before this one must have passed the size test.
            (left, top) = ((left - 0.3) * 5 / 6, (top - 0.3) * 5 / 6)
            (right, bottom) = ((right - 0.3) * 5 / 6, (bottom - 0.3) * 5 / 6)
            let l = left.rounded(.toNearestOrAwayFromZero), t = top.rounded(.toNearestOrAwayFromZero)
            let r = right.rounded(.toNearestOrAwayFromZero), b = bottom.rounded(.toNearestOrAwayFromZero)
            if r - l + 1 < 64 || b - t + 1 < 64 { return false }
            (left, top, right, bottom) = (l, t, r, b)
        }
        return true
    }

    /// The pixels of `rect` (clipped to the level) of pyramid level `level`.
    func region(level: Int, rect: Rect) -> Region {
        regions([level: rect])[level]!
    }

    /// The pixels of several levels' rectangles, in one pass from the image: each level is
    /// resampled once, over what it is asked for and what the next level reads from it.
    func regions(_ requests: [Int: Rect]) -> [Int: Region] {
        guard let top = requests.keys.max() else { return [:] }
        // Work back from the coarsest level: what every level must hold.
        var need: [Rect?] = Array(repeating: nil, count: top + 1)
        var axes: [(columns: Axis, rows: Axis)] = []
        var carried: Rect? = nil
        for level in stride(from: top, through: 0, by: -1) {
            let size = sizes[level + 1]
            var r = carried
            if let asked = requests[level] { r = union(r, clip(asked, to: size)) }
            need[level] = r
            let axis = (columns: Axis(from: sizes[level].width, to: size.width), rows: Axis(rowsFrom: sizes[level].height, to: size.height))
            axes.insert(axis, at: 0)
            if let r, !r.x.isEmpty, !r.y.isEmpty {
                carried = Rect(x: axis.columns.sources(of: r.x), y: axis.rows.sources(of: r.y))
            } else {
                carried = nil
            }
        }
        // Then forward from the image.
        var out: [Int: Region] = [:]
        var current = Region(x0: 0, y0: 0, width: image.width, height: image.height, pixels: image.pixels)
        for level in 0...top {
            let r = need[level] ?? Rect(x: 0..<0, y: 0..<0)
            current = Self.resample(current, columns: axes[level].columns, rows: axes[level].rows, into: r)
            if let asked = requests[level] {
                out[level] = requests.count == 1 ? current : current.cropped(to: clip(asked, to: sizes[level + 1]))
            }
        }
        return out
    }

    private func union(_ a: Rect?, _ b: Rect) -> Rect {
        guard let a, !a.x.isEmpty, !a.y.isEmpty else { return b }
        guard !b.x.isEmpty, !b.y.isEmpty else { return a }
        return Rect(x: min(a.x.lowerBound, b.x.lowerBound)..<max(a.x.upperBound, b.x.upperBound),
                    y: min(a.y.lowerBound, b.y.lowerBound)..<max(a.y.upperBound, b.y.upperBound))
    }

    private func clip(_ r: Rect, to size: (width: Int, height: Int)) -> Rect {
        Rect(x: max(0, r.x.lowerBound)..<max(max(0, r.x.lowerBound), min(size.width, r.x.upperBound)),
             y: max(0, r.y.lowerBound)..<max(max(0, r.y.lowerBound), min(size.height, r.y.upperBound)))
    }

    /// dlib's bilinear taps along one axis of a resize from `from` to `to` samples.
    struct Axis {
        /// Per output sample: the two source samples and the weight of the second.
        var first: [Int], second: [Int]
        /// The weight in float32 (the four-at-a-time part) and in double (the rest).
        var fraction: [Float], fractionDouble: [Double]
        /// Output samples below this index were computed four at a time (columns only).
        var vectorEnd: Int

        /// Columns: four lanes in float32 starting at x0 + j s (double, then float) and stepping
        /// by float(4 s), truncated; a block runs while its last right neighbour is inside; the
        /// rest in double.
        init(from n: Int, to m: Int) {
            let s = Double(n - 1) / Double(max(m - 1, 1))
            first = []; second = []; fraction = []; fractionDouble = []
            first.reserveCapacity(m); second.reserveCapacity(m); fraction.reserveCapacity(m); fractionDouble.reserveCapacity(m)
            let x0 = -4 * s
            var lanes: [Float] = [Float(x0), Float(x0 + s), Float(x0 + 2 * s), Float(x0 + 3 * s)]
            let step = Float(4 * s)
            var c = 0
            while c + 4 <= m {
                for j in 0..<4 { lanes[j] += step }
                if Int(lanes[3]) + 1 >= n { break }
                for j in 0..<4 {
                    let left = Int(lanes[j])
                    first.append(left); second.append(left + 1)
                    fraction.append(lanes[j] - Float(left)); fractionDouble.append(Double(lanes[j] - Float(left)))
                }
                c += 4
            }
            vectorEnd = c
            var x = -s + Double(c) * s
            while c < m {
                x += s
                let left = Int(x.rounded(.down))
                first.append(left); second.append(min(left + 1, n - 1))
                fraction.append(Float(x - Double(left))); fractionDouble.append(x - Double(left))
                c += 1
            }
        }

        /// Rows: positions accumulated in double from the top, each row's weight in double.
        init(rowsFrom n: Int, to m: Int) {
            let s = Double(n - 1) / Double(max(m - 1, 1))
            first = []; second = []; fraction = []; fractionDouble = []
            var y = -s
            for _ in 0..<m {
                y += s
                let top = Int(y.rounded(.down))
                first.append(top); second.append(min(top + 1, n - 1))
                fraction.append(Float(y - Double(top))); fractionDouble.append(y - Double(top))
            }
            vectorEnd = 0
        }

        /// The source samples the outputs `range` read.
        func sources(of range: Range<Int>) -> Range<Int> {
            guard !range.isEmpty else { return 0..<0 }
            var lo = Int.max, hi = Int.min
            for i in range { lo = min(lo, first[i]); hi = max(hi, second[i]) }
            return lo..<(hi + 1)
        }
    }

    /// Resamples `source` (a region of the finer image) into `rect` of the coarser one.
    static func resample(_ source: Region, columns: Axis, rows: Axis, into rect: Rect) -> Region {
        let w = rect.x.count, h = rect.y.count
        guard w > 0, h > 0 else { return Region(x0: rect.x.lowerBound, y0: rect.y.lowerBound, width: 0, height: 0, pixels: []) }
        // Per output column: byte offsets of its two source columns in a source row, and its weights.
        let x0 = rect.x.lowerBound
        let left = (0..<w).map { (columns.first[x0 + $0] - source.x0) * 3 }
        let right = (0..<w).map { (columns.second[x0 + $0] - source.x0) * 3 }
        let lrF = (0..<w).map { columns.fraction[x0 + $0] }
        let lrD = (0..<w).map { columns.fractionDouble[x0 + $0] }
        // Columns before this one (in the rect) were computed four at a time in float32.
        let vectorEnd = min(w, max(0, columns.vectorEnd - x0))
        var out = [UInt8](repeating: 0, count: w * h * 3)
        source.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                left.withUnsafeBufferPointer { left in
                    right.withUnsafeBufferPointer { right in
                        lrF.withUnsafeBufferPointer { lrF in
                            lrD.withUnsafeBufferPointer { lrD in
                                let stride = source.width * 3
                                for oy in 0..<h {
                                    let y = rect.y.lowerBound + oy
                                    let top = (rows.first[y] - source.y0) * stride, bottom = (rows.second[y] - source.y0) * stride
                                    let tb = rows.fractionDouble[y]
                                    let tbF = Float(tb), itbF = Float(1 - tb)
                                    var o = oy * w * 3
                                    // The three channels as lanes: the same float32 operations
                                    // in the same order as dlib's, per channel.
                                    func load(_ i: Int) -> SIMD4<Float> {
                                        SIMD4<Float>(Float(src[i]), Float(src[i + 1]), Float(src[i + 2]), 0)
                                    }
                                    for ox in 0..<vectorEnd {
                                        let lr = lrF[ox], ilr: Float = 1 - lr
                                        let tlf = itbF * ilr, trf = itbF * lr, blf = tbF * ilr, brf = tbF * lr
                                        let l = left[ox], r = right[ox]
                                        var v = tlf * load(top + l)
                                        v = v + trf * load(top + r)
                                        v = v + blf * load(bottom + l)
                                        v = v + brf * load(bottom + r)
                                        // Truncation, as dlib's conversion to integers.
                                        dst[o] = UInt8(truncatingIfNeeded: Int32(v[0]))
                                        dst[o + 1] = UInt8(truncatingIfNeeded: Int32(v[1]))
                                        dst[o + 2] = UInt8(truncatingIfNeeded: Int32(v[2]))
                                        o += 3
                                    }
                                    for ox in vectorEnd..<w {
                                        let lr = lrD[ox], l = left[ox], r = right[ox]
                                        for ch in 0..<3 {
                                            let v = (1 - tb) * ((1 - lr) * Double(src[top + l + ch]) + lr * Double(src[top + r + ch]))
                                                + tb * ((1 - lr) * Double(src[bottom + l + ch]) + lr * Double(src[bottom + r + ch]))
                                            dst[o + ch] = UInt8(truncatingIfNeeded: Int32(v))
                                        }
                                        o += 3
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Region(x0: rect.x.lowerBound, y0: rect.y.lowerBound, width: w, height: h, pixels: out)
    }
}
