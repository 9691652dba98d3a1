/// A decision threshold and how well it separates pairs: a pair is called "same person" when
/// its similarity is at least `threshold`.
public struct ThresholdChoice: Equatable, Sendable {
    public var threshold: Double
    /// Pairs classified correctly.
    public var correct: Int
    public var total: Int

    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}

/// SeqFace's best-threshold rule (`evaluate.py`): try each observed similarity as the threshold
/// (same iff `similarity >= threshold`) and keep the most accurate, the lowest one on ties.
///
/// Tied similarities form one candidate: a threshold cannot put equal values on different sides.
public enum ThresholdSearch {
    /// The best threshold over all of `similarities`; nil when there are none.
    public static func best(similarities: [Double], same: [Bool]) -> ThresholdChoice? {
        precondition(similarities.count == same.count)
        let n = similarities.count
        guard n > 0 else { return nil }
        let order = similarities.indices.sorted { similarities[$0] < similarities[$1] }
        // With the threshold at the lowest value everything is called same: the positives are right.
        var correct = same.reduce(0) { $0 + ($1 ? 1 : 0) }
        var best = ThresholdChoice(threshold: similarities[order[0]], correct: correct, total: n)
        var i = 0
        while i < n {
            let value = similarities[order[i]]
            if correct > best.correct { best = ThresholdChoice(threshold: value, correct: correct, total: n) }
            // Raising the threshold past this value flips the whole tie group to "different".
            while i < n, similarities[order[i]] == value {
                correct += same[order[i]] ? -1 : 1
                i += 1
            }
        }
        return best
    }

    /// Pairs of `similarities` classified correctly by `threshold`.
    public static func evaluate(threshold: Double, similarities: [Double], same: [Bool]) -> ThresholdChoice {
        precondition(similarities.count == same.count)
        var correct = 0
        for (s, y) in zip(similarities, same) where (s >= threshold) == y { correct += 1 }
        return ThresholdChoice(threshold: threshold, correct: correct, total: similarities.count)
    }
}
