import XCTest
@testable import SeqEval

final class ROCCurveTests: XCTestCase {
    func testPointsAndRocText() {
        let roc = ROCCurve(similarities: ExampleA.similarities, same: ExampleA.same)
        XCTAssertEqual(roc.points.map(\.threshold), [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
        XCTAssertEqual(roc.points.map(\.tpr), [1, 1, 1, 0.75, 0.75, 0.5, 0.5, 0.25])
        XCTAssertEqual(roc.points.map(\.fpr), [1, 0.75, 0.5, 0.5, 0.25, 0.25, 0, 0])
        XCTAssertEqual(roc.text, """
        1.000000 1.000000
        1.000000 0.750000
        1.000000 0.500000
        0.750000 0.500000
        0.750000 0.250000
        0.500000 0.250000
        0.500000 0.000000
        0.250000 0.000000

        """)
    }

    func testAUCEERAndTAR() throws {
        let roc = ROCCurve(similarities: ExampleA.similarities, same: ExampleA.same)
        // Same-person pairs above different-person pairs: 0.9 > 4, 0.8 > 4, 0.6 > 3, 0.3 > 2 of 16.
        XCTAssertEqual(try XCTUnwrap(roc.auc), 13.0 / 16.0, accuracy: 1e-12)
        // At t = 0.6: FAR = 1/4 and FRR = 1 - 3/4; the curve passes through the EER exactly.
        XCTAssertEqual(try XCTUnwrap(roc.eer), 0.25, accuracy: 1e-12)
        XCTAssertEqual(roc.tar(atFAR: 0.001), 0.5)
        XCTAssertEqual(roc.tar(atFAR: 0.01), 0.5)
        XCTAssertEqual(roc.tar(atFAR: 0.25), 0.75)
        XCTAssertEqual(roc.tar(atFAR: 1), 1)
    }

    func testTiesCountHalfAndInterpolateEER() throws {
        // Same: 0.9, 0.5; different: 0.5, 0.5, 0.2. Points from the origin: (0,0) (0,.5) (2/3,1) (1,1).
        let roc = ROCCurve(similarities: [0.9, 0.5, 0.5, 0.5, 0.2], same: [true, true, false, false, false])
        XCTAssertEqual(roc.points.count, 3)
        // Mann-Whitney: 0.9 beats 3, 0.5 ties 2 (half each) and beats 1: (3 + 1 + 1) / 6.
        XCTAssertEqual(try XCTUnwrap(roc.auc), 5.0 / 6.0, accuracy: 1e-12)
        // On the segment (0,.5)-(2/3,1): fpr = 2λ/3, 1-tpr = .5-.5λ, equal at λ = 3/7 -> 2/7.
        XCTAssertEqual(try XCTUnwrap(roc.eer), 2.0 / 7.0, accuracy: 1e-12)
        XCTAssertEqual(roc.tar(atFAR: 0.01), 0.5)
    }

    func testPerfectSeparation() throws {
        let roc = ROCCurve(similarities: [0.9, 0.8, 0.1, 0.2], same: [true, true, false, false])
        XCTAssertEqual(try XCTUnwrap(roc.auc), 1)
        XCTAssertEqual(try XCTUnwrap(roc.eer), 0)
        XCTAssertEqual(roc.tar(atFAR: 0.001), 1)
    }

    func testOneClassLeavesFiguresUndefined() {
        let roc = ROCCurve(similarities: [0.3, 0.4], same: [true, true])
        XCTAssertFalse(roc.isDefined)
        XCTAssertNil(roc.auc)
        XCTAssertNil(roc.eer)
        XCTAssertNil(roc.tar(atFAR: 0.01))
        // roc.txt still follows SeqFace: rates over max(count, 1).
        XCTAssertEqual(roc.text, "1.000000 0.000000\n0.500000 0.000000\n")
    }
}
