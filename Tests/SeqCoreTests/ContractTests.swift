import Foundation
import XCTest
import SeqCore

/// The files one module writes and another reads: each decodes what it encodes, and a reader
/// meeting a file without a required key names the file and the key.
final class ContractTests: XCTestCase {
    private func assertMissingKey<T: Decodable>(_ type: T.Type, _ json: JSONValue, removing key: String, file: String,
                                                read: (Data, String) throws -> T, line: UInt = #line) {
        guard case .object(let members) = json else { return XCTFail("not an object", line: line) }
        let data = Data(JSONValue.object(members.filter { $0.0 != key }).serialized(.pretty).utf8)
        XCTAssertThrowsError(try read(data, file), line: line) { e in
            XCTAssertEqual("\(e)", "\(file): missing key \"\(key)\"", line: line)
        }
    }

    func testRunInfoRoundTrips() throws {
        for info in [TrainingRunInfo(faceidNum: 4, identityImages: 10, identityList: "/l/ids.txt", identityRoot: "/l", seqidNum: 2,
                                     sequenceImages: 7, sequenceList: "/l/seq.txt", sequenceRoot: "/l"),
                     TrainingRunInfo(faceidNum: 4, identityImages: 10, identityList: "/l/ids.txt", identityRoot: "/l", seqidNum: 0,
                                     sequenceImages: 0, sequenceList: nil, sequenceRoot: nil)] {
            let text = try info.serialized()
            XCTAssertEqual(try TrainingRunInfo.read(Data(text.utf8), file: "run.json"), info)
            // Every key is written, null for an identity-only run; keys in sorted order as before.
            let keys = try JSONValue.parse(text).members.map(\.key)
            XCTAssertEqual(keys, keys.sorted())
            XCTAssertEqual(keys.count, 8)
            assertMissingKey(TrainingRunInfo.self, try JSONValue.parse(text), removing: "faceid_num", file: "/r/run.json",
                             read: TrainingRunInfo.read)
        }
    }

    func testMetricsRecordRoundTrips() throws {
        for record in [TrainingMetricsRecord(iter: 3, lsro: 2.3025851, dsa: 0.4, lr: 0.01, imagesPerSecond: 55.5),
                       TrainingMetricsRecord(iter: 1, lsro: 1, dsa: nil, lr: 1e-5, imagesPerSecond: 0)] {
            let line = try record.line()
            XCTAssertFalse(line.contains(UInt8(ascii: "\n")))
            XCTAssertEqual(try TrainingMetricsRecord.read(line: line, file: "metrics.jsonl", lineNumber: 1), record)
        }
        XCTAssertEqual(String(decoding: try TrainingMetricsRecord(iter: 3, lsro: 2.5, dsa: 0.25, lr: 0.01, imagesPerSecond: 55.5).line(), as: UTF8.self),
                       #"{"dsa":0.25,"images_per_s":55.5,"iter":3,"lr":0.01,"lsro":2.5}"#)
        XCTAssertThrowsError(try TrainingMetricsRecord.read(line: Data(#"{"iter":1,"lr":0.1,"images_per_s":1}"#.utf8), file: "/r/metrics.jsonl", lineNumber: 4)) { e in
            XCTAssertEqual("\(e)", "/r/metrics.jsonl:4: missing key \"lsro\"")
        }
    }

    func testEvaluationResultsRoundTrip() throws {
        let results = EvaluationResults(
            pairs: 4, bestThresholdAccuracy: 0.75, bestThreshold: 0.5, kfoldMean: nil, kfoldStd: nil, auc: 0.9, eer: nil,
            tarAtFAR: .init([("0.001", nil), ("0.01", 0.5)]), benchmark: "lfw", layout: "lfw-seqface", pairsFile: "p.txt",
            positives: 2, negatives: 2, skippedPairs: 0, similarity: "cosine", bestThresholdCorrect: 3,
            folds: [.init(fold: 1, pairs: 4, threshold: 0.5, accuracy: 0.75)],
            worstFalseAccepts: [.init(similarity: 0.7, first: "a", second: "b", same: false, fold: 1, line: 3)], worstFalseRejects: [])
        let text = try results.serialized()
        XCTAssertEqual(try EvaluationResults.read(Data(text.utf8), file: "results.json"), results)
        let json = try JSONValue.parse(text)
        XCTAssertEqual(json.members.prefix(EvaluationResults.summaryKeys.count).map(\.key), EvaluationResults.summaryKeys.map(\.stringValue))
        XCTAssertEqual(json["tar_at_far"], .object([("0.001", .null), ("0.01", .double(0.5))]))
        XCTAssertEqual(json["kfold_mean"], .null)
        assertMissingKey(EvaluationResults.self, json, removing: "layout", file: "/e/results.json", read: EvaluationResults.read)
    }

    /// `compared_rocs` (eval --compare-roc): written last, read back exactly; a file from before
    /// the key existed still reads, with nil.
    func testEvaluationResultsComparedROCs() throws {
        var results = EvaluationResults(
            pairs: 2, bestThresholdAccuracy: 1, bestThreshold: 0.5, kfoldMean: nil, kfoldStd: nil, auc: 1, eer: 0,
            tarAtFAR: .init([("0.001", 1)]), benchmark: "lfw", layout: "lfw-seqface", pairsFile: "p.txt",
            positives: 1, negatives: 1, skippedPairs: 0, similarity: "cosine", bestThresholdCorrect: 2,
            folds: nil, worstFalseAccepts: [], worstFalseRejects: [],
            comparedROCs: [.init(label: "roc_27", file: "/d/roc_27.txt", sha256: "ab", tpr: [1, 0.999667, 0], fpr: [1, 0.5, 0])])
        let text = try results.serialized()
        XCTAssertEqual(try EvaluationResults.read(Data(text.utf8), file: "results.json"), results)
        let json = try JSONValue.parse(text)
        XCTAssertEqual(json.members.last?.key, "compared_rocs")
        XCTAssertEqual(json["compared_rocs"]?.array?.first?["tpr"]?.array?.count, 3)
        guard case .object(let members) = json else { return XCTFail("not an object") }
        let old = JSONValue.object(members.filter { $0.0 != "compared_rocs" }).serialized(.pretty)
        results.comparedROCs = nil
        XCTAssertEqual(try EvaluationResults.read(Data(old.utf8), file: "results.json"), results)
    }

    func testTrainingViewOfTheManifest() throws {
        let view = try ExportManifest.TrainingView.read(Data(#"{"format_version": 1, "faceid_num": 7, "seqid_num": 1e300, "filters": {"paths": "relative", "root": "/d"}}"#.utf8), file: "m.json")
        XCTAssertEqual(view.faceidNum, 7)
        XCTAssertNil(view.seqidNum, "not a whole number that fits: left to the labels")
        XCTAssertEqual(view.root, "/d")
        XCTAssertNil(try ExportManifest.TrainingView.read(Data(#"{"format_version": 1, "filters": {"paths": "absolute", "root": "/d"}}"#.utf8), file: "m.json").root)
        XCTAssertThrowsError(try ExportManifest.TrainingView.read(Data(#"{"faceid_num": 7}"#.utf8), file: "/l/manifest.json")) { e in
            XCTAssertEqual("\(e)", "/l/manifest.json: missing key \"format_version\"")
        }
    }
}
