import Foundation
import SeqTestSupport
import XCTest
@testable import SeqEval
import SeqCore

/// The shared protocol files.
enum TestData {
    /// `<repo root>/../shared/testdata/protocols/<name>`; skips the test when it is not present.
    static func protocolFile(_ name: String) throws -> URL {
        guard let url = TestFiles.sharedTestData("protocols/\(name)") else {
            let expected = TestFiles.sharedTestDataRoot.appendingPathComponent("protocols/\(name)")
            throw XCTSkip("shared protocol file \(expected.path) is not present")
        }
        return url
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
