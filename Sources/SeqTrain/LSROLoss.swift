import Foundation
import SeqCore

/// Softmax loss with label-smoothing regularisation for outliers (LSRO), as in SeqFace.
///
/// For a sample with label `y >= 0` the loss is `-log p_y`; for a sequence sample (`y < 0`)
/// the target is uniform over all `C` identity classes, so the loss is `-(1/C) Σ_c log p_c`.
/// Probabilities are clamped to `FLT_MIN` before the log. The batch loss is the sum over
/// non-ignored samples divided by their count (at least 1).
public struct LSROLoss: Sendable {
    /// Samples with this label contribute neither loss nor gradient.
    public var ignoreLabel: Int32?
    /// Multiplies the gradient (the returned loss value is unweighted, as Caffe reports it).
    public var lossWeight: Float

    public init(ignoreLabel: Int32? = nil, lossWeight: Float = 1) {
        self.ignoreLabel = ignoreLabel
        self.lossWeight = lossWeight
    }

    /// The loss of one batch and its gradient with respect to the logits.
    public struct Output: Sendable {
        /// Mean loss over the non-ignored samples (unweighted).
        public var loss: Float
        /// `batch x classes`, row-major, already divided by the valid count and times `lossWeight`.
        public var dlogits: [Float]
        /// Number of samples that were not ignored.
        public var validCount: Int
    }

    /// Evaluates the loss on `logits` (`labels.count x classes`, row-major).
    /// - Throws: `SeqError` when the sizes disagree or a label is `>= classes`.
    public func evaluate(logits: [Float], labels: [Int32], classes: Int) throws -> Output {
        let batch = labels.count
        guard classes > 0 else { throw SeqError("LSRO loss needs at least one class") }
        guard logits.count == batch * classes else {
            throw SeqError("LSRO loss: \(logits.count) logits for \(batch) labels x \(classes) classes")
        }
        for (i, y) in labels.enumerated() where y != ignoreLabel && Int(y) >= classes {
            throw SeqError("LSRO loss: label \(y) of sample \(i) is not below the class count \(classes)")
        }
        var dlogits = [Float](repeating: 0, count: logits.count)
        var total = 0.0
        var valid = 0
        let uniform = 1 / Float(classes)
        logits.withUnsafeBufferPointer { z in
            dlogits.withUnsafeMutableBufferPointer { g in
                for m in 0..<batch {
                    let y = labels[m]
                    if let ignore = ignoreLabel, y == ignore { continue }
                    valid += 1
                    let row = z.baseAddress! + m * classes
                    let out = g.baseAddress! + m * classes
                    // Probabilities go into the gradient row; the target is subtracted below.
                    var peak = -Float.infinity
                    for c in 0..<classes { peak = max(peak, row[c]) }
                    var sum: Float = 0
                    for c in 0..<classes {
                        let e = expf(row[c] - peak)
                        out[c] = e
                        sum += e
                    }
                    let inv = 1 / sum
                    for c in 0..<classes { out[c] *= inv }
                    if y >= 0 {
                        total -= Double(logf(max(out[Int(y)], Float.leastNormalMagnitude)))
                        out[Int(y)] -= 1
                    } else {
                        var logSum = 0.0
                        for c in 0..<classes {
                            logSum += Double(logf(max(out[c], Float.leastNormalMagnitude)))
                            out[c] -= uniform
                        }
                        total -= logSum / Double(classes)
                    }
                }
                let scale = lossWeight / Float(max(valid, 1))
                for i in 0..<g.count { g[i] *= scale }
            }
        }
        return Output(loss: Float(total / Double(max(valid, 1))), dlogits: dlogits, validCount: valid)
    }
}
