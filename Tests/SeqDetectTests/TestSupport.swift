import Foundation
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// Paths shared by the SeqDetect tests.
enum TestPaths {
    static let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let realData = TestFiles.sharedTestDataRoot.appendingPathComponent("real")
    static let weights = TestFiles.repoRoot.appendingPathComponent(MTCNN.defaultWeightsPath)

    /// The detector with the converted weights, or a skip when tools/setup.sh has not run.
    static func detector(_ options: MTCNNOptions = MTCNNOptions()) throws -> MTCNN {
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw XCTSkip("\(weights.path) missing: run tools/setup.sh")
        }
        return try MTCNN(weights: weights, options: options)
    }
}
