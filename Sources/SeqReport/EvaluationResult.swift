import Foundation
import SeqCore

/// One evaluation folder as `seqcurate eval --out DIR` writes it: `roc.txt` (lines
/// `tpr fpr`) and a results JSON (`best_threshold_accuracy`, `kfold_mean`, `auc`, `eer`, …,
/// `worst_false_accepts`, `worst_false_rejects`). Missing or unreadable parts are recorded
/// in `problems`, never thrown.
public struct EvaluationResult: Sendable {
    /// A pair from the worst false accepts or rejects.
    public struct Pair: Sendable, Equatable {
        public var similarity: Double?
        public var first: String
        public var second: String
        /// The images, when the keys resolve to files.
        public var firstFile: URL?
        public var secondFile: URL?
    }

    public var name: String
    public var folder: URL
    /// The benchmark named in the results (`lfw`, `ytf`), if any.
    public var benchmark: String?
    /// ROC points ordered by false positive rate.
    public var roc: [(tpr: Double, fpr: Double)]
    /// Headline figures in a fixed order, then any other scalar members.
    public var figures: [(key: String, value: String)]
    public var worstFalseAccepts: [Pair]
    public var worstFalseRejects: [Pair]
    /// Curves the evaluation was compared with (`eval --compare-roc`, `compared_rocs` of
    /// results.json): label, file, SHA-256 and points ordered by false positive rate.
    public var compared: [ComparedCurve] = []
    public var problems: [String]
    /// Members of the first results JSON read, by key, for the formatted figures table.
    public var values: [String: JSONValue] = [:]
    /// TAR at each FAR of the first results JSON (`tar_at_far`), in file order.
    public var tarAtFAR: [(far: String, tar: Double?)] = []

    /// 10/FAR, the negative pairs a TAR at `far` needs, as a whole number (the tolerance keeps
    /// 10/0.01 at 1000, not 1001).
    public static func negativesNeeded(far: Double) -> Double { (10 / far * (1 - 1e-9)).rounded(.up) }

    /// Negative (different-person) pairs, when the results say.
    public var negatives: Int? { values[Key.negatives.stringValue]?.number.map { Int($0) } }

    /// The lowest false accept rate the pairs can measure: one false accept among the negatives.
    public var lowestMeasurableFAR: Double? { negatives.flatMap { $0 > 0 ? 1 / Double($0) : nil } }

    /// A TAR at `far` rests on `far * negatives` false accepts; with fewer than 10 (fewer than
    /// 10/FAR negative pairs) it is too noisy to compare. Nil when the negatives are not known.
    public func isReliable(far: Double) -> Bool? {
        guard let n = negatives, far > 0 else { return nil }
        return Double(n) >= Self.negativesNeeded(far: far)
    }

    /// A ROC curve drawn beside the evaluation's own.
    public struct ComparedCurve: Sendable {
        public var label: String
        public var file: String
        public var sha256: String
        public var roc: [(tpr: Double, fpr: Double)]
    }

    /// The headline keys, in the order of the figures table.
    public static let figureKeys: [String] = ([.benchmark, .pairs, .positives, .negatives, .bestThresholdAccuracy, .bestThreshold,
                                               .kfoldMean, .kfoldStd, .auc, .eer] as [EvaluationResults.CodingKeys]).map(\.stringValue)

    /// Reads an evaluation folder. Pair keys resolve against `imageRoots`, then the folder
    /// itself; absolute keys are used as they are.
    public static func load(from folder: URL, imageRoots: [URL] = []) -> EvaluationResult {
        var r = EvaluationResult(name: folder.standardizedFileURL.lastPathComponent, folder: folder, benchmark: nil, roc: [], figures: [],
                                 worstFalseAccepts: [], worstFalseRejects: [], problems: [])
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            r.problems.append("not a folder: \(folder.path)")
            return r
        }
        if let text = try? String(contentsOf: folder.appendingPathComponent("roc.txt"), encoding: .utf8) {
            for line in text.split(whereSeparator: \.isNewline) {
                let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
                guard parts.count >= 2, let tpr = Double(parts[0]), let fpr = Double(parts[1]) else { continue }
                r.roc.append((tpr, fpr))
            }
            r.roc.sort { ($0.fpr, $0.tpr) < ($1.fpr, $1.tpr) }
            if r.roc.isEmpty { r.problems.append("roc.txt has no `tpr fpr` lines") }
        } else {
            r.problems.append("no roc.txt")
        }
        let jsonFiles = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var found = false
        for f in jsonFiles {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(f).path), let json = JSONValue.parseForReport(data),
                  figureKeys.contains(where: { json[$0] != nil }) else { continue }
            found = true
            r.read(json, file: f, roots: imageRoots + [folder])
        }
        if !found { r.problems.append("no results JSON with best_threshold_accuracy, kfold_mean, auc or eer") }
        return r
    }

    private typealias Key = EvaluationResults.CodingKeys
    private typealias PairKey = EvaluationResults.Pair.CodingKeys

    private mutating func read(_ json: JSONValue, file: String, roots: [URL]) {
        if benchmark == nil { benchmark = json[Key.benchmark.stringValue]?.string }
        if values.isEmpty {
            for m in json.sortedMembers { values[m.key] = m.value }
            tarAtFAR = (json[Key.tarAtFAR.stringValue]?.members ?? []).map { ($0.key, $0.value.number) }
                .sorted { (Double($0.far) ?? .infinity) > (Double($1.far) ?? .infinity) }
        }
        let prefix = figures.isEmpty ? "" : "\(file): "
        for key in Self.figureKeys { if let v = json[key], v != .null { figures.append((prefix + key, v.display)) } }
        let tar = Key.tarAtFAR.stringValue
        for (key, value) in json[tar]?.sortedMembers ?? [] { figures.append((prefix + "\(tar) \(key)", value.display)) }
        for m in json.sortedMembers where !Self.figureKeys.contains(m.key) {
            switch m.value {
            case .int, .double, .fixed, .string, .bool: figures.append((prefix + m.key, m.value.display))
            default: continue
            }
        }
        compared += Self.compared(json[Key.comparedROCs.stringValue], file: file, problems: &problems)
        worstFalseAccepts += Self.pairs(json[Key.worstFalseAccepts.stringValue], roots: roots)
        worstFalseRejects += Self.pairs(json[Key.worstFalseRejects.stringValue], roots: roots)
    }

    private typealias CurveKey = EvaluationResults.ComparedROC.CodingKeys

    private static func compared(_ list: JSONValue?, file: String, problems: inout [String]) -> [ComparedCurve] {
        (list?.array ?? []).enumerated().compactMap { i, item in
            let label = item[CurveKey.label.stringValue]?.string ?? "compared \(i + 1)"
            guard let tpr = item[CurveKey.tpr.stringValue]?.array?.compactMap(\.number),
                  let fpr = item[CurveKey.fpr.stringValue]?.array?.compactMap(\.number), tpr.count == fpr.count, !tpr.isEmpty else {
                problems.append("\(file): compared curve '\(label)' has no matching tpr and fpr lists")
                return nil
            }
            return ComparedCurve(label: label, file: item[CurveKey.file.stringValue]?.string ?? "",
                                 sha256: item[CurveKey.sha256.stringValue]?.string ?? "",
                                 roc: zip(tpr, fpr).map { ($0, $1) }.sorted { ($0.fpr, $0.tpr) < ($1.fpr, $1.tpr) })
        }
    }

    private static func pairs(_ list: JSONValue?, roots: [URL]) -> [Pair] {
        (list?.array ?? []).compactMap { item in
            guard let first = item[PairKey.first.stringValue]?.string, let second = item[PairKey.second.stringValue]?.string else { return nil }
            return Pair(similarity: item[PairKey.similarity.stringValue]?.number, first: first, second: second,
                        firstFile: resolve(first, roots: roots), secondFile: resolve(second, roots: roots))
        }
    }

    /// The image file a pair key names, if one exists.
    static func resolve(_ key: String, roots: [URL]) -> URL? {
        let candidates = key.hasPrefix("/") ? [URL(fileURLWithPath: key)] : roots.map { $0.appendingPathComponent(key) }
        return candidates.first { url in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && !isDir.boolValue
        }
    }
}
