import Foundation

/// Why text is not the JSON a reader wants: the 1-based line, the dotted path of the object or
/// list it happened in ("" at the top level, `a.b` inside keys, `a[]` inside a list) and the reason.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// Not JSON at all (bad syntax, truncated, invalid UTF-8, nested too deep).
        case syntax
        /// One object names `key` twice.
        case duplicateKey(String)
    }
    public var kind: Kind
    public var line: Int
    public var path: String
    public var reason: String

    public init(kind: Kind, line: Int, path: String, reason: String) {
        self.kind = kind
        self.line = line
        self.path = path
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}

extension JSONValue {
    /// What to do with a key an object names twice.
    public enum DuplicateKeys: Sendable {
        /// Throw `JSONParseError` with kind `.duplicateKey`: a decoder would silently keep only
        /// one of the two values.
        case refuse
        /// Keep the last value, in the place of the first (what Foundation's decoders do).
        case keepLast
    }

    /// The deepest nesting `parse` accepts, so hostile input cannot exhaust the stack.
    public static let maxDepth = 512

    /// Parses JSON text (any value at the top, as RFC 8259 allows; a UTF-8 byte order mark is
    /// skipped). Integers without fraction or exponent that fit `Int` become `.int`, every other
    /// number `.double`; object members keep the file's order.
    public static func parse(_ data: Data, duplicateKeys: DuplicateKeys = .refuse) throws -> JSONValue {
        var parser = JSONTextParser(bytes: [UInt8](data), duplicateKeys: duplicateKeys)
        return try parser.document()
    }

    /// Parses JSON text; see `parse(_:duplicateKeys:)`.
    public static func parse(_ text: String, duplicateKeys: DuplicateKeys = .refuse) throws -> JSONValue {
        try parse(Data(text.utf8), duplicateKeys: duplicateKeys)
    }

    // MARK: reading

    /// The member `key` of an object (the last, should it appear twice); nil for a missing key
    /// or anything but an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1
    }

    /// An `.int`, or a whole `.double` that fits `Int`.
    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d), .fixed(let d, _): return Int(exactly: d)
        default: return nil
        }
    }

    /// Any number as a `Double`.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d), .fixed(let d, _): return d
        default: return nil
        }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An object's members in order; empty for anything else.
    public var members: [(key: String, value: JSONValue)] {
        if case .object(let m) = self { return m.map { (key: $0.0, value: $0.1) } }
        return []
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes that tracks lines and the path being read.
private struct JSONTextParser {
    let bytes: [UInt8]
    let duplicateKeys: JSONValue.DuplicateKeys
    var i = 0
    var line = 1
    /// Path components of the containers being read: a key, or "[]" inside a list.
    var path: [String] = []

    init(bytes: [UInt8], duplicateKeys: JSONValue.DuplicateKeys) {
        self.bytes = bytes
        self.duplicateKeys = duplicateKeys
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
    }

    var dottedPath: String {
        var out = ""
        for component in path {
            if component == "[]" { out += "[]" } else { out += out.isEmpty ? component : "." + component }
        }
        return out
    }

    func fail(_ reason: String) -> JSONParseError {
        JSONParseError(kind: .syntax, line: line, path: dottedPath, reason: reason)
    }

    mutating func document() throws -> JSONValue {
        let v = try value(depth: 0)
        space()
        guard i == bytes.count else { throw fail("unexpected text after the JSON value") }
        return v
    }

    mutating func space() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x0A: line += 1
            case 0x20, 0x09, 0x0D: break
            default: return
            }
            i += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        space()
        guard i < bytes.count, bytes[i] == byte else { throw fail(i < bytes.count ? "expected \(what)" : "unexpected end of text, expected \(what)") }
        i += 1
    }

    mutating func value(depth: Int) throws -> JSONValue {
        space()
        guard i < bytes.count else { throw fail("unexpected end of text") }
        guard depth < JSONValue.maxDepth else { throw fail("nested deeper than \(JSONValue.maxDepth) levels") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character \(String(UnicodeScalar(bytes[i])).debugDescription)")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        i += 1
        var members: [(String, JSONValue)] = []
        var index: [String: Int] = [:]
        space()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
        while true {
            space()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail(i < bytes.count ? "expected a key in quotes" : "unexpected end of text") }
            let keyLine = line
            let key = try string()
            try expect(UInt8(ascii: ":"), "':' after key \"\(key)\"")
            path.append(key)
            let v = try value(depth: depth + 1)
            path.removeLast()
            if let at = index[key] {
                if duplicateKeys == .refuse {
                    throw JSONParseError(kind: .duplicateKey(key), line: keyLine, path: dottedPath,
                                         reason: "key \"\(key)\" appears twice")
                }
                members[at].1 = v
            } else {
                index[key] = members.count
                members.append((key, v))
            }
            space()
            guard i < bytes.count else { throw fail("unexpected end of text in an object") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an object") }
            i += 1
            return .object(members)
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        i += 1
        var items: [JSONValue] = []
        space()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
        path.append("[]")
        defer { path.removeLast() }
        while true {
            items.append(try value(depth: depth + 1))
            space()
            guard i < bytes.count else { throw fail("unexpected end of text in a list") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in a list") }
            i += 1
            return .array(items)
        }
    }

    mutating func literal(_ word: String, _ v: JSONValue) throws -> JSONValue {
        let expected = Array(word.utf8)
        let count = expected.count
        guard i + count <= bytes.count else { throw fail("unexpected end of text") }
        guard expected[...] == bytes[i..<i + count] else { throw fail("unexpected character \(String(UnicodeScalar(bytes[i])).debugDescription)") }
        i += count
        return v
    }

    mutating func number() throws -> JSONValue {
        let start = i
        func digits() -> Int {
            let from = i
            while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
            return i - from
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let intDigits = digits()
        guard intDigits > 0 else { throw fail("a number needs digits") }
        guard intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else { throw fail("a number must not start with 0") }
        var isInteger = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            isInteger = false
            guard digits() > 0 else { throw fail("a number needs digits after '.'") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            isInteger = false
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("a number needs digits in its exponent") }
        }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if isInteger, let n = Int(text) { return .int(n) }
        guard let d = Double(text) else { throw fail("bad number \(text)") }
        return .double(d)
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string") }
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                guard let s = String(bytes: out, encoding: .utf8) else { throw fail("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                i += 1
                guard i < bytes.count else { throw fail("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("a lone UTF-16 surrogate in a string")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("a lone UTF-16 surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = UnicodeScalar(scalar) else { throw fail("a lone UTF-16 surrogate in a string") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw fail("bad escape \\\(String(UnicodeScalar(e)))")
                }
            default:
                guard b >= 0x20 else { throw fail("a control character in a string") }
                out.append(b)
                i += 1
            }
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, bytes[i..<i + 4].allSatisfy({ UnicodeScalar($0).properties.isASCIIHexDigit }),
              let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }
}
