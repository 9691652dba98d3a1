import XCTest
@testable import SeqTrain

/// `train --benchmark` measures the published step: sphereface head (Caffe rule), LSRO, DSA.
final class TrainBenchmarkTests: XCTestCase {
    func testTheBenchmarkRunsThePublishedConfiguration() throws {
        let r = try TrainBenchmark.run(network: .tiny, classes: 6, sequences: 5, identityBatch: 2, sequenceBatch: 2, iterations: 1)
        XCTAssertEqual(r.head, "sphereface/caffe")
        XCTAssertTrue(r.dsa)
        XCTAssertEqual(r.batch, 4)
        XCTAssertEqual([r.identityBatch, r.sequenceBatch, r.classes, r.sequences], [2, 2, 6, 5])
        XCTAssertTrue(r.trainImagesPerSecond > 0 && r.featureImagesPerSecond > 0)
        let identityOnly = try TrainBenchmark.run(network: .tiny, margin: MarginConfig(kind: .cosface), classes: 6, identityBatch: 2,
                                                  iterations: 1)
        XCTAssertEqual(identityOnly.head, "cosface/exact")
        XCTAssertFalse(identityOnly.dsa)
    }
}
