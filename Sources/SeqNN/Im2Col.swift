/// Geometry of a 2-D sliding window over one image: what im2col and col2im need.
struct WindowGeometry {
    var channels: Int
    var height: Int
    var width: Int
    var kernelH: Int
    var kernelW: Int
    var stride: Int
    var padding: Int
    var outH: Int
    var outW: Int

    /// Rows of the column matrix: one per (channel, ky, kx).
    var colRows: Int { channels * kernelH * kernelW }
    /// Columns the image contributes to the column matrix: one per output pixel.
    var colCols: Int { outH * outW }

    /// Stride 1 with "same" width (2 * padding == kernelW - 1): each column-matrix row is then
    /// the input plane shifted by a constant offset, so whole bands copy in one go.
    var isShiftedCopy: Bool { stride == 1 && outW == width }

    /// For a shifted-copy geometry and kernel offset (ky, kx): the output rows of `rows` that read
    /// inside the image, and the matching contiguous stretch of the plane (output offset, input
    /// offset, length), trimmed to the plane. Entries outside the stretch are border zeros.
    @inline(__always)
    func shiftedStretch(ky: Int, kx: Int, rows: Range<Int>) -> (validRows: Range<Int>, out: Int, in: Int, count: Int) {
        let lo = max(rows.lowerBound, padding - ky), hi = min(rows.upperBound, height + padding - ky)
        guard lo < hi else { return (rows.lowerBound..<rows.lowerBound, 0, 0, 0) }
        var out = lo * width
        var inp = out + (ky - padding) * width + (kx - padding)
        var count = (hi - lo) * width
        if inp < 0 { out -= inp; count += inp; inp = 0 }
        let plane = height * width
        if inp + count > plane { count = plane - inp }
        return (lo..<hi, out, inp, count)
    }

    /// The output columns `ox` whose input column `ox*stride - padding + kx` lies inside the image.
    @inline(__always)
    func validOutputColumns(kx: Int) -> Range<Int> {
        // ox*s - p + kx >= 0   <=>  ox >= ceil((p - kx) / s)
        // ox*s - p + kx <= W-1 <=>  ox <= floor((W - 1 + p - kx) / s)
        let loNum = padding - kx
        let lo = loNum <= 0 ? 0 : (loNum + stride - 1) / stride
        let hiNum = width - 1 + padding - kx
        let hi = hiNum < 0 ? 0 : min(outW, hiNum / stride + 1)
        return min(lo, hi)..<hi
    }
}

/// Unfolds one CHW image into rows `(c, ky, kx)` x columns `(oy, ox)` of a column matrix
/// whose rows are `rowStride` floats apart, so several images can sit side by side.
/// Only output rows `rows` are unfolded (a band of the image), starting at column 0.
func im2col(_ src: UnsafePointer<Float>, _ g: WindowGeometry, rows: Range<Int>? = nil,
            into dst: UnsafeMutablePointer<Float>, rowStride: Int) {
    let rows = rows ?? 0..<g.outH
    let plane = g.height * g.width
    var row = 0
    for c in 0..<g.channels {
        let srcPlane = src + c * plane
        for ky in 0..<g.kernelH {
            for kx in 0..<g.kernelW {
                let dstRow = dst + row * rowStride - rows.lowerBound * g.outW
                let valid = g.validOutputColumns(kx: kx)
                if g.isShiftedCopy {
                    let w = g.width
                    let stretch = g.shiftedStretch(ky: ky, kx: kx, rows: rows)
                    let vr = stretch.validRows
                    if vr.isEmpty {
                        (dstRow + rows.lowerBound * w).update(repeating: 0, count: rows.count * w)
                    } else {
                        if vr.lowerBound > rows.lowerBound {
                            (dstRow + rows.lowerBound * w).update(repeating: 0, count: (vr.lowerBound - rows.lowerBound) * w)
                        }
                        if vr.upperBound < rows.upperBound {
                            (dstRow + vr.upperBound * w).update(repeating: 0, count: (rows.upperBound - vr.upperBound) * w)
                        }
                        (dstRow + stretch.out).update(from: srcPlane + stretch.in, count: stretch.count)
                        // Columns that fell off the left or right border read the neighbouring row.
                        for oy in vr {
                            let r = dstRow + oy * w
                            for ox in 0..<valid.lowerBound { r[ox] = 0 }
                            for ox in valid.upperBound..<w { r[ox] = 0 }
                        }
                    }
                    row += 1
                    continue
                }
                for oy in rows {
                    let out = dstRow + oy * g.outW
                    let iy = oy * g.stride - g.padding + ky
                    if iy < 0 || iy >= g.height || valid.isEmpty {
                        out.update(repeating: 0, count: g.outW)
                        continue
                    }
                    if valid.lowerBound > 0 { out.update(repeating: 0, count: valid.lowerBound) }
                    let srcRow = srcPlane + iy * g.width - g.padding + kx
                    if g.stride == 1 {
                        (out + valid.lowerBound).update(from: srcRow + valid.lowerBound, count: valid.count)
                    } else {
                        let s = g.stride
                        for ox in valid { out[ox] = srcRow[ox * s] }
                    }
                    if valid.upperBound < g.outW {
                        (out + valid.upperBound).update(repeating: 0, count: g.outW - valid.upperBound)
                    }
                }
                row += 1
            }
        }
    }
}

/// The adjoint of `im2col`: adds every column-matrix entry back onto the image pixel it came from.
/// The column matrix is used as scratch: border entries may be overwritten with zeros.
func col2imAdd(_ src: UnsafeMutablePointer<Float>, rowStride: Int, _ g: WindowGeometry, rows: Range<Int>? = nil,
               into dst: UnsafeMutablePointer<Float>) {
    let rows = rows ?? 0..<g.outH
    let plane = g.height * g.width
    var row = 0
    for c in 0..<g.channels {
        let dstPlane = dst + c * plane
        for ky in 0..<g.kernelH {
            for kx in 0..<g.kernelW {
                let srcRow = src + row * rowStride - rows.lowerBound * g.outW
                let valid = g.validOutputColumns(kx: kx)
                row += 1
                if valid.isEmpty { continue }
                if g.isShiftedCopy {
                    let w = g.width
                    let stretch = g.shiftedStretch(ky: ky, kx: kx, rows: rows)
                    // Border entries must not spill onto the neighbouring row: zero them, then add
                    // the whole stretch at once.
                    for oy in stretch.validRows {
                        let r = srcRow + oy * w
                        for ox in 0..<valid.lowerBound { r[ox] = 0 }
                        for ox in valid.upperBound..<w { r[ox] = 0 }
                    }
                    let from = srcRow + stretch.out, to = dstPlane + stretch.in
                    for j in 0..<stretch.count { to[j] += from[j] }
                    continue
                }
                for oy in rows {
                    let iy = oy * g.stride - g.padding + ky
                    if iy < 0 || iy >= g.height { continue }
                    let colRow = srcRow + oy * g.outW
                    let imgRow = dstPlane + iy * g.width - g.padding + kx
                    let s = g.stride
                    if s == 1 {
                        for ox in valid { imgRow[ox] += colRow[ox] }
                    } else {
                        for ox in valid { imgRow[ox * s] += colRow[ox] }
                    }
                }
            }
        }
    }
}

/// `im2col` with the channels split across `ParallelLoop`'s threads (each channel's rows of the
/// column matrix are independent of the others').
func parallelIm2col(_ src: UnsafePointer<Float>, _ g: WindowGeometry, rows: Range<Int>? = nil,
                    into dst: UnsafeMutablePointer<Float>, rowStride: Int) {
    let rowCount = (rows ?? 0..<g.outH).count
    let plane = g.height * g.width, taps = g.kernelH * g.kernelW
    ParallelLoop.split(g.channels, work: g.channels * taps * rowCount * g.outW) { cr in
        var part = g
        part.channels = cr.count
        im2col(src + cr.lowerBound * plane, part, rows: rows,
               into: dst + cr.lowerBound * taps * rowStride, rowStride: rowStride)
    }
}

/// `col2imAdd` with the channels split across `ParallelLoop`'s threads (each channel's rows of
/// the column matrix add onto that channel's plane only).
func parallelCol2imAdd(_ src: UnsafeMutablePointer<Float>, rowStride: Int, _ g: WindowGeometry, rows: Range<Int>? = nil,
                       into dst: UnsafeMutablePointer<Float>) {
    let rowCount = (rows ?? 0..<g.outH).count
    let plane = g.height * g.width, taps = g.kernelH * g.kernelW
    ParallelLoop.split(g.channels, work: g.channels * taps * rowCount * g.outW) { cr in
        var part = g
        part.channels = cr.count
        col2imAdd(src + cr.lowerBound * taps * rowStride, rowStride: rowStride, part, rows: rows,
                  into: dst + cr.lowerBound * plane)
    }
}
