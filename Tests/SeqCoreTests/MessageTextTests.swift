import XCTest
@testable import SeqCore

final class MessageTextTests: XCTestCase {
    /// Found by fuzzing: a safetensors tensor named "c\nv.weight" put a line break into the
    /// error message. Quoted file content is escaped so a message stays one line.
    func testQuotableEscapesLineBreaksAndControls() {
        XCTAssertEqual(SeqError.quotable("c\nv.weight"), "c\\nv.weight")
        XCTAssertEqual(SeqError.quotable("a\r\nb\tc"), "a\\r\\nb\tc")
        XCTAssertEqual(SeqError.quotable("\u{1B}[31mred\u{7F}\u{85}\u{2028}\u{202E}"), "\\u{1b}[31mred\\u{7f}\\u{85}\\u{2028}\\u{202e}")
        XCTAssertEqual(SeqError.quotable("Zoë/Zoë_0001.jpg"), "Zoë/Zoë_0001.jpg")
        XCTAssertFalse(SeqError.quotable("x\u{2029}y\u{0B}z\u{0C}").contains(where: \.isNewline))
    }

    func testQuotableCutsLongText() {
        XCTAssertEqual(SeqError.quotable(String(repeating: "a", count: 500), limit: 5), "aaaaa…")
        XCTAssertEqual(SeqError.quotable("abcde", limit: 5), "abcde")
    }
}
