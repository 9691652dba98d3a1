import XCTest
@testable import SeqEval
import SeqCore
import SeqTestSupport

final class EvalReportTests: XCTestCase {
    /// Example A as scored pairs in three folds (fold = index / 3 + 1, the last fold has two pairs).
    func exampleScores() -> PairScores {
        let pairs = zip(ExampleA.similarities, ExampleA.same).enumerated().map { i, p in
            ScoredPair(pair: FacePair(first: "a\(i)", second: "b\(i)", same: p.1, fold: i / 3 + 1, line: i + 1), similarity: p.0)
        }
        return PairScores(benchmark: .lfw, layout: .lfwSeqFace, pairsFile: "pairs.txt", pairs: pairs)
    }

    func testFiguresAndWorstPairs() throws {
        let report = EvalReport(scores: exampleScores(), worst: 1)
        XCTAssertEqual(report.pairs, 8)
        XCTAssertEqual(report.best.accuracy, 0.75)
        XCTAssertEqual(report.best.threshold, 0.3)
        XCTAssertEqual(try XCTUnwrap(report.auc), 0.8125, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.eer), 0.25, accuracy: 1e-12)
        XCTAssertEqual(report.tarAtFAR.map(\.label), ["0.001", "0.01"])
        XCTAssertEqual(report.tarAtFAR.map(\.tar), [0.5, 0.5])
        // At t = 0.3 the false accepts are 0.7n and 0.4n; there is no false reject.
        XCTAssertEqual(report.worstFalseAccepts.map(\.similarity), [0.7])
        XCTAssertEqual(report.worstFalseAccepts.first?.pair.first, "a1")
        XCTAssertTrue(report.worstFalseRejects.isEmpty)
        XCTAssertEqual(EvalReport(scores: exampleScores()).worstFalseAccepts.map(\.similarity), [0.7, 0.4])
        XCTAssertEqual(report.kfold?.folds.map(\.fold), [1, 2, 3])
    }

    func testJSONHasExactlyTheDocumentedKeys() throws {
        let text = EvalReport(scores: exampleScores()).summaryJSON.serialized(.pretty)
        let object = try JSONValue.parse(text)
        XCTAssertEqual(Set(object.members.map(\.key)), ["pairs", "best_threshold_accuracy", "best_threshold", "kfold_mean", "kfold_std",
                                                        "auc", "eer", "tar_at_far"])
        XCTAssertEqual(object["pairs"]?.int, 8)
        XCTAssertEqual(object["best_threshold_accuracy"]?.number, 0.75)
        let tar = try XCTUnwrap(object["tar_at_far"])
        XCTAssertEqual(Set(tar.members.map(\.key)), ["0.001", "0.01"])
        XCTAssertEqual(tar["0.01"]?.number, 0.5)
    }

    func testUndefinedFiguresAreNull() throws {
        let pairs = [ScoredPair(pair: FacePair(first: "a", second: "b", same: true, fold: 1, line: 1), similarity: 0.5)]
        let report = EvalReport(scores: PairScores(benchmark: .ytf, layout: .ytfSeqFace, pairsFile: "y.txt", pairs: pairs))
        XCTAssertEqual(report.summaryJSON.serialized(.compact),
                       #"{"pairs":1,"best_threshold_accuracy":1.0,"best_threshold":0.5,"kfold_mean":null,"kfold_std":null,"auc":null,"eer":null,"tar_at_far":{"0.001":null,"0.01":null}}"#)
        XCTAssertTrue(report.table.contains("n/a"))
    }

    func testOutputFolder() throws {
        let dir = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self).appendingPathComponent("out")
        let scores = exampleScores()
        let report = EvalReport(scores: scores)
        let files = try report.write(to: dir, scores: scores)
        XCTAssertEqual(files.map(\.lastPathComponent), ["roc.txt", "roc.svg", "results.json", "scores.txt"])
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("roc.txt"), encoding: .utf8), report.roc.text)
        let svg = try String(contentsOf: dir.appendingPathComponent("roc.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("<path d=\"M"))
        let results = try JSONValue.parse(Data(contentsOf: dir.appendingPathComponent("results.json")))
        XCTAssertEqual(results["worst_false_accepts"]?.array?.first?["first"]?.string, "a1")
        XCTAssertEqual(results["layout"]?.string, "lfw-seqface")
        // The file is the EvaluationResults contract the report reads.
        XCTAssertEqual(try EvaluationResults.read(Data(contentsOf: dir.appendingPathComponent("results.json")), file: "results.json"), report.results)
        let lines = try String(contentsOf: dir.appendingPathComponent("scores.txt"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 8)
        XCTAssertEqual(lines[0], "0.90000000000000002 1 1 a0 b0")
    }

    func testTableNamesTheFigures() {
        let table = EvalReport(scores: exampleScores()).table
        for part in ["best-threshold accuracy", "75.00%", "3-fold accuracy", "AUC", "0.8125", "EER", "TAR @ FAR=0.001",
                     "worst false accepts", "0.7000  a1  b1"] {
            XCTAssertTrue(table.contains(part), "table lacks '\(part)':\n\(table)")
        }
    }
}
