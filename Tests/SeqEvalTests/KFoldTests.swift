import XCTest
@testable import SeqEval

final class KFoldTests: XCTestCase {
    func testThreeFoldsByHand() throws {
        // Fold 1: .9p .3n   fold 2: .8p .4n   fold 3: .35p .7n
        // Hold out 1: train .35p .4n .7n .8p -> best t = .8 (3/4); fold 1 at .8: 2/2.
        // Hold out 2: train .3n .35p .7n .9p -> t = .35 (3/4, lowest of the ties); fold 2: .4n wrong, 1/2.
        // Hold out 3: train .3n .4n .8p .9p -> t = .8 (4/4); fold 3: .35p wrong, 1/2.
        let r = try XCTUnwrap(KFoldResult.evaluate(similarities: [0.9, 0.3, 0.8, 0.4, 0.35, 0.7],
                                                   same: [true, false, true, false, true, false],
                                                   folds: [1, 1, 2, 2, 3, 3]))
        XCTAssertEqual(r.folds.map(\.fold), [1, 2, 3])
        XCTAssertEqual(r.folds.map(\.threshold), [0.8, 0.35, 0.8])
        XCTAssertEqual(r.folds.map(\.accuracy), [1, 0.5, 0.5])
        XCTAssertEqual(r.folds.map(\.pairs), [2, 2, 2])
        XCTAssertEqual(r.mean, 2.0 / 3.0, accuracy: 1e-12)
        // Population std (np.std): sqrt(((1/3)² + 2 (1/6)²) / 3) = sqrt(1/18).
        XCTAssertEqual(r.std, (1.0 / 18.0).squareRoot(), accuracy: 1e-12)
    }

    func testFoldWithASingleClass() throws {
        // Fold 3 holds only same-person pairs (.35p .75p).
        // Hold out 1: train .35p .4n .75p .8p -> t = .35 (3/4); fold 1 (.9p .3n): 2/2.
        // Hold out 2: train .3n .35p .75p .9p -> t = .35 (4/4); fold 2 (.8p .4n): 1/2.
        // Hold out 3: train .3n .4n .8p .9p -> t = .8 (4/4); fold 3: both below, 0/2.
        let r = try XCTUnwrap(KFoldResult.evaluate(similarities: [0.9, 0.3, 0.8, 0.4, 0.35, 0.75],
                                                   same: [true, false, true, false, true, true],
                                                   folds: [1, 1, 2, 2, 3, 3]))
        XCTAssertEqual(r.folds.map(\.threshold), [0.35, 0.35, 0.8])
        XCTAssertEqual(r.folds.map(\.accuracy), [1, 0.5, 0])
        XCTAssertEqual(r.mean, 0.5, accuracy: 1e-12)
        XCTAssertEqual(r.std, (1.0 / 6.0).squareRoot(), accuracy: 1e-12)
    }

    func testFoldOrderInTheInputDoesNotMatter() throws {
        let a = try XCTUnwrap(KFoldResult.evaluate(similarities: [0.9, 0.3, 0.8, 0.4, 0.35, 0.7],
                                                   same: [true, false, true, false, true, false], folds: [1, 1, 2, 2, 3, 3]))
        let b = try XCTUnwrap(KFoldResult.evaluate(similarities: [0.7, 0.8, 0.3, 0.35, 0.4, 0.9],
                                                   same: [false, true, false, true, false, true], folds: [3, 2, 1, 3, 2, 1]))
        XCTAssertEqual(a, b)
    }

    func testNeedsTwoFolds() {
        XCTAssertNil(KFoldResult.evaluate(similarities: [0.9, 0.1], same: [true, false], folds: [4, 4]))
    }
}
