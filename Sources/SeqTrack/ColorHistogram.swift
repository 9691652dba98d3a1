import SeqMedia

/// A normalised joint RGB histogram of a downscaled frame, the signature the shot detector compares.
public struct ColorHistogram: Sendable, Equatable {
    /// Bin frequencies, summing to one; index `(r * bins + g) * bins + b`.
    public private(set) var frequencies: [Float]
    /// Bins per colour channel.
    public let binsPerChannel: Int

    /// The histogram of `image` shrunk to `thumbnailWidth` x `thumbnailHeight` by box averaging
    /// (which also suppresses noise and compression artefacts). Grayscale images use r = g = b.
    public init(of image: Image, thumbnailWidth: Int = 64, thumbnailHeight: Int = 36, binsPerChannel: Int = 16) {
        precondition(binsPerChannel >= 1 && binsPerChannel <= 64, "binsPerChannel must be in 1...64")
        self.binsPerChannel = binsPerChannel
        let c = image.channels
        let plane = BoxResampler.resample(image, width: thumbnailWidth, height: thumbnailHeight)
        let n = thumbnailWidth * thumbnailHeight
        var counts = [Float](repeating: 0, count: binsPerChannel * binsPerChannel * binsPerChannel)
        let scale = Float(binsPerChannel) / 256
        func bin(_ v: Float) -> Int { min(binsPerChannel - 1, max(0, Int(v * scale))) }
        for i in 0..<n {
            let r = bin(plane[i * c])
            let g = c >= 3 ? bin(plane[i * c + 1]) : r
            let b = c >= 3 ? bin(plane[i * c + 2]) : r
            counts[(r * binsPerChannel + g) * binsPerChannel + b] += 1
        }
        let inv = 1 / Float(n)
        frequencies = counts.map { $0 * inv }
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
