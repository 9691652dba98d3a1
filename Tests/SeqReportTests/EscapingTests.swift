import XCTest
@testable import SeqReport

final class EscapingTests: XCTestCase {
    func testEscapeReplacesMarkupCharacters() {
        XCTAssertEqual(HTML.escape(#"<a href="x">Tom & 'Jerry'</a>"#), "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        XCTAssertEqual(HTML.escape("plain é"), "plain é")
        XCTAssertEqual(HTML.escape("a\u{01}b"), "a\u{FFFD}b")
    }

    func testHrefPercentEncodesAndEscapes() {
        XCTAssertEqual(HTML.href(path: "../crops/a b#1?.png"), "../crops/a%20b%231%3F.png")
        XCTAssertEqual(HTML.href(path: "x&y/ü.png"), "x&amp;y/%C3%BC.png")
        XCTAssertEqual(HTML.href(path: "100%.png"), "100%25.png")
    }

    func testRelativePathWalksUpAndDown() {
        let root = URL(fileURLWithPath: "/nonexistent-seqreport/a")
        XCTAssertEqual(RelativePath.from(directory: root.appendingPathComponent("report/videos"),
                                         to: root.appendingPathComponent("crops/v1/f.png")), "../../crops/v1/f.png")
        XCTAssertEqual(RelativePath.from(directory: root, to: root.appendingPathComponent("f.png")), "f.png")
        XCTAssertEqual(RelativePath.from(directory: root.appendingPathComponent("x/y"), to: URL(fileURLWithPath: "/nonexistent-seqreport/b/f.png")),
                       "../../../b/f.png")
    }

    func testNumbersForDisplay() {
        XCTAssertEqual(HTML.number(3), "3")
        XCTAssertEqual(HTML.number(0.123456), "0.1235")
        XCTAssertEqual(HTML.number(.nan), "n/a")
        XCTAssertEqual(HTML.count(1234567), "1\u{202F}234\u{202F}567")
    }
}
