import Foundation
import SeqCore
import XCTest

final class SeqErrorTests: XCTestCase {
    /// Whatever a reason or a path quotes (a key read from a hostile file, a file name with a
    /// line break), the message stays one line: the CLI promises one line per error.
    func testMessagesAreAlwaysOneLine() {
        let e = SeqError("key 'a\nb\r\u{1b}[31m' is bad\u{2028}", file: "dir/x\ny.json", line: 3)
        XCTAssertEqual(e.description, "dir/x\\ny.json:3: key 'a\\nb\\r\\u{1b}[31m' is bad\\u{2028}")
        XCTAssertFalse(e.description.contains(where: \.isNewline))
        // Tabs and ordinary text are left as they are.
        XCTAssertEqual(SeqError("a\tb", file: "f").description, "f: a\tb")
    }
}
