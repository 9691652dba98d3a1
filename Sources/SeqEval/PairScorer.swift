import SeqCore

/// A pair with its cosine similarity.
public struct ScoredPair: Equatable, Sendable {
    public var pair: FacePair
    public var similarity: Double

    public init(pair: FacePair, similarity: Double) {
        self.pair = pair
        self.similarity = similarity
    }
}

/// The similarities of a pair list.
public struct PairScores: Sendable {
    public var benchmark: Benchmark
    public var layout: PairLayout
    public var pairsFile: String
    /// The scored pairs, in file order.
    public var pairs: [ScoredPair]
    /// Pairs left out because a key had no feature (only with `skipMissing`).
    public var skipped: [FacePair]
    /// The keys that had no feature, sorted (only with `skipMissing`).
    public var missingKeys: [String]

    public init(benchmark: Benchmark, layout: PairLayout, pairsFile: String, pairs: [ScoredPair],
                skipped: [FacePair] = [], missingKeys: [String] = []) {
        self.benchmark = benchmark
        self.layout = layout
        self.pairsFile = pairsFile
        self.pairs = pairs
        self.skipped = skipped
        self.missingKeys = missingKeys
    }

    public var similarities: [Double] { pairs.map(\.similarity) }
    public var labels: [Bool] { pairs.map(\.pair.same) }
    public var folds: [Int] { pairs.map(\.pair.fold) }
}

/// Turns a pair list and a feature source into cosine similarities.
public enum PairScorer {
    /// Scores every pair of `list` with features from `source`.
    /// - Parameter skipMissing: leave out pairs whose key has no feature instead of stopping.
    /// - Throws: a `SeqError` naming the first missing key (file:line of its pair), or a bad feature.
    public static func score(_ list: PairList, with source: FeatureSource, skipMissing: Bool = false) throws -> PairScores {
        var unique: [String] = []
        var slot: [String: Int] = [:]
        for p in list.pairs {
            for k in [p.first, p.second] where slot[k] == nil {
                slot[k] = unique.count
                unique.append(k)
            }
        }
        let features = try source.features(for: unique)
        guard features.count == unique.count else {
            throw SeqError("feature source \(source.origin) returned \(features.count) features for \(unique.count) keys")
        }
        var dimension: Int?
        var norms = [Double](repeating: 0, count: unique.count)
        for (i, f) in features.enumerated() {
            guard let f else { continue }
            if let d = dimension, d != f.count {
                throw SeqError("feature of '\(SeqError.quotable(unique[i]))' has \(f.count) values where \(d) were expected", file: source.origin)
            }
            dimension = f.count
            norms[i] = try f.withUnsafeBufferPointer {
                try FeatureCheck.norm($0.baseAddress!, count: f.count, name: unique[i], file: source.origin)
            }
        }

        var scored: [ScoredPair] = []
        scored.reserveCapacity(list.pairs.count)
        var skipped: [FacePair] = []
        var missing = Set<String>()
        for p in list.pairs {
            let a = slot[p.first]!, b = slot[p.second]!
            guard let fa = features[a], let fb = features[b] else {
                let key = features[a] == nil ? p.first : p.second
                if !skipMissing {
                    throw SeqError("no feature for '\(SeqError.quotable(key))' in \(source.origin) (use --skip-missing to leave such pairs out)",
                                   file: list.file, line: p.line)
                }
                if features[a] == nil { missing.insert(p.first) }
                if features[b] == nil { missing.insert(p.second) }
                skipped.append(p)
                continue
            }
            let dot = fa.withUnsafeBufferPointer { pa in
                fb.withUnsafeBufferPointer { pb in VectorMath.dot(pa.baseAddress!, pb.baseAddress!, count: pa.count) }
            }
            let cosine = min(1, max(-1, dot / (norms[a] * norms[b])))
            scored.append(ScoredPair(pair: p, similarity: cosine))
        }
        if scored.isEmpty {
            throw SeqError("no pair has features for both keys in \(source.origin) (\(skipped.count) pairs skipped)", file: list.file)
        }
        return PairScores(benchmark: list.benchmark, layout: list.layout, pairsFile: list.file, pairs: scored,
                          skipped: skipped, missingKeys: missing.sorted())
    }
}
