import Foundation

/// dlib's FHOG features (`extract_fhog_features`, 8-pixel cells; Felzenszwalb et al.'s 31
/// features) for a block of cells of one pyramid level, equal to what dlib computes for the whole
/// level: the arithmetic, its float32 rounding and the order of its sums follow dlib's, and the
/// cells near the level's edges see the same borders. `tools/dlib_hog.py` holds the same in numpy;
/// its detector scores agree with dlib's to about 1e-6.
///
/// Per pixel (rows and columns 1 ... visible - 1): the colour channel with the largest gradient
/// (central differences), its orientation snapped to 18 signed directions, its magnitude spread
/// bilinearly over the four nearest cells. Per cell: the 18 signed and 9 unsigned orientation
/// energies normalised by the four 2x2 blocks around it and clipped at 0.2, and four texture
/// features (the clipped energy per block).
enum FHOG {
    static let cellSize = 8
    static let featureCount = 31

    /// dlib's nine unit directions (and their opposites) for the orientation bins.
    private static let directions: [(Float, Float)] = [
        (1.0000, 0.0000), (0.9397, 0.3420), (0.7660, 0.6428), (0.500, 0.8660), (0.1736, 0.9848),
        (-0.1736, 0.9848), (-0.5000, 0.8660), (-0.7660, 0.6428), (-0.9397, 0.3420),
    ]

    /// The cell grid of a level `width` x `height` pixels.
    struct Grid {
        let width: Int, height: Int
        /// Cells per column and row (the level's size over 8, rounded, in float32 as dlib).
        let cellRows: Int, cellCols: Int
        /// Cells with features: all but the outermost ring.
        var featureRows: Int { max(cellRows - 2, 0) }
        var featureCols: Int { max(cellCols - 2, 0) }
        /// Pixels up to here (exclusive) have gradients.
        let visibleRows: Int, visibleCols: Int
        /// Columns from here on were done one at a time by dlib (the rest eight at a time),
        /// which breaks ties between colour channels differently.
        let scalarFromColumn: Int

        init(width: Int, height: Int) {
            self.width = width; self.height = height
            cellRows = Int(Float(height) / Float(FHOG.cellSize) + 0.5)
            cellCols = Int(Float(width) / Float(FHOG.cellSize) + 0.5)
            visibleRows = min(cellRows * FHOG.cellSize, height) - 1
            visibleCols = min(cellCols * FHOG.cellSize, width) - 1
            var x = 1
            while x < visibleCols - 7 { x += 8 }
            scalarFromColumn = x
        }

        /// The pixel rectangle that feature cells `rows` x `cols` depend on (gradients included).
        func pixels(forFeatureRows rows: Range<Int>, cols: Range<Int>) -> DlibImagePyramid.Rect {
            // Feature cell y reads histogram cells y ... y + 2; cell k takes votes from pixels
            // 8k - 4 ... 8k + 11; a gradient reads one pixel either side.
            DlibImagePyramid.Rect(
                x: max(0, 8 * cols.lowerBound - 5)..<min(width, 8 * (cols.upperBound + 2) + 13),
                y: max(0, 8 * rows.lowerBound - 5)..<min(height, 8 * (rows.upperBound + 2) + 13))
        }
    }

    /// Features [rows.count][cols.count][31] of feature cells `rows` x `cols` (indices of
    /// dlib's feature image before its zero border; cells outside the level are zero), from a
    /// region covering `grid.pixels(forFeatureRows:cols:)`.
    static func features(of region: DlibImagePyramid.Region, grid: Grid, rows: Range<Int>, cols: Range<Int>) -> [Float] {
        // Histogram cells (dlib's index, without its one-cell pad) rows.lowerBound ..< rows.upperBound + 2.
        let hr0 = rows.lowerBound, hc0 = cols.lowerBound
        let hRows = rows.count + 2, hCols = cols.count + 2
        var hist = [Float](repeating: 0, count: hRows * hCols * 18)
        let yLo = max(1, 8 * hr0 - 4), yHi = min(grid.visibleRows, 8 * (rows.upperBound + 2) + 12)
        let xLo = max(1, 8 * hc0 - 4), xHi = min(grid.visibleCols, 8 * (cols.upperBound + 2) + 12)
        if yLo < yHi && xLo < xHi {
            for y in yLo..<yHi {
                // Rows: (y + 0.5) / 8 - 0.5 in float, its floor and fractions.
                let yp = Float((Double(y) + 0.5) / 8 - 0.5)
                let iyp = Int(yp.rounded(.down))
                let vy0 = yp - Float(iyp), vy1 = Float(1.0 - Double(vy0))
                for x in xLo..<xHi {
                    var gx: Int32 = 0, gy: Int32 = 0, len: Int32 = -1
                    let scalar = x >= grid.scalarFromColumn
                    for ch in 0..<3 {
                        let dx = Int32(region.at(x + 1, y, ch)) - Int32(region.at(x - 1, y, ch))
                        let dy = Int32(region.at(x, y + 1, ch)) - Int32(region.at(x, y - 1, ch))
                        let l = dx * dx + dy * dy
                        // One at a time dlib keeps the earlier channel on a tie; eight at a time
                        // the later one.
                        if len < 0 || (scalar ? l > len : l >= len) { gx = dx; gy = dy; len = l }
                    }
                    let fx = Float(gx), fy = Float(gy)
                    var bestDot: Float = 0, bestO = 0
                    for o in 0..<9 {
                        let dot = fx * directions[o].0 + fy * directions[o].1
                        if dot > bestDot { bestDot = dot; bestO = o } else if -dot > bestDot { bestDot = -dot; bestO = o + 9 }
                    }
                    let v = Float(len).squareRoot()
                    let xp = Float((Double(x) + 0.5) / 8 - 0.5)
                    let ixp = Int(xp.rounded(.down))
                    let vx0 = xp - Float(ixp), vx1: Float = 1 - vx0
                    let w11: Float, w01: Float, w10: Float, w00: Float
                    if scalar {
                        w11 = vy1 * vx1 * v; w01 = vy0 * vx1 * v; w10 = vy1 * vx0 * v; w00 = vy0 * vx0 * v
                    } else {
                        let a = vx1 * v, b = vx0 * v
                        w11 = vy1 * a; w01 = vy0 * a; w10 = vy1 * b; w00 = vy0 * b
                    }
                    // Cells (iyp, ixp) ... (iyp + 1, ixp + 1), in dlib's order.
                    func vote(_ dy: Int, _ dx: Int, _ w: Float) {
                        let r = iyp + dy - hr0, c = ixp + dx - hc0
                        if r >= 0 && r < hRows && c >= 0 && c < hCols { hist[(r * hCols + c) * 18 + bestO] += w }
                    }
                    vote(0, 0, w11); vote(1, 0, w01); vote(0, 1, w10); vote(1, 1, w00)
                }
            }
        }
        // Block energies per histogram cell.
        var norm = [Float](repeating: 0, count: hRows * hCols)
        for i in 0..<(hRows * hCols) {
            var n: Float = 0
            for o in 0..<9 {
                let e = hist[i * 18 + o] + hist[i * 18 + o + 9]
                n += e * e
            }
            norm[i] = n
        }
        var out = [Float](repeating: 0, count: rows.count * cols.count * featureCount)
        for (oy, y) in rows.enumerated() where y >= 0 && y < grid.featureRows {
            for (ox, x) in cols.enumerated() where x >= 0 && x < grid.featureCols {
                let ly = y - hr0, lx = x - hc0
                func nm(_ r: Int, _ c: Int) -> Float { norm[(ly + r) * hCols + lx + c] }
                // The four 2x2 blocks around the cell, one per lane, as dlib's simd4f.
                let z1 = SIMD4<Float>(nm(1, 1), nm(0, 1), nm(1, 0), nm(0, 0))
                let z2 = SIMD4<Float>(nm(1, 2), nm(0, 2), nm(1, 1), nm(0, 1))
                let z3 = SIMD4<Float>(nm(2, 1), nm(1, 1), nm(2, 0), nm(1, 0))
                let z4 = SIMD4<Float>(nm(2, 2), nm(1, 2), nm(2, 1), nm(1, 1))
                let nn = Float(0.2) * ((((z1 + z2) + z3) + z4) + Float(0.0001)).squareRoot()
                let n = Float(0.1) / nn
                let cell = ((ly + 1) * hCols + lx + 1) * 18
                let o0 = (oy * cols.count + ox) * featureCount
                var t = SIMD4<Float>(repeating: 0)
                for o in 0..<18 {
                    var s: Float = 0
                    for k in 0..<4 {
                        let h = min(hist[cell + o], nn[k]) * n[k]
                        s += h
                        t[k] += h
                    }
                    out[o0 + o] = s
                }
                for o in 0..<9 {
                    let e = hist[cell + o] + hist[cell + o + 9]
                    var s: Float = 0
                    for k in 0..<4 { s += min(e, nn[k]) * n[k] }
                    out[o0 + 18 + o] = s
                }
                for k in 0..<4 { out[o0 + 27 + k] = t[k] * Float(2 * 0.2357) }
            }
        }
        return out
    }
}
