import SeqMedia

/// A normalised joint RGB histogram of a downscaled frame, the signature the shot detector compares.
public struct ColorHistogram: Sendable, Equatable {
    /// Bin frequencies, summing to one; index `(r * bins + g) * bins + b`.
    public private(set) var frequencies: [Float]
    /// Bins per colour channel.
    public let binsPerChannel: Int

    /// The histogram of `image` shrunk to `thumbnailWidth` x `thumbnailHeight` by box averaging
    /// (which also suppresses noise and compression artefacts). Grayscale images use r = g = b.
    ///
    /// A frame at least four times the thumbnail's size each way (640x360 and up for the default
    /// 64x36) takes `cellBins`, one integer pass that needs no float thumbnail; smaller images
    /// are box resampled exactly (`BoxResampler`), where a cell of 2-3 pixels would otherwise
    /// lose its fractional edge weights (carphone's 176x144: histograms up to 0.058 apart).
    public init(of image: Image, thumbnailWidth: Int = 64, thumbnailHeight: Int = 36, binsPerChannel: Int = 16) {
        precondition(binsPerChannel >= 1 && binsPerChannel <= 64, "binsPerChannel must be in 1...64")
        precondition(thumbnailWidth >= 1 && thumbnailHeight >= 1, "empty thumbnail")
        let large = image.width >= 4 * thumbnailWidth && image.height >= 4 * thumbnailHeight
        let cells = large ? Self.cellBins(image, width: thumbnailWidth, height: thumbnailHeight, binsPerChannel: binsPerChannel)
                          : Self.boxBins(image, width: thumbnailWidth, height: thumbnailHeight, binsPerChannel: binsPerChannel)
        self.init(cells: cells, binsPerChannel: binsPerChannel)
    }

    /// The histogram of thumbnail cells given by their bin indices.
    init(cells: [Int], binsPerChannel: Int) {
        self.binsPerChannel = binsPerChannel
        var counts = [Float](repeating: 0, count: binsPerChannel * binsPerChannel * binsPerChannel)
        for bin in cells { counts[bin] += 1 }
        let inv = 1 / Float(cells.count)
        frequencies = counts.map { $0 * inv }
    }

    /// The histogram bin of every cell of the box-averaged float thumbnail (`BoxResampler`),
    /// cells in row order.
    static func boxBins(_ image: Image, width tw: Int, height th: Int, binsPerChannel bins: Int) -> [Int] {
        let c = image.channels
        let plane = BoxResampler.resample(image, width: tw, height: th)
        let scale = Float(bins) / 256
        func bin(_ v: Float) -> Int { min(bins - 1, max(0, Int(v * scale))) }
        return (0..<(tw * th)).map { i in
            let r = bin(plane[i * c])
            let g = c >= 3 ? bin(plane[i * c + 1]) : r
            let b = c >= 3 ? bin(plane[i * c + 2]) : r
            return (r * bins + g) * bins + b
        }
    }

    /// The histogram bin of every thumbnail cell's mean colour, cells in row order. Each source
    /// pixel counts whole for the cell holding its centre (no fractional edge weights), only
    /// every `rowStep`-th row is read when a cell is 16 or more rows tall (a 720p frame: every
    /// 2nd), and the sums are integers, so the bin is exact integer division. Against the box
    /// thumbnail this moves a few cells to a neighbouring bin: on Megamind.avi at 1280x720 the
    /// histograms stay within 0.033 of each other (0.028 at its native 720x528), where cuts
    /// differ by 0.43 and more (HistogramPassTests); every 5th row would reach 0.067.
    static func cellBins(_ image: Image, width tw: Int, height th: Int, binsPerChannel bins: Int) -> [Int] {
        let w = image.width, h = image.height, c = image.channels
        // The first source column and row of every cell (and one past the last cell).
        func starts(_ source: Int, _ target: Int) -> [Int] {
            (0...target).map { cell in
                // Pixel i's centre (i + 0.5) lies in cell floor((2i + 1) * target / (2 * source)).
                (2 * cell * source + target - 1) / (2 * target)
            }
        }
        let colStart = starts(w, tw), rowStart = starts(h, th)
        let rowStep = max(1, h / th / 8)
        var sums = [UInt32](repeating: 0, count: tw * th * 3)
        // Per cell row: first every column's sums down the sampled rows (for RGB a plain
        // byte-wise loop the compiler vectorises), then the cells' sums across their columns.
        var columns = [UInt32](repeating: 0, count: w * 3)
        image.pixels.withUnsafeBufferPointer { src in
        columns.withUnsafeMutableBufferPointer { columns in
        sums.withUnsafeMutableBufferPointer { sums in
            for cy in 0..<th {
                for i in 0..<(w * 3) { columns[i] = 0 }
                var y = rowStart[cy]
                while y < rowStart[cy + 1] {
                    let row = src.baseAddress! + y * w * c
                    if c == 3 {
                        for i in 0..<(w * 3) { columns[i] &+= UInt32(row[i]) }
                    } else {
                        // Fewer than three channels count the first as r = g = b; beyond three
                        // the rest is ignored.
                        for x in 0..<w {
                            for k in 0..<3 { columns[x * 3 + k] &+= UInt32(row[x * c + (c >= 3 ? k : 0)]) }
                        }
                    }
                    y += rowStep
                }
                for cx in 0..<tw {
                    var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
                    for x in colStart[cx]..<colStart[cx + 1] {
                        r &+= columns[x * 3]; g &+= columns[x * 3 + 1]; b &+= columns[x * 3 + 2]
                    }
                    let o = (cy * tw + cx) * 3
                    sums[o] = r; sums[o + 1] = g; sums[o + 2] = b
                }
            }
        }}}
        var out = [Int](repeating: 0, count: tw * th)
        for cy in 0..<th {
            let rows = (rowStart[cy + 1] - rowStart[cy] + rowStep - 1) / rowStep
            for cx in 0..<tw {
                // bin = floor(mean * bins / 256), mean = sum / pixels.
                let denominator = UInt64(256 * rows * (colStart[cx + 1] - colStart[cx]))
                let o = (cy * tw + cx) * 3
                func bin(_ sum: UInt32) -> Int { min(bins - 1, Int(UInt64(sum) * UInt64(bins) / denominator)) }
                out[cy * tw + cx] = (bin(sums[o]) * bins + bin(sums[o + 1])) * bins + bin(sums[o + 2])
            }
        }
        return out
    }

    /// Half the L1 distance between the two histograms: 0 for identical colour content, 1 for
    /// disjoint content (equivalently one minus the histogram intersection).
    public func distance(to other: ColorHistogram) -> Float {
        precondition(binsPerChannel == other.binsPerChannel, "histograms must have the same bins")
        var sum: Float = 0
        for i in 0..<frequencies.count { sum += abs(frequencies[i] - other.frequencies[i]) }
        return sum / 2
    }
}
