/// One held-out fold of the cross-validated protocol.
public struct FoldResult: Equatable, Sendable {
    public var fold: Int
    /// The threshold chosen on the other folds (SeqFace's rule, `ThresholdSearch.best`).
    public var threshold: Double
    /// Accuracy of that threshold on this fold.
    public var accuracy: Double
    public var pairs: Int
}

/// The standard verification protocol: for each fold, choose the threshold on all other folds
/// and measure accuracy on the held-out one.
public struct KFoldResult: Equatable, Sendable {
    public var folds: [FoldResult]
    /// Mean of the fold accuracies.
    public var mean: Double
    /// Population standard deviation of the fold accuracies (divide by k, as `np.std`).
    public var std: Double

    /// Cross-validates over the distinct values of `folds`; nil with fewer than two folds.
    public static func evaluate(similarities: [Double], same: [Bool], folds: [Int]) -> KFoldResult? {
        precondition(similarities.count == same.count && same.count == folds.count)
        let ids = Array(Set(folds)).sorted()
        guard ids.count >= 2 else { return nil }
        var results: [FoldResult] = []
        for id in ids {
            var trainS: [Double] = [], trainY: [Bool] = [], testS: [Double] = [], testY: [Bool] = []
            for i in folds.indices {
                if folds[i] == id {
                    testS.append(similarities[i]); testY.append(same[i])
                } else {
                    trainS.append(similarities[i]); trainY.append(same[i])
                }
            }
            let chosen = ThresholdSearch.best(similarities: trainS, same: trainY)!
            let held = ThresholdSearch.evaluate(threshold: chosen.threshold, similarities: testS, same: testY)
            results.append(FoldResult(fold: id, threshold: chosen.threshold, accuracy: held.accuracy, pairs: testS.count))
        }
        let k = Double(results.count)
        let mean = results.reduce(0) { $0 + $1.accuracy } / k
        let variance = results.reduce(0) { $0 + ($1.accuracy - mean) * ($1.accuracy - mean) } / k
        return KFoldResult(folds: results, mean: mean, std: variance.squareRoot())
    }
}
