/// Winograd F(2x2, 3x3) convolution (Lavin & Gray, 2015) for 3x3 stride-1 kernels: each 2x2
/// output tile costs 16 multiplies per input channel instead of 36, so the sgemm work is 2.25x
/// smaller than im2col's. With the transforms
///
///     V = Bt d B (4x4 input tile),  U = G g Gt (3x3 filter),  Y = At M A (2x2 output tile),
///
/// the channel sums of the element-wise products `M = sum_c U . V` are sixteen matrix products
/// `M[k] = U[k] (out x in) * V[k] (in x tiles)`, k = 4 * row + column of the 4x4 tile.
enum Winograd {
    /// Transforms filters `[out, in, 3, 3]` into sixteen matrices at `u[k * kStride + ...]`:
    /// `[out, in]` (`o * in + c`) for the forward convolution, or with `forInputGradient`
    /// `[in, out]` (`c * out + o`) of the filters rotated by 180 degrees, which convolved with
    /// `dy` give `dx`.
    static func transformWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                 into u: UnsafeMutablePointer<Float>, kStride: Int,
                                 forInputGradient: Bool = false) {
        // Split by output channel across threads: each filter's sixteen values are its own.
        ParallelLoop.split(outChannels, work: 16 * outChannels * inChannels) { outRange in
        for o in outRange {
            for c in 0..<inChannels {
                let f = w + (o * inChannels + c) * 9
                var g = SIMD16<Float>()
                for i in 0..<9 { g[i] = forInputGradient ? f[8 - i] : f[i] }
                let dst = u + (forInputGradient ? c * outChannels + o : o * inChannels + c)
                for i in 0..<4 {
                    // Row i of G g (4x3): G's rows are (1,0,0), (½,½,½), (½,-½,½), (0,0,1).
                    let a: Float, b: Float, cc: Float
                    switch i {
                    case 0: (a, b, cc) = (g[0], g[1], g[2])
                    case 1: (a, b, cc) = (0.5 * (g[0] + g[3] + g[6]), 0.5 * (g[1] + g[4] + g[7]), 0.5 * (g[2] + g[5] + g[8]))
                    case 2: (a, b, cc) = (0.5 * (g[0] - g[3] + g[6]), 0.5 * (g[1] - g[4] + g[7]), 0.5 * (g[2] - g[5] + g[8]))
                    default: (a, b, cc) = (g[6], g[7], g[8])
                    }
                    // times Gt
                    dst[(4 * i + 0) * kStride] = a
                    dst[(4 * i + 1) * kStride] = 0.5 * (a + b + cc)
                    dst[(4 * i + 2) * kStride] = 0.5 * (a - b + cc)
                    dst[(4 * i + 3) * kStride] = cc
                }
            }
        }
        }
    }

    /// Convolves a batch of CHW images with transformed 3x3 filters (`u`, sixteen `[outC, inC]`
    /// matrices `uStride` apart), stride 1, adding `bias` if given. Works through the batch in
    /// pieces of at most `budget` floats of transformed data: several whole images per product,
    /// or bands of tile rows of one large image.
    static func convolve(_ x: UnsafePointer<Float>, batch n: Int, inChannels inC: Int, height: Int, width: Int,
                         padding: Int, u: UnsafePointer<Float>, uStride: Int, outChannels outC: Int,
                         bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
                         outH: Int, outW: Int, budget: Int, workspace work: Workspace) {
        let tilesDown = (outH + 1) / 2, tilesAcross = (outW + 1) / 2
        let tiles = tilesDown * tilesAcross
        let inSize = inC * height * width, outSize = outC * outH * outW
        let perTile = 16 * max(inC, outC)
        var units: [(image: Int, count: Int, rows: Range<Int>)] = []
        if perTile * tiles > budget {
            let bandRows = max(1, budget / (perTile * tilesAcross))
            for i in 0..<n {
                for r in stride(from: 0, to: tilesDown, by: bandRows) {
                    units.append((i, 1, r..<min(r + bandRows, tilesDown)))
                }
            }
        } else {
            let chunk = max(1, min(n, budget / (perTile * tiles)))
            for i in stride(from: 0, to: n, by: chunk) {
                units.append((i, min(chunk, n - i), 0..<tilesDown))
            }
        }
        let maxTiles = units.map { $0.count * $0.rows.count * tilesAcross }.max() ?? 0
        let maxBandRows = units.map { $0.rows.count }.max() ?? 0
        // Rows padded to whole cache lines, and each of the sixteen matrices shifted by one more
        // line, so the sixteen streams of a transform fall in different cache sets.
        func leading(_ cols: Int) -> Int { (cols + 15) / 16 * 16 }
        let paddedWidth = 2 * tilesAcross + 2
        work.reserve(columns: 16 * (inC * leading(maxTiles) + 16), gathered: 16 * (outC * leading(maxTiles) + 16))
        work.reserve(padded: inC * (2 * maxBandRows + 2) * paddedWidth)

        work.columns.withUnsafeMutableBufferPointer { vb in
        work.gathered.withUnsafeMutableBufferPointer { mb in
        work.padded.withUnsafeMutableBufferPointer { pb in
            let v = vb.baseAddress!, m = mb.baseAddress!, padded = pb.baseAddress!
            for unit in units {
                let cols = unit.count * unit.rows.count * tilesAcross
                let ld = leading(cols)
                let vStride = inC * ld + 16, mStride = outC * ld + 16
                let r = unit.rows
                // The transforms are split by channel across threads (each channel's tiles and
                // padded band are its own), the sixteen products use OpenBLAS's threads.
                let bandPlane = (2 * r.count + 2) * paddedWidth
                ParallelLoop.split(inC, work: 16 * inC * cols) { cr in
                    for i in 0..<unit.count {
                        pad(x + (unit.image + i) * inSize + cr.lowerBound * height * width, channels: cr.count,
                            height: height, width: width, padding: padding, paddedWidth: paddedWidth,
                            paddedRows: (2 * r.lowerBound)..<(2 * r.upperBound + 2),
                            into: padded + cr.lowerBound * bandPlane)
                        transformInput(padded: padded + cr.lowerBound * bandPlane, channels: cr.count,
                                       paddedWidth: paddedWidth, tileRows: r.count, tilesAcross: tilesAcross,
                                       into: v + cr.lowerBound * ld, ld: ld, kStride: vStride, column: i * tiles)
                    }
                }
                for k in 0..<16 {
                    sgemm(m: outC, n: cols, k: inC, a: u + k * uStride, lda: inC,
                          b: v + k * vStride, ldb: ld, beta: 0, c: m + k * mStride, ldc: ld)
                }
                ParallelLoop.split(outC, work: 16 * outC * cols) { orange in
                    for i in 0..<unit.count {
                        transformOutput(m + orange.lowerBound * ld, outChannels: orange.count, ld: ld, kStride: mStride,
                                        column: i * tiles, tilesAcross: tilesAcross, tileRows: r,
                                        bias: bias.map { $0 + orange.lowerBound },
                                        into: y + (unit.image + i) * outSize + orange.lowerBound * outH * outW,
                                        outH: outH, outW: outW)
                    }
                }
            }
        }}}
    }

    /// Copies rows `paddedRows` (in padded coordinates) of a CHW image into a zero-bordered buffer
    /// of `paddedWidth` columns, so every 4x4 tile can be read without bounds checks.
    static func pad(_ x: UnsafePointer<Float>, channels: Int, height: Int, width: Int, padding: Int,
                    paddedWidth: Int, paddedRows: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        let plane = height * width
        var out = dst
        for c in 0..<channels {
            let src = x + c * plane
            for pr in paddedRows {
                let iy = pr - padding
                if iy >= 0 && iy < height {
                    out.update(repeating: 0, count: padding)
                    (out + padding).update(from: src + iy * width, count: width)
                    (out + padding + width).update(repeating: 0, count: paddedWidth - padding - width)
                } else {
                    out.update(repeating: 0, count: paddedWidth)
                }
                out += paddedWidth
            }
        }
    }

    /// Transforms 4x4 tiles of a padded band (`pad`) into `v[k * kStride + c * ld + column + t]`,
    /// `t` counting tiles row-major. The band holds `2 * tileRows + 2` rows of `paddedWidth` per
    /// channel; tile (ty, tx) starts at row 2ty, column 2tx. (`kStride` should not be a multiple of
    /// 4 KiB, or the sixteen output streams compete for the same cache sets.)
    static func transformInput(padded x: UnsafePointer<Float>, channels: Int, paddedWidth w: Int,
                               tileRows: Int, tilesAcross: Int,
                               into v: UnsafeMutablePointer<Float>, ld: Int, kStride k: Int, column: Int) {
        let plane = (2 * tileRows + 2) * w
        for c in 0..<channels {
            let src = UnsafeRawPointer(x + c * plane)
            var out = v + c * ld + column
            for ty in 0..<tileRows {
                var p = src + 2 * ty * w * MemoryLayout<Float>.stride
                let rowBytes = w * MemoryLayout<Float>.stride
                for _ in 0..<tilesAcross {
                    let r0 = p.loadUnaligned(as: SIMD4<Float>.self)
                    let r1 = p.loadUnaligned(fromByteOffset: rowBytes, as: SIMD4<Float>.self)
                    let r2 = p.loadUnaligned(fromByteOffset: 2 * rowBytes, as: SIMD4<Float>.self)
                    let r3 = p.loadUnaligned(fromByteOffset: 3 * rowBytes, as: SIMD4<Float>.self)
                    // Bt d: rows r0 - r2, r1 + r2, r2 - r1, r1 - r3; then the same on columns.
                    let t0 = r0 - r2, t1 = r1 + r2, t2 = r2 - r1, t3 = r1 - r3
                    @inline(__always) func store(_ t: SIMD4<Float>, row i: Int) {
                        let o = out + 4 * i * k
                        o[0] = t[0] - t[2]
                        o[k] = t[1] + t[2]
                        o[2 * k] = t[2] - t[1]
                        o[3 * k] = t[1] - t[3]
                    }
                    store(t0, row: 0)
                    store(t1, row: 1)
                    store(t2, row: 2)
                    store(t3, row: 3)
                    out += 1
                    p += 2 * MemoryLayout<Float>.stride
                }
            }
        }
    }

    /// Turns products `m[k * kStride + o * ld + column + t]` back into 2x2 output tiles of one
    /// image, tile rows `tileRows`, adding the bias if any; tiles past an odd border are cut.
    static func transformOutput(_ m: UnsafePointer<Float>, outChannels: Int, ld: Int, kStride k: Int, column: Int,
                                tilesAcross: Int, tileRows: Range<Int>, bias: UnsafePointer<Float>?,
                                into y: UnsafeMutablePointer<Float>, outH: Int, outW: Int) {
        for o in 0..<outChannels {
            var src = m + o * ld + column
            let dst = y + o * outH * outW
            let b = bias?[o] ?? 0
            for ty in tileRows {
                let oy = 2 * ty
                for tx in 0..<tilesAcross {
                    var v = SIMD16<Float>()
                    for i in 0..<16 { v[i] = src[i * k] }
                    let r0 = v.lowHalf.lowHalf, r1 = v.lowHalf.highHalf, r2 = v.highHalf.lowHalf, r3 = v.highHalf.highHalf
                    // At M: rows r0 + r1 + r2 and r1 - r2 - r3; then the same on columns.
                    let s0 = r0 + r1 + r2, s1 = r1 - r2 - r3
                    let ox = 2 * tx
                    let row0 = dst + oy * outW + ox
                    row0[0] = s0[0] + s0[1] + s0[2] + b
                    let wide = ox + 1 < outW
                    if wide { row0[1] = s0[1] - s0[2] - s0[3] + b }
                    if oy + 1 < outH {
                        let row1 = row0 + outW
                        row1[0] = s1[0] + s1[1] + s1[2] + b
                        if wide { row1[1] = s1[1] - s1[2] - s1[3] + b }
                    }
                    src += 1
                }
            }
        }
    }
}
