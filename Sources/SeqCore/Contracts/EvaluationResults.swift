import Foundation

/// `results.json` of `seqcurate eval --out`, written by SeqEval and read by the report
/// (SeqReport), which takes the keys it shows from here. Its first members are also the
/// `eval --json` summary (`summaryKeys`). Members are declared in the order they are written;
/// figures that need both classes (or two folds) are null without them.
public struct EvaluationResults: Codable, Equatable, Sendable {
    public static let fileName = "results.json"

    public var pairs: Int
    public var bestThresholdAccuracy: Double
    public var bestThreshold: Double
    public var kfoldMean: Double?
    public var kfoldStd: Double?
    public var auc: Double?
    public var eer: Double?
    public var tarAtFAR: TARAtFAR
    public var benchmark: String
    public var layout: String
    public var pairsFile: String
    public var positives: Int
    public var negatives: Int
    public var skippedPairs: Int
    /// The similarity measure (`cosine`).
    public var similarity: String
    public var bestThresholdCorrect: Int
    /// nil with fewer than two folds.
    public var folds: [Fold]?
    public var worstFalseAccepts: [Pair]
    public var worstFalseRejects: [Pair]
    /// Curves drawn beside this one (`eval --compare-roc`), in the order given: `[]` when none,
    /// nil in files written before the key existed.
    public var comparedROCs: [ComparedROC]?

    public init(pairs: Int, bestThresholdAccuracy: Double, bestThreshold: Double, kfoldMean: Double?, kfoldStd: Double?,
                auc: Double?, eer: Double?, tarAtFAR: TARAtFAR, benchmark: String, layout: String, pairsFile: String,
                positives: Int, negatives: Int, skippedPairs: Int, similarity: String, bestThresholdCorrect: Int,
                folds: [Fold]?, worstFalseAccepts: [Pair], worstFalseRejects: [Pair], comparedROCs: [ComparedROC]? = nil) {
        self.pairs = pairs
        self.bestThresholdAccuracy = bestThresholdAccuracy
        self.bestThreshold = bestThreshold
        self.kfoldMean = kfoldMean
        self.kfoldStd = kfoldStd
        self.auc = auc
        self.eer = eer
        self.tarAtFAR = tarAtFAR
        self.benchmark = benchmark
        self.layout = layout
        self.pairsFile = pairsFile
        self.positives = positives
        self.negatives = negatives
        self.skippedPairs = skippedPairs
        self.similarity = similarity
        self.bestThresholdCorrect = bestThresholdCorrect
        self.folds = folds
        self.worstFalseAccepts = worstFalseAccepts
        self.worstFalseRejects = worstFalseRejects
        self.comparedROCs = comparedROCs
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case pairs, bestThresholdAccuracy = "best_threshold_accuracy", bestThreshold = "best_threshold"
        case kfoldMean = "kfold_mean", kfoldStd = "kfold_std", auc, eer, tarAtFAR = "tar_at_far"
        case benchmark, layout, pairsFile = "pairs_file", positives, negatives, skippedPairs = "skipped_pairs"
        case similarity, bestThresholdCorrect = "best_threshold_correct", folds
        case worstFalseAccepts = "worst_false_accepts", worstFalseRejects = "worst_false_rejects"
        case comparedROCs = "compared_rocs"
    }

    /// The keys of the `eval --json` summary: the first members, up to `tar_at_far`.
    public static let summaryKeys: [CodingKeys] = [.pairs, .bestThresholdAccuracy, .bestThreshold, .kfoldMean, .kfoldStd, .auc, .eer, .tarAtFAR]

    /// TAR at each FAR, in order, as an object keyed by the FAR's text (`"0.001"`).
    public struct TARAtFAR: Codable, Equatable, Sendable {
        public var entries: [(far: String, tar: Double?)]

        public init(_ entries: [(far: String, tar: Double?)]) { self.entries = entries }

        public static func == (a: TARAtFAR, b: TARAtFAR) -> Bool {
            a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.far == $1.far && $0.tar == $1.tar }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            entries = try c.allKeys.map { ($0.stringValue, try c.decodeIfPresent(Double.self, forKey: $0)) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: AnyKey.self)
            for e in entries { try c.encode(e.tar, forKey: AnyKey(e.far)) }
        }
    }

    public struct Fold: Codable, Equatable, Sendable {
        public var fold: Int
        public var pairs: Int
        public var threshold: Double
        public var accuracy: Double

        public init(fold: Int, pairs: Int, threshold: Double, accuracy: Double) {
            self.fold = fold
            self.pairs = pairs
            self.threshold = threshold
            self.accuracy = accuracy
        }
    }

    /// One of the worst false accepts or rejects.
    public struct Pair: Codable, Equatable, Sendable {
        public var similarity: Double
        public var first: String
        public var second: String
        public var same: Bool
        public var fold: Int
        /// Line of the pairs file.
        public var line: Int

        public init(similarity: Double, first: String, second: String, same: Bool, fold: Int, line: Int) {
            self.similarity = similarity
            self.first = first
            self.second = second
            self.same = same
            self.fold = fold
            self.line = line
        }

        public enum CodingKeys: String, CodingKey { case similarity, first, second, same, fold, line }
    }

    /// A ROC curve read from a file and drawn beside the evaluation's own: its label, the file,
    /// the file's SHA-256, and its points in file order (`tpr[i]`, `fpr[i]`), so the report
    /// draws it without the file.
    public struct ComparedROC: Codable, Equatable, Sendable {
        public var label: String
        public var file: String
        public var sha256: String
        public var tpr: [Double]
        public var fpr: [Double]

        public init(label: String, file: String, sha256: String, tpr: [Double], fpr: [Double]) {
            self.label = label
            self.file = file
            self.sha256 = sha256
            self.tpr = tpr
            self.fpr = fpr
        }

        public enum CodingKeys: String, CodingKey, CaseIterable { case label, file, sha256, tpr, fpr }
    }

    /// The file as `JSONValue` (the `eval --json` summary is its first members).
    public func json() throws -> JSONValue { try JSONValue(encoding: self) }

    /// The file's text: `JSONValue`'s pretty layout and a final newline.
    public func serialized() throws -> String { try json().serialized(.pretty) + "\n" }

    /// Reads `results.json`; a missing key or a value of the wrong kind is an error naming the file and key.
    public static func read(_ data: Data, file: String) throws -> EvaluationResults {
        try JSONValue.decode(EvaluationResults.self, from: data, file: file)
    }
}
