import SeqMedia

/// A tiny grayscale thumbnail of an aligned face crop, for spotting near-duplicate faces.
///
/// The crop is converted to gray (BT.601), box-averaged down to `size` x `size` (default 16) and
/// its mean is subtracted, so a global brightness change alone does not make two faces differ.
public struct DuplicateSignature: Sendable, Equatable, Codable {
    public var size: Int
    /// `size * size` mean-free gray values on the 0...255 scale, rows top to bottom.
    public var values: [Float]

    public init(alignedCrop: Image, size: Int = 16) {
        precondition(size >= 1, "signature size must be positive")
        var v = BoxResampler.luma(alignedCrop, width: size, height: size)
        let mean = v.reduce(0, +) / Float(v.count)
        for i in v.indices { v[i] -= mean }
        self.size = size
        self.values = v
    }

    /// Mean absolute difference of the two thumbnails in gray levels (0 for the same picture).
    public func meanAbsoluteDifference(to other: DuplicateSignature) -> Float {
        precondition(size == other.size, "signatures must have the same size")
        var sum: Float = 0
        for i in values.indices { sum += abs(values[i] - other.values[i]) }
        return sum / Float(values.count)
    }
}
