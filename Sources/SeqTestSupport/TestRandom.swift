/// Deterministic pseudo-random numbers for synthetic test inputs, so failures reproduce
/// (SplitMix64: `next()` adds the golden-ratio increment to the state and mixes it).
///
/// The one seeded generator of the test targets; a target adds what it needs on top (SeqNN's
/// tests build tensors from `uniform()`). Training's own generator is `SeqTrain.SeededGenerator`,
/// which a checkpoint saves; this one is for tests only.
public struct TestRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// A uniformly random byte.
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
}
