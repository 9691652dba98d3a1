import Foundation
import XCTest
@testable import SeqEval
import SeqCore
import SeqTestSupport

/// `eval --compare-roc`: ROC files as SeqFace's evaluate.py writes them, drawn beside our curve.
final class ComparedROCTests: XCTestCase {
    /// SeqFace's published LFW curve of ResNet-27 (data/LFW/roc_27.txt, MIT licence).
    func testReadsThePublishedLFWCurve() throws {
        let url = try TestFiles.fixture("roc/seqface_lfw_roc_27.txt")
        let roc = try ComparedROC.read(url, label: "roc_27")
        XCTAssertEqual(roc.tpr.count, 6000)
        XCTAssertEqual(roc.fpr.count, 6000)
        XCTAssertEqual(roc.tpr.first, 1)
        XCTAssertEqual(roc.fpr[1], 0.999667)
        XCTAssertEqual(roc.tpr.last, 0.000333)
        XCTAssertEqual(roc.fpr.last, 0)
        XCTAssertEqual(roc.sha256, "b421373af6155fd0f417e229ec44c9ce8533e123a28702bb87f8406784e7291c")
        // Python's trapezoid over the same points gives 0.9989943611109894.
        XCTAssertEqual(roc.auc, 0.9989943611109894, accuracy: 1e-12)
        // The curve holds SeqFace's table figure: 99.80% on 3000 same and 3000 different pairs.
        XCTAssertEqual(roc.bestAccuracy(positives: 3000, negatives: 3000), 0.998)
    }

    /// Our own roc.txt is the same format, so one evaluation can be compared with another.
    func testReadsOurOwnROCText() throws {
        let curve = ROCCurve(similarities: ExampleA.similarities, same: ExampleA.same)
        let roc = try ComparedROC.parse(Data(curve.text.utf8), label: "ours", file: "roc.txt")
        XCTAssertEqual(roc.tpr, curve.points.map { Double(String(format: "%.6f", $0.tpr))! })
        XCTAssertEqual(roc.auc, try XCTUnwrap(curve.auc), accuracy: 1e-6)
    }

    func testMalformedLinesNameFileAndLine() {
        let cases: [(String, String)] = [
            ("1.000000 1.000000\n0.5 0.25 0.1\n", "roc.txt:2: 3 space-separated fields"),
            ("1.000000 1.000000\n\n0.5 0.5\n", "roc.txt:2: an empty line"),
            ("1.000000\t1.000000\n", "roc.txt:1: 1 space-separated fields"),
            ("1.000000 1.5\n", "roc.txt:1: false accept rate '1.5' is not a decimal between 0 and 1"),
            ("nan 0.5\n", "roc.txt:1: true accept rate 'nan' is not a decimal"),
            ("1e-3 0.5\n", "roc.txt:1: true accept rate '1e-3' is not a decimal"),
            ("-0.1 0.5\n", "roc.txt:1: true accept rate '-0.1'"),
            ("", "roc.txt: empty ROC file"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try ComparedROC.parse(Data(text.utf8), label: "x", file: "roc.txt"), text) { e in
                XCTAssertTrue("\(e)".hasPrefix(message), "\(e)")
                XCTAssertFalse("\(e)".contains("\n"))
            }
        }
        // CRLF and a missing final newline are fine.
        XCTAssertEqual(try ComparedROC.parse(Data("1.000000 1.000000\r\n0.5 0\r\n0 0".utf8), label: "x", file: "r").tpr, [1, 0.5, 0])
    }

    func testArgumentLabels() {
        XCTAssertTrue(ComparedROC.parseArgument("data/LFW/roc_27.txt") == ("roc_27", "data/LFW/roc_27.txt"))
        XCTAssertTrue(ComparedROC.parseArgument("ResNet-64=data/LFW/roc_64.txt") == ("ResNet-64", "data/LFW/roc_64.txt"))
        XCTAssertTrue(ComparedROC.parseArgument("runs/a=b/roc.txt") == ("roc", "runs/a=b/roc.txt"))
        XCTAssertTrue(ComparedROC.parseArgument("=x.txt") == ("=x", "=x.txt"))
    }

    /// The curves go into roc.svg (dashed, with a legend) and results.json (the contract the
    /// report reads); without them both files are as before.
    func testComparedCurvesInTheOutputFolder() throws {
        let pairs = zip(ExampleA.similarities, ExampleA.same).enumerated().map { i, p in
            ScoredPair(pair: FacePair(first: "a\(i)", second: "b\(i)", same: p.1, fold: i / 3 + 1, line: i + 1), similarity: p.0)
        }
        let scores = PairScores(benchmark: .lfw, layout: .lfwSeqFace, pairsFile: "pairs.txt", pairs: pairs)
        let plain = EvalReport(scores: scores)
        XCTAssertFalse(ROCPlot.svg(for: plain).contains("stroke-dasharray"))
        XCTAssertEqual(plain.results.comparedROCs, [])

        var report = plain
        report.compared = [try ComparedROC.parse(Data("1.000000 1.000000\n0.500000 0.000000\n".utf8), label: "R<27>", file: "/p/roc_27.txt"),
                           try ComparedROC.read(try TestFiles.fixture("roc/seqface_lfw_roc_27.txt"), label: "roc_27")]
        let dir = try TestFiles.tempDirectory("seqeval-compare", removedAfter: self)
        try report.write(to: dir, scores: scores)
        let svg = try String(contentsOf: dir.appendingPathComponent("roc.svg"), encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray").count - 1, 4, "two dashed curves, two legend lines")
        XCTAssertTrue(svg.contains("R&lt;27&gt; (AUC 0.7500)"), svg)
        XCTAssertTrue(svg.contains("this evaluation"))
        let data = try Data(contentsOf: dir.appendingPathComponent("results.json"))
        let results = try EvaluationResults.read(data, file: "results.json")
        XCTAssertEqual(results, report.results)
        let first = try XCTUnwrap(results.comparedROCs?.first)
        XCTAssertEqual(first.label, "R<27>")
        XCTAssertEqual(first.file, "/p/roc_27.txt")
        XCTAssertEqual(first.tpr, [1, 0.5])
        XCTAssertEqual(first.fpr, [1, 0])
        XCTAssertEqual(results.comparedROCs?.last?.tpr.count, 6000)
        XCTAssertTrue(report.table.contains("compared ROC roc_27: 6000 points, AUC 0.9990"), report.table)
    }
}
