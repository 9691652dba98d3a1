import XCTest
import SeqCore
@testable import SeqTrain

final class LSROLossTests: XCTestCase {
    func testReproducesSharedCases() throws {
        let cases = try TestData.lossCases("lsro")
        XCTAssertFalse(cases.isEmpty, "no lsro cases in \(TestData.losses.path)")
        for dir in cases {
            let json = try TestData.caseJSON(dir)
            let logits = try TestData.floats(dir, "logits.npy")
            let labels = try TestData.ints(dir, "labels.npy")
            let expected = try TestData.floats(dir, "expected_dlogits.npy")
            let out = try LSROLoss().evaluate(logits: logits.values, labels: labels.values, classes: logits.shape[1])
            assertClose(Double(out.loss), try XCTUnwrap(json["loss"]?.number), "\(dir.lastPathComponent) loss")
            assertClose(out.dlogits, expected.values, "\(dir.lastPathComponent) dlogits")
        }
    }

    func testIgnoredSamplesAndWeight() throws {
        let logits: [Float] = [1, 2, 3, 0.5, -1, 2]
        let both = try LSROLoss().evaluate(logits: logits, labels: [2, 0], classes: 3)
        let first = try LSROLoss().evaluate(logits: Array(logits[0..<3]), labels: [2], classes: 3)
        let ignoring = try LSROLoss(ignoreLabel: 0, lossWeight: 2).evaluate(logits: logits, labels: [2, 0], classes: 3)
        XCTAssertEqual(ignoring.validCount, 1)
        XCTAssertEqual(ignoring.loss, first.loss, accuracy: 1e-6)
        for c in 0..<3 {
            XCTAssertEqual(ignoring.dlogits[c], 2 * first.dlogits[c], accuracy: 1e-6)
            XCTAssertEqual(ignoring.dlogits[3 + c], 0)
        }
        XCTAssertNotEqual(both.loss, first.loss)
        // Everything ignored: zero loss, zero gradient, no NaN.
        let none = try LSROLoss(ignoreLabel: 1).evaluate(logits: logits, labels: [1, 1], classes: 3)
        XCTAssertEqual(none.loss, 0)
        XCTAssertEqual(none.dlogits, [Float](repeating: 0, count: 6))
    }

    func testSequenceSampleHasUniformTarget() throws {
        let logits: [Float] = [0.3, -0.2, 1.1, 0.0]
        let out = try LSROLoss().evaluate(logits: logits, labels: [-3], classes: 4)
        // Gradient of a uniform-target cross entropy sums to zero.
        XCTAssertEqual(out.dlogits.reduce(0, +), 0, accuracy: 1e-6)
        let e = logits.map { expf($0) }, s = e.reduce(0, +)
        let expected = -e.map { logf($0 / s) }.reduce(0, +) / 4
        XCTAssertEqual(out.loss, expected, accuracy: 1e-5)
    }

    func testHugeLogitsClampInsteadOfInfinity() throws {
        let out = try LSROLoss().evaluate(logits: [0, 1000], labels: [0], classes: 2)
        XCTAssertTrue(out.loss.isFinite)
        XCTAssertEqual(out.loss, -logf(Float.leastNormalMagnitude), accuracy: 1e-3)
    }

    func testBadInputsThrow() {
        XCTAssertThrowsError(try LSROLoss().evaluate(logits: [0, 1], labels: [2], classes: 2))
        XCTAssertThrowsError(try LSROLoss().evaluate(logits: [0, 1, 2], labels: [0], classes: 2))
    }
}
