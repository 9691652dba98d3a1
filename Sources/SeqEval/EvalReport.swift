/// True accept rate at one false accept rate.
public struct TARAtFAR: Equatable, Sendable {
    /// The FAR as the JSON key writes it, e.g. "0.001".
    public var label: String
    public var far: Double
    /// nil when the pairs lack one of the classes.
    public var tar: Double?
}

/// Every figure `seqcurate eval` reports for one set of scored pairs.
public struct EvalReport: Sendable {
    /// The false accept rates of `tarAtFAR`.
    public static let standardFARs: [(label: String, far: Double)] = [("0.001", 1e-3), ("0.01", 1e-2)]

    public var benchmark: Benchmark
    public var layout: PairLayout
    public var pairsFile: String
    /// Pairs evaluated.
    public var pairs: Int
    public var positives: Int
    public var negatives: Int
    /// Pairs left out for missing features (`--skip-missing`).
    public var skippedPairs: Int
    /// SeqFace's figure: the best threshold over all pairs at once (optimistic).
    public var best: ThresholdChoice
    /// The standard protocol: threshold chosen on the other folds; nil with fewer than two folds.
    public var kfold: KFoldResult?
    public var roc: ROCCurve
    public var auc: Double?
    public var eer: Double?
    public var tarAtFAR: [TARAtFAR]
    /// Different-person pairs called "same" at the best threshold, most similar first.
    public var worstFalseAccepts: [ScoredPair]
    /// Same-person pairs called "different" at the best threshold, least similar first.
    public var worstFalseRejects: [ScoredPair]
    /// Curves from files drawn beside this one (`eval --compare-roc`), in `roc.svg` and in
    /// `results.json` for the report; they change no figure.
    public var compared: [ComparedROC] = []

    /// Computes all figures from `scores`, keeping up to `worst` false accepts and false rejects.
    public init(scores: PairScores, worst: Int = 10) {
        let s = scores.similarities, y = scores.labels
        precondition(!s.isEmpty, "EvalReport needs at least one scored pair")
        benchmark = scores.benchmark
        layout = scores.layout
        pairsFile = scores.pairsFile
        pairs = s.count
        skippedPairs = scores.skipped.count
        best = ThresholdSearch.best(similarities: s, same: y)!
        kfold = KFoldResult.evaluate(similarities: s, same: y, folds: scores.folds)
        roc = ROCCurve(similarities: s, same: y)
        positives = roc.positives
        negatives = roc.negatives
        auc = roc.auc
        eer = roc.eer
        let curve = roc
        tarAtFAR = Self.standardFARs.map { TARAtFAR(label: $0.label, far: $0.far, tar: curve.tar(atFAR: $0.far)) }
        let t = best.threshold
        worstFalseAccepts = Array(scores.pairs.filter { !$0.pair.same && $0.similarity >= t }
            .sorted { $0.similarity > $1.similarity }.prefix(worst))
        worstFalseRejects = Array(scores.pairs.filter { $0.pair.same && $0.similarity < t }
            .sorted { $0.similarity < $1.similarity }.prefix(worst))
    }
}
