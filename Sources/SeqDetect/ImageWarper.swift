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
    ///
    /// The result is the same to the bit as evaluating that definition sample by sample
    /// (`x = a * fu + b * fv + tx`, the four taps, the samples summed row by row): the fast paths
    /// below only precompute products and convert pixels earlier, they never reorder a sum.
    public static func warp(_ image: Image, width: Int, height: Int, outputToSource m: AffineTransform,
                            border: BorderMode = .replicate) -> Image {
        precondition(width > 0 && height > 0, "warp to an empty image")
        let channels = image.channels
        var out = [UInt8](repeating: 0, count: width * height * channels)
        let n = max(1, min(4, Int(m.scale.rounded(.up))))
        // Sub-sample offsets centred on the output pixel.
        let offsets = (0..<n).map { (Float($0) + 0.5) / Float(n) - 0.5 }
        // The map's products per sub-sample column and row, so that placing a sample costs two
        // additions: x = (a * fu + b * fv) + tx, the order in which the formula is written.
        var colX = [Float](repeating: 0, count: width * n), colY = colX
        for u in 0..<width {
            for s in 0..<n {
                let fu = Float(u) + offsets[s]
                colX[u * n + s] = m.a * fu; colY[u * n + s] = m.c * fu
            }
        }
        var rowX = [Float](repeating: 0, count: height * n), rowY = rowX
        for v in 0..<height {
            for s in 0..<n {
                let fv = Float(v) + offsets[s]
                rowX[v * n + s] = m.b * fv; rowY[v * n + s] = m.d * fv
            }
        }
        let sampler = Sampler(width: image.width, height: image.height, channels: channels, border: border)
        image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
        colX.withUnsafeBufferPointer { colX in
        colY.withUnsafeBufferPointer { colY in
        rowX.withUnsafeBufferPointer { rowX in
        rowY.withUnsafeBufferPointer { rowY in
            let grid = Grid(n: n, width: width, height: height, colX: colX.baseAddress!, colY: colY.baseAddress!,
                            rowX: rowX.baseAddress!, rowY: rowY.baseAddress!, tx: m.tx, ty: m.ty)
            if channels == 3 {
                warpRGB(src.baseAddress!, into: dst.baseAddress!, grid: grid, sampler: sampler)
            } else {
                warpAny(src.baseAddress!, into: dst.baseAddress!, grid: grid, sampler: sampler)
            }
        }}}}}}
        return Image(width: width, height: height, channels: channels, pixels: out)
    }

    /// As `warp`, for a strong shrink made cheaper: when one output pixel covers k x k source
    /// pixels or more (k = the map's scale rounded down, at least 2), the part of the source
    /// under the output is first averaged in k x k blocks, and the smaller image is then warped
    /// as by `warp` (at a scale under 2: 2 x 2 bilinear samples a pixel instead of up to 4 x 4).
    /// Face crops use it (`FaceAligner.align`): a 144-pixel crop of a 400-pixel face costs about
    /// a third. The result is not the same to the bit as `warp`'s (a box filter, then bilinear
    /// samples, instead of bilinear samples only), but as smooth; below a scale of 2, or for
    /// images that are not RGB, it is `warp`.
    public static func warpReducingFirst(_ image: Image, width: Int, height: Int, outputToSource m: AffineTransform,
                                         border: BorderMode = .replicate) -> Image {
        let scale = m.scale
        guard image.channels == 3, scale.isFinite, scale >= 2, scale < 64 else {
            return warp(image, width: width, height: height, outputToSource: m, border: border)
        }
        let k = Int(scale.rounded(.down))
        // The source under the output's pixels (its corners bound it: the map is affine), with a
        // margin of two blocks for the bilinear taps and sub-samples.
        var lox = Float.infinity, hix = -Float.infinity, loy = Float.infinity, hiy = -Float.infinity
        for (u, v) in [(-0.5, -0.5), (Float(width) - 0.5, -0.5), (-0.5, Float(height) - 0.5), (Float(width) - 0.5, Float(height) - 0.5)] as [(Float, Float)] {
            let p = m.apply(Point2(u, v))
            lox = min(lox, p.x); hix = max(hix, p.x); loy = min(loy, p.y); hiy = max(hiy, p.y)
        }
        guard lox.isFinite, hix.isFinite, loy.isFinite, hiy.isFinite, abs(lox) < 1e7, abs(hix) < 1e7, abs(loy) < 1e7, abs(hiy) < 1e7 else {
            return warp(image, width: width, height: height, outputToSource: m, border: border)
        }
        let margin = 2 * k + 2
        let x0 = max(0, Int(lox.rounded(.down)) - margin), x1 = min(image.width, Int(hix.rounded(.up)) + margin)
        let y0 = max(0, Int(loy.rounded(.down)) - margin), y1 = min(image.height, Int(hiy.rounded(.up)) + margin)
        // Whole blocks only: the region's last partial block row or column is left out, unless
        // the region ends at the image's edge, where the samples would not reach it anyway
        // without the border rule (which then repeats the last whole block).
        let rw = (x1 - x0) / k, rh = (y1 - y0) / k
        guard rw >= 2, rh >= 2 else { return warp(image, width: width, height: height, outputToSource: m, border: border) }
        var reduced = [UInt8](repeating: 0, count: rw * rh * 3)
        let rowWidth = rw * k * 3
        var sums = [UInt32](repeating: 0, count: rowWidth)
        let area = UInt32(k * k), half = UInt32(k * k / 2)
        image.pixels.withUnsafeBufferPointer { src in
        reduced.withUnsafeMutableBufferPointer { dst in
        sums.withUnsafeMutableBufferPointer { acc in
            let sw = image.width
            for j in 0..<rh {
                for i in 0..<rowWidth { acc[i] = 0 }
                for y in (y0 + j * k)..<(y0 + j * k + k) {
                    let row = src.baseAddress! + (y * sw + x0) * 3
                    for i in 0..<rowWidth { acc[i] &+= UInt32(row[i]) }
                }
                let out = dst.baseAddress! + j * rw * 3
                for i in 0..<rw {
                    var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
                    var o = i * k * 3
                    for _ in 0..<k { r &+= acc[o]; g &+= acc[o + 1]; b &+= acc[o + 2]; o += 3 }
                    out[i * 3] = UInt8((r + half) / area); out[i * 3 + 1] = UInt8((g + half) / area); out[i * 3 + 2] = UInt8((b + half) / area)
                }
            }
        }}}
        // Reduced pixel (i, j) is the mean of source pixels x0 + k i ... x0 + k i + k - 1: its
        // centre is at x0 + k i + (k - 1) / 2.
        let kf = Float(k)
        let toReduced = AffineTransform(a: 1 / kf, b: 0, c: 0, d: 1 / kf,
                                        tx: -(Float(x0) + (kf - 1) / 2) / kf, ty: -(Float(y0) + (kf - 1) / 2) / kf)
        return warp(Image(width: rw, height: rh, channels: 3, pixels: reduced), width: width, height: height,
                    outputToSource: toReduced.concatenating(m), border: border)
    }

    /// Where the n x n sub-samples of the output pixels fall in the source: sample (u, v, sx, sy)
    /// is at `x = (colX[u * n + sx] + rowX[v * n + sy]) + tx`, likewise y.
    struct Grid {
        let n: Int, width: Int, height: Int
        let colX: UnsafePointer<Float>, colY: UnsafePointer<Float>
        let rowX: UnsafePointer<Float>, rowY: UnsafePointer<Float>
        let tx: Float, ty: Float
    }

    /// The source's size and border rule.
    struct Sampler {
        let width: Int, height: Int, channels: Int
        let replicate: Bool
        let constant: Float

        init(width: Int, height: Int, channels: Int, border: BorderMode) {
            self.width = width; self.height = height; self.channels = channels
            switch border {
            case .constant(let v): constant = Float(v); replicate = false
            case .replicate: constant = 0; replicate = true
            }
        }

        /// Adds `weight` x the source pixel (x, y), or the border value, to `acc[0..<channels]`.
        @inline(__always)
        func tap(_ src: UnsafePointer<UInt8>, _ x: Int, _ y: Int, _ weight: Float, _ acc: UnsafeMutablePointer<Float>) {
            if weight == 0 { return }
            if x >= 0 && x < width && y >= 0 && y < height || replicate {
                let base = (min(max(y, 0), height - 1) * width + min(max(x, 0), width - 1)) * channels
                for k in 0..<channels { acc[k] += weight * Float(src[base + k]) }
            } else {
                for k in 0..<channels { acc[k] += weight * constant }
            }
        }
    }

    /// Floor of a finite float without a libm call: truncate, then step down for negatives.
    @inline(__always) static func floorInt(_ x: Float) -> Int {
        let i = Int(x)
        return Float(i) > x ? i - 1 : i
    }

    /// The part of the source that the samples can touch, as float pixels (RGB and a spare lane),
    /// so that a bilinear tap is one vector load instead of four byte conversions.
    struct FloatRegion {
        /// Pixel (x, y) of the source is at `origin[y * stride + x]` for x in `x0...x1`, y in `y0...y1`.
        let origin: UnsafeMutablePointer<SIMD4<Float>>
        let storage: UnsafeMutablePointer<SIMD4<Float>>
        let stride: Int
        /// A sample at (x, y) with `minX <= x < maxX` and `minY <= y < maxY` has all four taps in
        /// the region (and in the image); the 0.01 margins absorb rounding.
        let minX: Float, maxX: Float, minY: Float, maxY: Float

        /// The region under `grid`'s samples, or nil when the map is degenerate or the region
        /// would be much larger than the samples that read it (a very strong shrink).
        init?(_ px: UnsafePointer<UInt8>, grid: Grid, sourceWidth sw: Int, sourceHeight sh: Int) {
            let n = grid.n, lastU = grid.width * n - 1, lastV = grid.height * n - 1
            var lox = Float.infinity, hix = -Float.infinity, loy = Float.infinity, hiy = -Float.infinity
            for (cu, cv) in [(0, 0), (lastU, 0), (0, lastV), (lastU, lastV)] {
                // The map is affine: the corner samples bound all others.
                let x = (grid.colX[cu] + grid.rowX[cv]) + grid.tx, y = (grid.colY[cu] + grid.rowY[cv]) + grid.ty
                lox = min(lox, x); hix = max(hix, x); loy = min(loy, y); hiy = max(hiy, y)
            }
            guard lox.isFinite, hix.isFinite, loy.isFinite, hiy.isFinite, abs(lox) < 1e7, abs(hix) < 1e7,
                  abs(loy) < 1e7, abs(hiy) < 1e7 else { return nil }
            let x0 = Int(max(0, min(Float(sw - 1), lox - 2)).rounded(.down))
            let x1 = Int(max(0, min(Float(sw - 1), hix + 3)).rounded(.down))
            let y0 = Int(max(0, min(Float(sh - 1), loy - 2)).rounded(.down))
            let y1 = Int(max(0, min(Float(sh - 1), hiy + 3)).rounded(.down))
            let rw = x1 - x0 + 1, rh = y1 - y0 + 1
            guard rw * rh <= 2 * grid.width * grid.height * n * n + 4096 else { return nil }
            storage = .allocate(capacity: rw * rh)
            for y in 0..<rh {
                let s = px + ((y0 + y) * sw + x0) * 3
                let d = storage + y * rw
                // Four bytes at a time (the fourth, the next pixel's red, lands in the spare lane,
                // which no output reads); the row's last pixel byte by byte, as the image may end there.
                for x in 0..<(rw - 1) {
                    let bytes = UnsafeRawPointer(s + 3 &* x).loadUnaligned(as: SIMD4<UInt8>.self)
                    d[x] = SIMD4<Float>(SIMD4<Int32>(truncatingIfNeeded: bytes))
                }
                let last = s + 3 &* (rw - 1)
                d[rw - 1] = SIMD4(Float(last[0]), Float(last[1]), Float(last[2]), 0)
            }
            origin = storage - (y0 * rw + x0)
            stride = rw
            minX = Float(x0) + 0.01; maxX = Float(x1) - 0.01
            minY = Float(y0) + 0.01; maxY = Float(y1) - 0.01
        }

        /// The sum of one output pixel's n x n bilinear samples, all inside the region (sub-sample
        /// columns at `cx`/`cy`, rows at `rx`/`ry`, see `Grid`), summed row by row.
        @inline(__always)
        func sum(_ n: Int, _ cx: UnsafePointer<Float>, _ cy: UnsafePointer<Float>, _ rx: UnsafePointer<Float>,
                 _ ry: UnsafePointer<Float>, _ tx: Float, _ ty: Float) -> SIMD4<Float> {
            var acc = SIMD4<Float>()
            for sy in 0..<n {
                let bx = rx[sy], dy = ry[sy]
                for sx in 0..<n {
                    let x = (cx[sx] + bx) + tx
                    let y = (cy[sx] + dy) + ty
                    let x0 = Int32(x), y0 = Int32(y)  // the floor, as both are positive
                    let wx = x - Float(x0), wy = y - Float(y0)
                    let p = origin + (Int(y0) &* stride &+ Int(x0)), q = p + stride
                    let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                    acc += w00 * p[0] + w10 * p[1] + w01 * q[0] + w11 * q[1]
                }
            }
            return acc
        }
    }

    /// RGB sources (every face crop and dlib chip). Output pixels whose samples all lie well
    /// inside the source read the float region, the three channels as the lanes of one vector;
    /// the others (near the border) go sample by sample. Both do, lane by lane, the operations
    /// of the scalar formula in its order.
    static func warpRGB(_ px: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>, grid: Grid, sampler: Sampler) {
        let n = grid.n, sw = sampler.width, sh = sampler.height
        let inv = 1 / Float(n * n)
        let rowBytes = sw &* 3
        let region = FloatRegion(px, grid: grid, sourceWidth: sw, sourceHeight: sh)
        defer { region?.storage.deallocate() }
        // Without a region no pixel takes the fast path (NaN bounds fail every comparison).
        let minX = region?.minX ?? .nan, maxX = region?.maxX ?? .nan
        let minY = region?.minY ?? .nan, maxY = region?.maxY ?? .nan
        var edgeAcc = [Float](repeating: 0, count: 3)
        edgeAcc.withUnsafeMutableBufferPointer { edgeb in
        let edge = edgeb.baseAddress!
        for v in 0..<grid.height {
            let rx = grid.rowX + v &* n, ry = grid.rowY + v &* n
            for u in 0..<grid.width {
                let cx = grid.colX + u &* n, cy = grid.colY + u &* n
                var acc = SIMD4<Float>()
                // The pixel's corner sub-samples bound its others.
                let x00 = (cx[0] + rx[0]) + grid.tx, x11 = (cx[n - 1] + rx[n - 1]) + grid.tx
                let x01 = (cx[0] + rx[n - 1]) + grid.tx, x10 = (cx[n - 1] + rx[0]) + grid.tx
                let y00 = (cy[0] + ry[0]) + grid.ty, y11 = (cy[n - 1] + ry[n - 1]) + grid.ty
                let y01 = (cy[0] + ry[n - 1]) + grid.ty, y10 = (cy[n - 1] + ry[0]) + grid.ty
                let lox = min(min(x00, x11), min(x01, x10)), hix = max(max(x00, x11), max(x01, x10))
                let loy = min(min(y00, y11), min(y01, y10)), hiy = max(max(y00, y11), max(y01, y10))
                if let region, lox >= minX && loy >= minY && hix < maxX && hiy < maxY {
                    // A constant n lets the compiler unroll the sub-sample loops.
                    switch n {
                    case 2: acc = region.sum(2, cx, cy, rx, ry, grid.tx, grid.ty)
                    case 3: acc = region.sum(3, cx, cy, rx, ry, grid.tx, grid.ty)
                    case 4: acc = region.sum(4, cx, cy, rx, ry, grid.tx, grid.ty)
                    default: acc = region.sum(n, cx, cy, rx, ry, grid.tx, grid.ty)
                    }
                } else {
                    for sy in 0..<n {
                        let bx = rx[sy], dy = ry[sy]
                        for sx in 0..<n {
                            let x = (cx[sx] + bx) + grid.tx
                            let y = (cy[sx] + dy) + grid.ty
                            guard abs(x) < 1e7, abs(y) < 1e7 else { continue }  // also rejects NaN
                            let x0 = floorInt(x), y0 = floorInt(y)
                            let wx = x - Float(x0), wy = y - Float(y0)
                            if x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh {
                                // All four taps inside: no border logic.
                                let p = px + y0 * rowBytes + x0 * 3, q = p + rowBytes
                                let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                                let r = w00 * Float(p[0]) + w10 * Float(p[3]) + w01 * Float(q[0]) + w11 * Float(q[3])
                                let g = w00 * Float(p[1]) + w10 * Float(p[4]) + w01 * Float(q[1]) + w11 * Float(q[4])
                                let b = w00 * Float(p[2]) + w10 * Float(p[5]) + w01 * Float(q[2]) + w11 * Float(q[5])
                                acc += SIMD4(r, g, b, 0)
                                continue
                            }
                            edge[0] = acc[0]; edge[1] = acc[1]; edge[2] = acc[2]
                            sampler.tap(px, x0, y0, (1 - wx) * (1 - wy), edge)
                            sampler.tap(px, x0 + 1, y0, wx * (1 - wy), edge)
                            sampler.tap(px, x0, y0 + 1, (1 - wx) * wy, edge)
                            sampler.tap(px, x0 + 1, y0 + 1, wx * wy, edge)
                            acc = SIMD4(edge[0], edge[1], edge[2], 0)
                        }
                    }
                }
                let o = (v &* grid.width &+ u) &* 3
                let r = acc * inv + 0.5
                // Lane by lane: SIMD's `clamped` was a call per pixel, not inlined.
                @inline(__always) func byte(_ v: Float) -> UInt8 { UInt8(Float.minimum(Float.maximum(v, 0), 255)) }
                dst[o] = byte(r[0]); dst[o &+ 1] = byte(r[1]); dst[o &+ 2] = byte(r[2])
            }
        }
        }
    }

    /// Any channel count (grayscale, RGBA), sample by sample.
    static func warpAny(_ px: UnsafePointer<UInt8>, into dst: UnsafeMutablePointer<UInt8>, grid: Grid, sampler: Sampler) {
        let n = grid.n, channels = sampler.channels
        let inv = 1 / Float(n * n)
        var accArray = [Float](repeating: 0, count: channels)
        accArray.withUnsafeMutableBufferPointer { accb in
        let acc = accb.baseAddress!
        for v in 0..<grid.height {
            for u in 0..<grid.width {
                for k in 0..<channels { acc[k] = 0 }
                for sy in 0..<n {
                    let bx = grid.rowX[v * n + sy], dy = grid.rowY[v * n + sy]
                    for sx in 0..<n {
                        let x = (grid.colX[u * n + sx] + bx) + grid.tx
                        let y = (grid.colY[u * n + sx] + dy) + grid.ty
                        guard abs(x) < 1e7, abs(y) < 1e7 else { continue }  // also rejects NaN
                        let x0 = floorInt(x), y0 = floorInt(y)
                        let wx = x - Float(x0), wy = y - Float(y0)
                        sampler.tap(px, x0, y0, (1 - wx) * (1 - wy), acc)
                        sampler.tap(px, x0 + 1, y0, wx * (1 - wy), acc)
                        sampler.tap(px, x0, y0 + 1, (1 - wx) * wy, acc)
                        sampler.tap(px, x0 + 1, y0 + 1, wx * wy, acc)
                    }
                }
                let o = (v * grid.width + u) * channels
                for k in 0..<channels { dst[o + k] = UInt8(min(255, max(0, acc[k] * inv + 0.5))) }
            }
        }
        }
    }
}
