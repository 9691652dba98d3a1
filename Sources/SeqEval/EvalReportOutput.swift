import Foundation
import SeqCore

extension EvalReport {
    /// The `--json` object: exactly `pairs`, `best_threshold_accuracy`, `best_threshold`,
    /// `kfold_mean`, `kfold_std`, `auc`, `eer`, `tar_at_far` ({"0.001", "0.01"}); accuracies are
    /// fractions; figures that need both classes (or two folds) are null without them. These are
    /// the first members of `results.json` (`EvaluationResults.summaryKeys`).
    public var summaryJSON: JSONValue {
        let keys = Set(EvaluationResults.summaryKeys.map(\.stringValue))
        return .object(detailedJSON.members.filter { keys.contains($0.key) }.map { ($0.key, $0.value) })
    }

    /// The contents of `results.json` of `--out`: the summary keys, then provenance, the
    /// per-fold results and the worst pairs.
    public var results: EvaluationResults {
        func pairList(_ list: [ScoredPair]) -> [EvaluationResults.Pair] {
            list.map { p in
                EvaluationResults.Pair(similarity: p.similarity, first: p.pair.first, second: p.pair.second, same: p.pair.same,
                                       fold: p.pair.fold, line: p.pair.line)
            }
        }
        return EvaluationResults(
            pairs: pairs, bestThresholdAccuracy: best.accuracy, bestThreshold: best.threshold, kfoldMean: kfold?.mean,
            kfoldStd: kfold?.std, auc: auc, eer: eer, tarAtFAR: .init(tarAtFAR.map { ($0.label, $0.tar) }),
            benchmark: benchmark.rawValue, layout: layout.rawValue, pairsFile: pairsFile, positives: positives,
            negatives: negatives, skippedPairs: skippedPairs, similarity: "cosine", bestThresholdCorrect: best.correct,
            folds: kfold.map { k in k.folds.map { .init(fold: $0.fold, pairs: $0.pairs, threshold: $0.threshold, accuracy: $0.accuracy) } },
            worstFalseAccepts: pairList(worstFalseAccepts), worstFalseRejects: pairList(worstFalseRejects),
            comparedROCs: compared)
    }

    /// `results.json` of `--out` as JSON.
    public var detailedJSON: JSONValue {
        // The encoder throws only where a type's own encode(to:) does; the contract's types do not.
        try! results.json()
    }

    /// The human-readable report printed without `--json`.
    public var table: String {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a (needs both classes)" }
        func num(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a (needs both classes)" }
        var rows: [(String, String)] = [
            ("pairs", "\(pairs) (\(positives) same, \(negatives) different)"
                + (skippedPairs > 0 ? ", \(skippedPairs) skipped for missing features" : "")),
            ("best-threshold accuracy", "\(pct(best.accuracy)) at cosine >= \(String(format: "%.6f", best.threshold))  (SeqFace evaluate.py)"),
        ]
        if let k = kfold {
            rows.append(("\(k.folds.count)-fold accuracy", "\(pct(k.mean)) ± \(String(format: "%.2f%%", k.std * 100))  (threshold from the other folds)"))
        } else {
            rows.append(("k-fold accuracy", "n/a (needs at least two folds)"))
        }
        rows.append(("AUC", num(auc)))
        rows.append(("EER", pct(eer)))
        for t in tarAtFAR { rows.append(("TAR @ FAR=\(t.label)", pct(t.tar))) }
        let width = rows.map(\.0.count).max() ?? 0
        var out = "\(benchmark.displayName): \(pairsFile) [\(layout.summary)]\n"
        for (name, value) in rows {
            out += "  " + name + String(repeating: " ", count: width - name.count) + "  " + value + "\n"
        }
        if let k = kfold {
            out += "  folds: " + k.folds.map { "\($0.fold): \(String(format: "%.2f", $0.accuracy * 100))" }.joined(separator: "  ") + "\n"
        }
        func section(_ title: String, _ list: [ScoredPair]) {
            out += "\(title)\n"
            if list.isEmpty { out += "  (none)\n" }
            for p in list {
                out += "  " + String(format: "%.4f", p.similarity) + "  \(p.pair.first)  \(p.pair.second)  (line \(p.pair.line))\n"
            }
        }
        for c in compared {
            // A curve of one point per pair of this protocol (SeqFace's roc files) also gives its
            // best-threshold accuracy; other curves (one point per threshold) do not.
            var line = "  compared ROC \(PrintableName.escaped(c.label)): \(c.tpr.count) points, AUC \(String(format: "%.4f", c.auc))"
            if c.tpr.count == positives + negatives, let a = c.bestAccuracy(positives: positives, negatives: negatives) {
                line += ", best-threshold accuracy \(String(format: "%.2f%%", a * 100))"
            }
            out += line + "  (\(PrintableName.escaped(c.file)))\n"
        }
        section("worst false accepts (different people, most similar first):", worstFalseAccepts)
        section("worst false rejects (same person, least similar first):", worstFalseRejects)
        return out
    }

    /// Writes `roc.txt`, `roc.svg`, `results.json` and `scores.txt` (one
    /// `similarity label fold first second` line per pair) into `directory`, creating it.
    /// - Returns: the files written.
    @discardableResult
    public func write(to directory: URL, scores: PairScores) throws -> [URL] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create output folder: \(IOFailure.reason(of: error))", file: directory.path)
        }
        let roc = directory.appendingPathComponent("roc.txt")
        let svg = directory.appendingPathComponent("roc.svg")
        let json = directory.appendingPathComponent("results.json")
        let list = directory.appendingPathComponent("scores.txt")
        try AtomicFile.write(self.roc.text, to: roc)
        try AtomicFile.write(ROCPlot.svg(for: self), to: svg)
        try AtomicFile.write(try results.serialized(), to: json)
        var text = ""
        text.reserveCapacity(scores.pairs.count * 80)
        for p in scores.pairs {
            // %.17g keeps every bit, so other tools see exactly the ties seqcurate saw.
            text += String(format: "%.17g", p.similarity) + " \(p.pair.same ? 1 : 0) \(p.pair.fold) \(p.pair.first) \(p.pair.second)\n"
        }
        try AtomicFile.write(text, to: list)
        return [roc, svg, json, list]
    }
}
