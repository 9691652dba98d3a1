import Foundation
import XCTest
import SeqCore

/// `JSONValue.parse` and the Codable bridge: the one JSON reader of the package.
final class JSONParseTests: XCTestCase {
    func testParsesWhatTheWriterWrites() throws {
        let document: JSONValue = .object([
            ("name", .string("a\"b\\c\nd\u{1}é 😀")), ("count", .int(-3)), ("ratio", .double(0.25)), ("big", .double(1e300)),
            ("flags", .array([.bool(true), .bool(false), .null])), ("nested", .object([("k", .array([]))])), ("empty", .object([])),
        ])
        for style in [JSONStyle.compact, .pretty] {
            XCTAssertEqual(try JSONValue.parse(document.serialized(style)), document)
        }
        XCTAssertEqual(try JSONValue.parse("\u{FEFF}[1]"), .array([.int(1)]))
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\ude00\/""#), .string("😀/"))
        XCTAssertEqual(try JSONValue.parse("9223372036854775808"), .double(9223372036854775808))
        XCTAssertEqual(try JSONValue.parse("1.0"), .double(1))
        XCTAssertEqual(try JSONValue.parse("2e2"), .double(200))
    }

    func testRefusesWhatIsNotJSON() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "+1", ".5", "tru", "nul", "\"\\x\"", "\"\u{1}\"", "[1] 2",
                    "\"\\ud800\"", "\"\\u12G4\"", "{a: 1}", "'a'", "NaN"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONValue.parse(Data([0x22, 0xFF, 0x22])), "invalid UTF-8")
        let deep = String(repeating: "[", count: JSONValue.maxDepth + 1) + String(repeating: "]", count: JSONValue.maxDepth + 1)
        XCTAssertThrowsError(try JSONValue.parse(deep))
    }

    func testRepeatedKeysNameKeyPathAndLine() throws {
        XCTAssertThrowsError(try JSONValue.parse("{\"a\": {\"b\": [{\"c\": 1,\n\"c\": 2}]}}")) { e in
            XCTAssertEqual(e as? JSONParseError, JSONParseError(kind: .duplicateKey("c"), line: 2, path: "a.b[]", reason: "key \"c\" appears twice"))
        }
        XCTAssertThrowsError(try JSONValue.parse(#"{"x": 1, "\u0078": 2}"#)) { e in
            XCTAssertEqual((e as? JSONParseError)?.kind, .duplicateKey("x"))
        }
        XCTAssertEqual(try JSONValue.parse(#"{"x": 1, "y": 2, "x": 3}"#, duplicateKeys: .keepLast), .object([("x", .int(3)), ("y", .int(2))]))
        XCTAssertThrowsError(try JSONValue.parse("[1,\n\n2,]")) { e in XCTAssertEqual((e as? JSONParseError)?.line, 3) }
    }

    func testAccessors() throws {
        let v = try JSONValue.parse(#"{"i": 2, "d": 2.5, "w": 3.0, "s": "x", "b": true, "a": [1], "n": null}"#)
        XCTAssertEqual(v["i"]?.int, 2)
        XCTAssertEqual(v["w"]?.int, 3)
        XCTAssertNil(v["d"]?.int)
        XCTAssertEqual(v["i"]?.number, 2)
        XCTAssertEqual(v["s"]?.string, "x")
        XCTAssertEqual(v["b"]?.bool, true)
        XCTAssertEqual(v["a"]?.array, [.int(1)])
        XCTAssertEqual(v["n"]?.isNull, true)
        XCTAssertNil(v["missing"])
        XCTAssertEqual(v.members.map(\.key), ["i", "d", "w", "s", "b", "a", "n"])
    }

    private struct Sample: Codable, Equatable {
        enum Kind: String, Codable { case one, two }
        var count: Int
        var seed: UInt64
        var weight: Float
        var ratio: Double
        var label: String?
        var kind: Kind
        var list: [Int]
        var extra: JSONValue
    }

    func testCodableRoundTripKeepsOrderAndWritesNulls() throws {
        let s = Sample(count: 3, seed: 7, weight: 0.01, ratio: 0.5, label: nil, kind: .two, list: [1, 2], extra: .object([("z", .int(1))]))
        let json = try JSONValue(encoding: s)
        XCTAssertEqual(json.serialized(.compact), #"{"count":3,"seed":7,"weight":0.01,"ratio":0.5,"label":null,"kind":"two","list":[1,2],"extra":{"z":1}}"#)
        XCTAssertEqual(try JSONValueDecoder().decode(Sample.self, from: json), s)
    }

    func testDecodingErrorsNameTheKeyPath() throws {
        func failure(_ text: String) -> String {
            do { _ = try JSONValue.decode(Sample.self, from: Data(text.utf8), file: "s.json"); return "no error" } catch { return "\(error)" }
        }
        let good = #""seed": 1, "weight": 1, "ratio": 1, "kind": "one", "list": [], "extra": null"#
        XCTAssertEqual(failure("{" + good + "}"), "s.json: missing key \"count\"")
        XCTAssertEqual(failure(#"{"count": 2.5, "# + good + "}"), "s.json: key count must be an integer, got 2.5")
        XCTAssertEqual(failure(#"{"count": 1e30, "# + good + "}"), "s.json: key count must be an integer (out of range), got 1e+30")
        XCTAssertEqual(failure(#"{"count": "1", "# + good + "}"), "s.json: bad value for \"count\": expected an integer")
        XCTAssertEqual(failure(#"{"count": 1, "seed": -1, "weight": 1, "ratio": 1, "kind": "one", "list": [], "extra": 1}"#),
                       "s.json: key seed must be a non-negative integer, got -1")
        XCTAssertEqual(failure(#"{"count": 1, "seed": 1, "weight": 1e40, "ratio": 1, "kind": "one", "list": [], "extra": 1}"#),
                       "s.json: key weight is out of range for a 32-bit float, got 1e+40")
        XCTAssertEqual(failure(#"{"count": 1, "seed": 1, "weight": 1, "ratio": 1, "kind": "one", "list": [1, 0.5], "extra": 1}"#),
                       "s.json: key list[1] must be an integer, got 0.5")
        XCTAssertTrue(failure(#"{"count": 1, "seed": 1, "weight": 1, "ratio": 1, "kind": "three", "list": [], "extra": 1}"#)
            .hasPrefix("s.json: bad value for \"kind\""))
        XCTAssertEqual(failure("{\n\"count\": 1,\n\"count\": 2}"), "s.json:3: not valid JSON: key \"count\" appears twice")
        XCTAssertEqual(failure("[1]"), "s.json: bad value for the top level: expected an object")
    }
}
