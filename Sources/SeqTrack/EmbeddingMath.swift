/// Arithmetic on face embeddings (dlib's 128-d descriptors): two faces are the same person when
/// the Euclidean distance of their embeddings is below a threshold (dlib's is 0.6).
public enum EmbeddingMath {
    /// Euclidean distance; vectors of different lengths are infinitely far apart.
    public static func distance(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        var sum: Float = 0
        for i in a.indices {
            let d = a[i] - b[i]
            sum += d * d
        }
        return sum.squareRoot()
    }

    /// The element-wise mean of `vectors` (nil when there are none). The mean of one person's
    /// embeddings lies nearer to each of them than they lie to each other, so comparing means
    /// is steadier than comparing single faces.
    public static func mean(_ vectors: [[Float]]) -> [Float]? {
        guard let first = vectors.first else { return nil }
        var sum = [Float](repeating: 0, count: first.count)
        for v in vectors where v.count == sum.count {
            for i in v.indices { sum[i] += v[i] }
        }
        let n = Float(vectors.filter { $0.count == sum.count }.count)
        return sum.map { $0 / n }
    }

    /// The smallest distance between `a` and any of `others` with its index (nil when empty).
    public static func nearest(_ a: [Float], in others: [[Float]]) -> (index: Int, distance: Float)? {
        var best: (index: Int, distance: Float)?
        for (i, o) in others.enumerated() {
            let d = distance(a, o)
            if d < (best?.distance ?? .infinity) { best = (i, d) }
        }
        return best
    }
}
