import Foundation
import XCTest
@testable import SeqEval
import SeqCore

/// Paths of the shared test data and helpers for temporary files.
enum TestData {
    /// `<repo root>/../shared/testdata/protocols`, found from this file's location.
    static var protocols: URL {
        let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata/protocols")
    }

    static func protocolFile(_ name: String) throws -> URL {
        let url = protocols.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared protocol file \(url.path) is not present")
        }
        return url
    }

    /// A fresh temporary folder, removed when the test ends.
    static func temporaryFolder(_ test: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seqeval-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}

/// Asserts that `body` throws a `SeqError` whose description contains every one of `parts`.
func assertSeqError<T>(_ body: @autoclosure () throws -> T, contains parts: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a SeqError containing \(parts)", file: file, line: line)
    } catch let error as SeqError {
        for part in parts {
            XCTAssertTrue(error.description.contains(part), "'\(error.description)' lacks '\(part)'", file: file, line: line)
        }
        XCTAssertFalse(error.description.contains("\n"), "error should be one line: \(error.description)", file: file, line: line)
    } catch {
        XCTFail("expected a SeqError, got \(error)", file: file, line: line)
    }
}
