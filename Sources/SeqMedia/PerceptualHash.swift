/// A 64-bit difference hash (dHash) of an image, for finding near-duplicate face crops.
///
/// The image is reduced to 9x8 grey cells by area averaging; bit `8*row + col` is set when
/// cell `col` is brighter than cell `col + 1`. Re-encoding, small resizes and mild blur change
/// few bits; a different face changes about half. Compare with `distance`.
///
/// The catalog stores the hash as a plain `UInt64` (`FaceRecord`, identity images); the modules
/// that hold the pixels (ingest, identity import, exclusion) compute it.
public enum PerceptualHash {
    /// Hashes an image: grey, RGB, or with more channels the first three as RGB.
    public static func dHash(_ image: Image) -> UInt64 {
        let width = image.width, height = image.height, channels = image.channels
        precondition(width > 0 && height > 0 && image.pixels.count == width * height * channels, "bad image buffer")
        let pixels = image.pixels
        let cols = 9, rows = 8
        var sums = [Double](repeating: 0, count: cols * rows)
        var weights = [Double](repeating: 0, count: cols * rows)
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let row = min(rows - 1, y * rows / height)
                for x in 0..<width {
                    let col = min(cols - 1, x * cols / width)
                    let i = (y * width + x) * channels
                    let luma: Double
                    if channels >= 3 {
                        luma = 0.299 * Double(p[i]) + 0.587 * Double(p[i + 1]) + 0.114 * Double(p[i + 2])
                    } else {
                        luma = Double(p[i])
                    }
                    sums[row * cols + col] += luma
                    weights[row * cols + col] += 1
                }
            }
        }
        // An image narrower than 9 pixels leaves cells empty; they count as black.
        let cells = zip(sums, weights).map { $1 > 0 ? $0 / $1 : 0 }
        var hash: UInt64 = 0
        for r in 0..<rows {
            for c in 0..<(cols - 1) where cells[r * cols + c] > cells[r * cols + c + 1] {
                hash |= 1 << UInt64(r * 8 + c)
            }
        }
        return hash
    }

    /// The number of differing bits: 0 for the same image, about 32 for unrelated ones.
    public static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }
}
