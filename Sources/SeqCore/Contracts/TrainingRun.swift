import Foundation

/// `run.json` of a training run folder, written by the trainer (SeqTrain) when a run starts and
/// read by `seqcurate train --resume` (the lists and class counts to continue with) and shown by
/// the report. Members are declared in the order they are written.
public struct TrainingRunInfo: Codable, Equatable, Sendable {
    public static let fileName = "run.json"

    /// F and S of the run: they fix the head's shape.
    public var faceidNum: Int
    public var identityImages: Int
    public var identityList: String
    public var identityRoot: String
    public var seqidNum: Int
    public var sequenceImages: Int
    /// nil (null) for an identity-only run.
    public var sequenceList: String?
    public var sequenceRoot: String?

    public init(faceidNum: Int, identityImages: Int, identityList: String, identityRoot: String,
                seqidNum: Int, sequenceImages: Int, sequenceList: String?, sequenceRoot: String?) {
        self.faceidNum = faceidNum
        self.identityImages = identityImages
        self.identityList = identityList
        self.identityRoot = identityRoot
        self.seqidNum = seqidNum
        self.sequenceImages = sequenceImages
        self.sequenceList = sequenceList
        self.sequenceRoot = sequenceRoot
    }

    public enum CodingKeys: String, CodingKey {
        case faceidNum = "faceid_num", identityImages = "identity_images", identityList = "identity_list", identityRoot = "identity_root"
        case seqidNum = "seqid_num", sequenceImages = "sequence_images", sequenceList = "sequence_list", sequenceRoot = "sequence_root"
    }

    /// The file's text: `JSONValue`'s pretty layout and a final newline.
    public func serialized() throws -> String {
        try JSONValue(encoding: self).serialized(.pretty) + "\n"
    }

    /// Reads `run.json`; a missing key or a value of the wrong kind is an error naming the file and key.
    public static func read(_ data: Data, file: String) throws -> TrainingRunInfo {
        try JSONValue.decode(TrainingRunInfo.self, from: data, file: file)
    }
}

/// One line of `metrics.jsonl` in a training run folder: written by the trainer after every
/// iteration, read back on resume and plotted by the report (which takes its x axis, loss terms
/// and learning rate keys from here).
public struct TrainingMetricsRecord: Codable, Equatable, Sendable {
    public static let fileName = "metrics.jsonl"

    /// Iterations completed (1 for the first).
    public var iter: Int
    public var lsro: Float
    /// DSA loss; nil without sequence data (the key is then left out).
    public var dsa: Float?
    public var lr: Float
    public var imagesPerSecond: Double

    public init(iter: Int, lsro: Float, dsa: Float?, lr: Float, imagesPerSecond: Double) {
        self.iter = iter
        self.lsro = lsro
        self.dsa = dsa
        self.lr = lr
        self.imagesPerSecond = imagesPerSecond
    }

    public enum CodingKeys: String, CodingKey, CaseIterable { case iter, lsro, dsa, lr, imagesPerSecond = "images_per_s" }

    /// The loss terms among the keys.
    public static let lossKeys: [CodingKeys] = [.lsro, .dsa]

    /// One line of text without the newline: compact, keys sorted.
    public func line() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads one line; a missing key or a value of the wrong kind is an error naming the file, line and key.
    public static func read(line: Data, file: String, lineNumber: Int) throws -> TrainingMetricsRecord {
        do { return try JSONValue.decode(TrainingMetricsRecord.self, from: line, file: file) } catch var e as SeqError {
            e.line = lineNumber
            throw e
        }
    }
}
