/// A dense float32 tensor in C order (row-major). Images are NCHW.
///
/// A value type: copies are cheap until written (Swift arrays are copy-on-write).
public struct Tensor: Equatable, Sendable {
    /// Extent of each dimension, outermost first.
    public var shape: [Int]
    /// The elements in C order; `data.count == shape.reduce(1, *)`.
    public var data: [Float]

    /// Wraps existing values. The element count must match the shape.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == data.count,
                     "shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A tensor of the given shape whose every element `fill` writes: the buffer is not zeroed
    /// first, so a layer that computes its whole output makes one pass over it, not two.
    /// `fill` must write all `shape.reduce(1, *)` elements.
    public init(shape: [Int], filling fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        let n = shape.reduce(1, *)
        self.data = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            fill(UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
            initialized = n
        }
    }

    /// A tensor of the given shape with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Items `range` of the outermost (batch) dimension, as a new tensor.
    public func batch(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "batch \(range) out of range for shape \(shape)")
        let item = shape.dropFirst().reduce(1, *)
        return Tensor(shape: [range.count] + shape.dropFirst(),
                      data: Array(data[(range.lowerBound * item)..<(range.upperBound * item)]))
    }

    /// Tensors of equal shape `[n_i, ...]` joined along the batch dimension.
    public init(concatenating parts: [Tensor]) {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let tail = Array(parts[0].shape.dropFirst())
        precondition(parts.allSatisfy { $0.rank >= 1 && Array($0.shape.dropFirst()) == tail },
                     "concatenated tensors must agree beyond the batch dimension")
        var data: [Float] = []
        data.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { data.append(contentsOf: p.data) }
        self.init(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + tail, data: data)
    }

    /// Element at a multi-dimensional index (convenience, not for hot loops).
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }
}
