import Foundation
import XCTest
@testable import SeqDetect

/// Paths shared by the SeqDetect tests.
enum TestPaths {
    /// The repository root: two levels above this test folder.
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let realData = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata/real")
    static let weights = repoRoot.appendingPathComponent(MTCNN.defaultWeightsPath)

    /// The detector with the converted weights, or a skip when tools/setup.sh has not run.
    static func detector(_ options: MTCNNOptions = MTCNNOptions()) throws -> MTCNN {
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw XCTSkip("\(weights.path) missing: run tools/setup.sh")
        }
        return try MTCNN(weights: weights, options: options)
    }
}
