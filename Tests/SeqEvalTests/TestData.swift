import Foundation
import SeqTestSupport
import XCTest
@testable import SeqEval
import SeqCore

/// The published protocol files, copied into `Tests/Fixtures/protocols`.
enum TestData {
    /// `Tests/Fixtures/protocols/<name>`; a missing one fails the test.
    static func protocolFile(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        try TestFiles.fixture("protocols/\(name)", file: file, line: line)
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
