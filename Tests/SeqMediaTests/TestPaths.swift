import Foundation
import XCTest

enum TestPaths {
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file fetched by tools/setup.sh; fails the test with the fix when it is absent.
    static func asset(_ name: String) throws -> URL {
        let url = repoRoot.appendingPathComponent("assets/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("missing \(url.path): run tools/setup.sh")
            throw XCTSkip("asset missing")
        }
        return url
    }

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqcurate-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
