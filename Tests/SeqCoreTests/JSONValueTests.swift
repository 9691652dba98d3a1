import XCTest
import SeqCore

final class JSONValueTests: XCTestCase {
    private let document: JSONValue = .object([
        ("name", .string("a\"b\\c\nd\u{1}é")),
        ("count", .int(-3)),
        ("ratio", .double(0.25)),
        ("whole", .double(3)),
        ("missing", .double(.nan)),
        ("flags", .array([.bool(true), .null])),
        ("record", .object([("x", .int(1)), ("y", .optional(nil as Int?))])),
        ("rows", .array([.object([("k", .string("v"))]), .array([])])),
        ("empty", .object([])),
    ])

    func testCompactIsOneLineWithoutSpaces() {
        XCTAssertEqual(document.serialized(.compact),
                       #"{"name":"a\"b\\c\nd\u0001é","count":-3,"ratio":0.25,"whole":3.0,"missing":null,"flags":[true,null],"#
                       + #""record":{"x":1,"y":null},"rows":[{"k":"v"},[]],"empty":{}}"#)
    }

    func testPrettyPutsEveryElementOnItsOwnLine() {
        let expected = """
        {
          "name": "a\\"b\\\\c\\nd\\u0001é",
          "count": -3,
          "ratio": 0.25,
          "whole": 3.0,
          "missing": null,
          "flags": [
            true,
            null
          ],
          "record": {
            "x": 1,
            "y": null
          },
          "rows": [
            {
              "k": "v"
            },
            []
          ],
          "empty": {}
        }
        """
        XCTAssertEqual(document.serialized(.pretty), expected)
    }

    func testCondensedInlinesScalarContainersAndWritesWholeDoublesAsIntegers() {
        let expected = """
        {
          "name": "a\\"b\\\\c\\nd\\u0001é",
          "count": -3,
          "ratio": 0.25,
          "whole": 3,
          "missing": null,
          "flags": [true, null],
          "record": {"x": 1, "y": null},
          "rows": [
            {"k": "v"},
            []
          ],
          "empty": {}
        }
        """
        XCTAssertEqual(document.serialized(.condensed), expected)
        // A top-level object is always spread out, and so is a nested one over 12 members.
        XCTAssertEqual(JSONValue.object([("a", .int(1))]).serialized(.condensed), "{\n  \"a\": 1\n}")
        let wide = JSONValue.object([("t", .object((0..<13).map { ("k\($0)", .int($0)) }))]).serialized(.condensed)
        XCTAssertEqual(wide.split(separator: "\n").count, 17, wide)
        XCTAssertEqual(JSONValue.array([.double(1e15 - 1), .double(1e15), .double(1e16), .double(-0.0), .double(2.5)]).serialized(.condensed),
                       "[999999999999999, 1000000000000000.0, 1e+16, 0, 2.5]")
    }

    func testFixedDecimalsAndNonFiniteNumbers() {
        let v = JSONValue.array([.fixed(1.005, decimals: 2), .fixed(0.1234567, decimals: 5), .fixed(2, decimals: 2),
                                 .fixed(.infinity, decimals: 2), .double(-.infinity)])
        let text = v.serialized(.compact)
        XCTAssertEqual(text, "[\(String(format: "%.2f", 1.005)),0.12346,2.00,null,null]")
        XCTAssertEqual(v.serialized(.condensed), text.replacingOccurrences(of: ",", with: ", "))
    }

    func testOutputParsesBackWithFoundation() throws {
        for style in [JSONStyle.compact, .pretty, .condensed] {
            let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(document.serialized(style).utf8)) as? [String: Any])
            XCTAssertEqual(parsed["name"] as? String, "a\"b\\c\nd\u{1}é")
            XCTAssertEqual(parsed["ratio"] as? Double, 0.25)
            XCTAssertTrue(parsed["missing"] is NSNull)
        }
    }

    func testQuotedAndEquality() {
        XCTAssertEqual(JSONValue.quoted("tab\there\u{1f}"), #""tab\there\u001f""#)
        XCTAssertEqual(document, document)
        XCTAssertNotEqual(document, .object([]))
        XCTAssertNotEqual(JSONValue.object([("a", .int(1)), ("b", .int(2))]), .object([("b", .int(2)), ("a", .int(1))]))
        XCTAssertNotEqual(JSONValue.int(1), .double(1))
    }
}
