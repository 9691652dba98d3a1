import Foundation
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// Paths shared by the SeqDetect tests.
enum TestPaths {
    static let fixtures = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The detector with the converted weights; fails the test when tools/setup.sh has not run.
    static func detector(_ options: MTCNNOptions = MTCNNOptions(), file: StaticString = #filePath, line: UInt = #line) throws -> MTCNN {
        try MTCNN(weights: TestFiles.asset("mtcnn.safetensors", file: file, line: line), options: options)
    }
}
