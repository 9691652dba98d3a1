import XCTest
@testable import SeqEval

/// Example A, worked by hand (same iff similarity >= threshold):
///   ascending: 0.1n 0.2n 0.3p 0.4n 0.6p 0.7n 0.8p 0.9p
///   correct at t = 0.1..0.9: 4 5 6 5 6 5 6 5 of 8, so the best is 6/8, first reached at 0.3.
enum ExampleA {
    static let similarities: [Double] = [0.9, 0.7, 0.8, 0.4, 0.6, 0.2, 0.3, 0.1]
    static let same: [Bool] = [true, false, true, false, true, false, true, false]
}

final class ThresholdSearchTests: XCTestCase {
    func testBestThresholdIsTheLowestMostAccurateSimilarity() {
        let best = ThresholdSearch.best(similarities: ExampleA.similarities, same: ExampleA.same)
        XCTAssertEqual(best, ThresholdChoice(threshold: 0.3, correct: 6, total: 8))
        XCTAssertEqual(best?.accuracy, 0.75)
    }

    func testTiedSimilaritiesCannotBeSplit() {
        // ascending: 0.2n {0.5n 0.5p 0.5n} 0.9p. Splitting the tie would allow 5/5; the real
        // candidates give t=0.2: 2, t=0.5: 1+2 = 3, t=0.9: 3+1 = 4 correct.
        for order in [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]] {
            let s: [Double] = [0.2, 0.5, 0.5, 0.5, 0.9]
            let y: [Bool] = [false, false, true, false, true]
            let best = ThresholdSearch.best(similarities: order.map { s[$0] }, same: order.map { y[$0] })
            XCTAssertEqual(best, ThresholdChoice(threshold: 0.9, correct: 4, total: 5), "order \(order)")
        }
    }

    func testTieGroupAsTheBestThreshold() {
        // ascending: 0.2n {0.5p 0.5p 0.5n} 0.9p: t=0.2: 3, t=0.5: 1+3 = 4, t=0.9: 2+1 = 3.
        let best = ThresholdSearch.best(similarities: [0.5, 0.9, 0.5, 0.2, 0.5], same: [true, true, false, false, true])
        XCTAssertEqual(best, ThresholdChoice(threshold: 0.5, correct: 4, total: 5))
    }

    func testOneClassOnly() {
        // Only different-person pairs: t=0.5 calls both same (0 right), t=0.7 calls 0.5 different.
        XCTAssertEqual(ThresholdSearch.best(similarities: [0.7, 0.5], same: [false, false]),
                       ThresholdChoice(threshold: 0.7, correct: 1, total: 2))
        // Only same-person pairs: the lowest threshold gets all right.
        XCTAssertEqual(ThresholdSearch.best(similarities: [0.7, 0.5], same: [true, true]),
                       ThresholdChoice(threshold: 0.5, correct: 2, total: 2))
        XCTAssertNil(ThresholdSearch.best(similarities: [], same: []))
    }

    func testEvaluateAtAGivenThreshold() {
        let r = ThresholdSearch.evaluate(threshold: 0.65, similarities: ExampleA.similarities, same: ExampleA.same)
        // >= 0.65: 0.9p 0.7n 0.8p -> 2 right; below: 0.4n 0.6p 0.2n 0.3p 0.1n -> 3 right.
        XCTAssertEqual(r.correct, 5)
        XCTAssertEqual(ThresholdSearch.evaluate(threshold: 0.3, similarities: [0.3], same: [true]).correct, 1)
    }
}
