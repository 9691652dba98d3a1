import SeqNN

/// Weight fillers as the published Caffe models use them.
public enum Initializer {
    /// Caffe's "xavier": uniform in `±sqrt(3 / fanIn)`.
    public static func xavier(shape: [Int], fanIn: Int, using rng: inout SeededGenerator) -> Tensor {
        let bound = (3 / Float(max(fanIn, 1))).squareRoot()
        return fill(shape) { (rng.nextUnitFloat() * 2 - 1) * bound }
    }

    /// Caffe's "gaussian": normal with mean 0 and the given standard deviation.
    public static func gaussian(shape: [Int], std: Float, using rng: inout SeededGenerator) -> Tensor {
        fill(shape) { rng.nextGaussian() * std }
    }

    private static func fill(_ shape: [Int], _ next: () -> Float) -> Tensor {
        let n = shape.reduce(1, *)
        let data = [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            for i in 0..<n { buf[i] = next() }
            initialized = n
        }
        return Tensor(shape: shape, data: data)
    }
}
