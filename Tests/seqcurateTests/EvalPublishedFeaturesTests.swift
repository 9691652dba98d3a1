import Foundation
import SeqTestSupport
import XCTest

/// `seqcurate eval` with SeqFace's published artefacts: a feature pickle instead of
/// --features/--keys, and published ROC files drawn beside the result.
final class EvalPublishedFeaturesTests: XCTestCase {
    private func pairsFile(_ dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("pairs.txt")
        try """
            Ann_Ames/Ann_Ames_0001.jpg Ann_Ames/Ann_Ames_0002.jpg 1
            Bo_Berg/Bo_Berg_0001.jpg Bo_Berg/Bo_Berg_0002.jpg 1
            Ann_Ames/Ann_Ames_0001.jpg Cy_Cole/Cy_Cole_0001.jpg 0
            Bo_Berg/Bo_Berg_0002.jpg Dee_Dorn/Dee_Dorn_0001.jpg 0

            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func testPickleAndComparedCurves() throws {
        let dir = try TestFiles.tempDirectory("eval-pickle", removedAfter: self)
        let pairs = try pairsFile(dir)
        let pkl = try TestFiles.fixture("pickles/lfw_p0_py2.pkl")
        let roc = try TestFiles.fixture("roc/seqface_lfw_roc_27.txt")
        let out = dir.appendingPathComponent("out")
        let r = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--features", pkl.path, "--out", out.path,
                                 "--compare-roc", roc.path, "--compare-roc", "mine=\(roc.path)"])
        XCTAssertTrue(r.succeeded, r.err)
        XCTAssertTrue(r.out.contains("pairs                    4 (2 same, 2 different)") || r.out.contains("4 (2 same, 2 different)"), r.out)
        XCTAssertTrue(r.out.contains("compared ROC seqface_lfw_roc_27: 6000 points"), r.out)
        XCTAssertTrue(r.out.contains("compared ROC mine: 6000 points"), r.out)
        let results = try String(contentsOf: out.appendingPathComponent("results.json"), encoding: .utf8)
        XCTAssertTrue(results.contains("\"compared_rocs\""))
        XCTAssertTrue(try String(contentsOf: out.appendingPathComponent("roc.svg"), encoding: .utf8).contains("seqface_lfw_roc_27 (AUC 0.9990)"))

        // The same pickle through --json: the summary keys only.
        let j = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--features", pkl.path, "--json"])
        XCTAssertTrue(j.succeeded, j.err)
        XCTAssertTrue(j.out.contains("\"pairs\" : 4") || j.out.contains("\"pairs\": 4"), j.out)
    }

    func testRefusals() throws {
        let dir = try TestFiles.tempDirectory("eval-pickle-bad", removedAfter: self)
        let pairs = try pairsFile(dir)
        let pkl = try TestFiles.fixture("pickles/lfw_p0_py2.pkl")
        // A pickle carries its keys.
        let k = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--features", pkl.path, "--keys", pairs.path])
        XCTAssertEqual(k.status, 64, k.err)
        XCTAssertTrue(k.err.contains("leave out --keys"), k.err)
        // Hostile pickles and ROC files: exit 1, one line naming the file.
        let bad = try TestFiles.fixture("pickles/bad_global.pkl")
        let g = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--features", bad.path])
        XCTAssertEqual(g.status, 1)
        XCTAssertEqual(g.err.split(separator: "\n").count, 1, g.err)
        XCTAssertTrue(g.err.hasPrefix("seqcurate: \(bad.path): "), g.err)
        XCTAssertTrue(g.err.contains("os.system"), g.err)
        let badROC = dir.appendingPathComponent("roc_bad.txt")
        try "1.000000 1.000000\n0.5,0.5\n".write(to: badROC, atomically: true, encoding: .utf8)
        let b = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--features", pkl.path, "--compare-roc", badROC.path])
        XCTAssertEqual(b.status, 1)
        XCTAssertEqual(b.err, "seqcurate: \(badROC.path):2: 1 space-separated fields where `tpr fpr` (two numbers, one space) was expected\n")
        let twice = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--features", pkl.path,
                                     "--compare-roc", badROC.path, "--compare-roc", "x/roc_bad.txt"])
        XCTAssertEqual(twice.status, 1)
        XCTAssertTrue(twice.err.contains("labelled 'roc_bad'"), twice.err)
    }
}
