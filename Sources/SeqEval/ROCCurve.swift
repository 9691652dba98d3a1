import Foundation

/// One operating point of the ROC: the rates when pairs with similarity `>= threshold` are
/// called "same person".
public struct ROCPoint: Equatable, Sendable {
    public var threshold: Double
    /// True accept rate (recall of same-person pairs).
    public var tpr: Double
    /// False accept rate.
    public var fpr: Double
}

/// The ROC over every distinct similarity, with the figures derived from it.
public struct ROCCurve: Sendable {
    /// One point per distinct similarity, threshold ascending (so rates fall from (1, 1)),
    /// the order SeqFace writes `roc.txt` in.
    public var points: [ROCPoint]
    public var positives: Int
    public var negatives: Int

    public init(similarities: [Double], same: [Bool]) {
        precondition(similarities.count == same.count)
        positives = same.reduce(0) { $0 + ($1 ? 1 : 0) }
        negatives = same.count - positives
        let order = similarities.indices.sorted { similarities[$0] > similarities[$1] }
        var tp = 0, fp = 0
        var descending: [ROCPoint] = []
        var i = 0
        // Sweep from the highest threshold down; a tie group enters all at once.
        while i < order.count {
            let value = similarities[order[i]]
            while i < order.count, similarities[order[i]] == value {
                if same[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            // SeqFace divides by max(count, 1), so a missing class gives rate 0 rather than NaN.
            descending.append(ROCPoint(threshold: value, tpr: Double(tp) / Double(max(positives, 1)),
                                       fpr: Double(fp) / Double(max(negatives, 1))))
        }
        points = descending.reversed()
    }

    /// Whether both classes are present, which every figure below needs.
    public var isDefined: Bool { positives > 0 && negatives > 0 }

    /// The points from (0, 0) up to (1, 1), threshold descending.
    var pathFromOrigin: [ROCPoint] {
        [ROCPoint(threshold: .infinity, tpr: 0, fpr: 0)] + points.reversed()
    }

    /// Area under the piecewise-linear ROC; equals the probability that a same-person pair
    /// scores above a different-person pair, ties counting half.
    public var auc: Double? {
        guard isDefined else { return nil }
        var area = 0.0
        let path = pathFromOrigin
        for (a, b) in zip(path, path.dropFirst()) { area += (b.fpr - a.fpr) * (a.tpr + b.tpr) / 2 }
        return area
    }

    /// Equal error rate: where the false accept rate equals the false reject rate (1 − TPR),
    /// interpolated linearly along the ROC segment that crosses.
    public var eer: Double? {
        guard isDefined else { return nil }
        let path = pathFromOrigin
        for (a, b) in zip(path, path.dropFirst()) {
            let da = a.fpr + a.tpr - 1, db = b.fpr + b.tpr - 1
            if da < 0, db >= 0 {
                let t = -da / (db - da)
                return a.fpr + t * (b.fpr - a.fpr)
            }
        }
        return nil
    }

    /// The highest true accept rate whose false accept rate is at most `far` (no interpolation;
    /// 0 when even the strictest threshold accepts too many different-person pairs).
    public func tar(atFAR far: Double) -> Double? {
        guard isDefined else { return nil }
        var best = 0.0
        for p in points where p.fpr <= far { best = max(best, p.tpr) }
        return best
    }

    /// `roc.txt` as SeqFace writes it: `tpr fpr` with six decimals, one line per threshold.
    public var text: String {
        var out = ""
        out.reserveCapacity(points.count * 18)
        for p in points { out += String(format: "%.6f %.6f\n", p.tpr, p.fpr) }
        return out
    }
}
