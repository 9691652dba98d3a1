import Foundation
import SeqCore
import XCTest

/// Asserts that `body` throws a `SeqError` whose description contains every one of `parts`,
/// in one line (the CLI prints it as it is).
public func assertSeqError<T>(_ body: @autoclosure () throws -> T, contains parts: [String],
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
