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

