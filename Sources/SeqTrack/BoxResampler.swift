import SeqMedia

/// Box-filter resampling to float planes: every output pixel is the coverage-weighted mean of the
/// source pixels under it. Shrinking this way averages away noise and compression artefacts, which
/// is what histograms, sharpness and duplicate signatures want; enlarging degrades gracefully to
/// nearest-neighbour blocks.
enum BoxResampler {
    /// For output index i: source pixels `start[i] ..< start[i] + count[i]`, with weights
    /// `weights[offset[i] ..< offset[i] + count[i]]` summing to one.
    struct Taps {
        var start: [Int] = []
        var count: [Int] = []
        var offset: [Int] = []
        var weights: [Float] = []
    }

    static func taps(source: Int, target: Int) -> Taps {
        precondition(source > 0 && target > 0, "resampling needs non-empty sizes")
        let scale = Double(source) / Double(target)
        var t = Taps()
        for i in 0..<target {
            let a = Double(i) * scale, b = Double(i + 1) * scale
            let first = Int(a.rounded(.down))
            let last = max(first, min(source - 1, Int((b - 1e-9).rounded(.down))))
            t.start.append(first)
            t.count.append(last - first + 1)
            t.offset.append(t.weights.count)
            for j in first...last {
                let overlap = min(Double(j + 1), b) - max(Double(j), a)
                t.weights.append(Float(max(0, overlap) / scale))
            }
        }
        return t
    }

    /// `image` resampled to `width` x `height`, channels kept, HWC floats on the 0...255 scale.
    static func resample(_ image: Image, width: Int, height: Int) -> [Float] {
        let c = image.channels
        let tx = taps(source: image.width, target: width)
        let ty = taps(source: image.height, target: height)
        let rowLen = width * c
        // Horizontal pass into a (source rows) x (target columns) buffer, then vertical.
        var rows = [Float](repeating: 0, count: image.height * rowLen)
        image.pixels.withUnsafeBufferPointer { src in
            rows.withUnsafeMutableBufferPointer { dst in
                tx.weights.withUnsafeBufferPointer { w in
                tx.start.withUnsafeBufferPointer { start in
                tx.count.withUnsafeBufferPointer { count in
                tx.offset.withUnsafeBufferPointer { offset in
                    if c == 3 {
                        // RGB frames (the shot detector's every frame): the three channels in one
                        // pass, summed in the same order as the generic loop below, so the
                        // values are identical.
                        for y in 0..<image.height {
                            let srcRow = y * image.width * 3, dstRow = y * rowLen
                            for x in 0..<width {
                                var p = srcRow + start[x] * 3
                                let o = offset[x]
                                var r: Float = 0, g: Float = 0, b: Float = 0
                                for k in 0..<count[x] {
                                    let wk = w[o + k]
                                    r += wk * Float(src[p]); g += wk * Float(src[p + 1]); b += wk * Float(src[p + 2])
                                    p += 3
                                }
                                dst[dstRow + x * 3] = r; dst[dstRow + x * 3 + 1] = g; dst[dstRow + x * 3 + 2] = b
                            }
                        }
                        return
                    }
                    for y in 0..<image.height {
                        let srcRow = y * image.width * c, dstRow = y * rowLen
                        for x in 0..<width {
                            let s = srcRow + tx.start[x] * c, o = tx.offset[x], n = tx.count[x]
                            for ch in 0..<c {
                                var acc: Float = 0
                                for k in 0..<n { acc += w[o + k] * Float(src[s + k * c + ch]) }
                                dst[dstRow + x * c + ch] = acc
                            }
                        }
                    }
                }}}}
            }
        }
        var out = [Float](repeating: 0, count: height * rowLen)
        rows.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let dstRow = y * rowLen
                    for k in 0..<ty.count[y] {
                        let w = ty.weights[ty.offset[y] + k], srcRow = (ty.start[y] + k) * rowLen
                        for i in 0..<rowLen { dst[dstRow + i] += w * src[srcRow + i] }
                    }
                }
            }
        }
        return out
    }

    /// `image` as BT.601 luma, resampled to `width` x `height` (floats on the 0...255 scale).
    static func luma(_ image: Image, width: Int, height: Int) -> [Float] {
        let plane = resample(image, width: width, height: height)
        let c = image.channels
        if c == 1 { return plane }
        var out = [Float](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            out[i] = c >= 3 ? 0.299 * plane[i * c] + 0.587 * plane[i * c + 1] + 0.114 * plane[i * c + 2] : plane[i * c]
        }
        return out
    }
}
