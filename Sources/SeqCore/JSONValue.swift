import Foundation

/// A JSON document whose objects keep their keys in the order given, written byte-for-byte the
/// same every time. Foundation's serialiser promises neither key order nor number formatting,
/// and the catalog's manifests, `eval --json` and `detect --json` are compared as text.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    /// A number written as the style says (see `JSONStyle.wholeDoublesAsIntegers`); non-finite
    /// values are written as null, since JSON has no NaN or infinity.
    case double(Double)
    /// A number written with exactly `decimals` digits after the point (`%.Nf`), whatever the
    /// style; non-finite values are written as null.
    case fixed(Double, decimals: Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// `v` as a number, or null when absent.
    public static func optional(_ v: Int?) -> JSONValue { v.map { .int($0) } ?? .null }
    /// `v` as a number, or null when absent.
    public static func optional(_ v: Double?) -> JSONValue { v.map { .double($0) } ?? .null }
    /// `v` as a string, or null when absent.
    public static func optional(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }

    /// Structural equality; objects are equal only with the same keys in the same order, and
    /// NaN equals NaN so that every value equals itself.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.fixed(x, dx), .fixed(y, dy)): return (x == y || (x.isNaN && y.isNaN)) && dx == dy
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The JSON text in `style`, without a final newline.
    public func serialized(_ style: JSONStyle) -> String {
        var out = ""
        write(to: &out, indent: style.multiline ? 0 : nil, style: style)
        return out
    }

    /// `text` as a JSON string literal, quotes included: `"`, `\` and control characters
    /// escaped, everything else (non-ASCII included) written as is.
    public static func quoted(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    /// `indent` is the current nesting depth in spaces, or nil on one compact line.
    private func write(to out: inout String, indent: Int?, style: JSONStyle) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if !d.isFinite {
                out += "null"
            } else if style.wholeDoublesAsIntegers && d == d.rounded() && abs(d) < 1e15 {
                out += String(Int(d))
            } else {
                out += "\(d)"
            }
        case .fixed(let d, let decimals):
            out += d.isFinite ? String(format: "%.\(decimals)f", d) : "null"
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            let inline = style.inlinesScalarContainers && items.allSatisfy(\.isScalar)
            Self.writeContainer(open: "[", close: "]", count: items.count, into: &out,
                                indent: indent, inline: inline) { i, out, inner in
                items[i].write(to: &out, indent: inner, style: style)
            }
        case .object(let members):
            // Top-level objects always spread out; only small nested records share a line.
            let inline = style.inlinesScalarContainers && members.allSatisfy { $0.1.isScalar }
                && (indent ?? 0) > 0 && members.count <= 12
            Self.writeContainer(open: "{", close: "}", count: members.count, into: &out,
                                indent: indent, inline: inline) { i, out, inner in
                Self.quote(members[i].0, into: &out)
                out += inner == nil ? ":" : ": "
                members[i].1.write(to: &out, indent: inner, style: style)
            }
        }
    }

    /// Writes `open`, the elements and `close`: on one compact line when `indent` is nil, on
    /// one line with `, ` between elements when `inline`, else one element per line.
    private static func writeContainer(open: String, close: String, count: Int, into out: inout String,
                                       indent: Int?, inline: Bool,
                                       element: (Int, inout String, Int?) -> Void) {
        out += open
        guard count > 0 else { out += close; return }
        if let indent, !inline {
            let pad = String(repeating: " ", count: indent + 2)
            for i in 0..<count {
                out += i == 0 ? "\n" : ",\n"
                out += pad
                element(i, &out, indent + 2)
            }
            out += "\n" + String(repeating: " ", count: indent)
        } else {
            // Inline members are scalars, so their depth no longer matters; indent 0 rather
            // than nil keeps the `": "` spacing of the multi-line form.
            let separator = indent == nil ? "," : ", "
            for i in 0..<count {
                if i > 0 { out += separator }
                element(i, &out, indent == nil ? nil : 0)
            }
        }
        out += close
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// How `JSONValue.serialized(_:)` lays out text and writes doubles.
public struct JSONStyle: Sendable, Equatable {
    /// Two-space indents with one element or member per line; false writes one line with no
    /// spaces at all (`{"a":1,"b":[2,3]}`), as JSON Lines needs.
    public var multiline: Bool
    /// With `multiline`: arrays holding only scalars, and nested objects of at most 12 scalar
    /// members, go on one line (`[1, 2]`, `{"a": 1, "b": 2}`), so long label tables stay short.
    public var inlinesScalarContainers: Bool
    /// Whole doubles below 1e15 written as integers (`3`, not `3.0`); otherwise doubles use
    /// Swift's shortest round-trip form (`3.0`, `0.25`, `1e-05`).
    public var wholeDoublesAsIntegers: Bool

    public init(multiline: Bool, inlinesScalarContainers: Bool, wholeDoublesAsIntegers: Bool) {
        self.multiline = multiline
        self.inlinesScalarContainers = inlinesScalarContainers
        self.wholeDoublesAsIntegers = wholeDoublesAsIntegers
    }

    /// One line, no spaces, doubles in shortest form: `detect --json` lines, `eval` compact JSON.
    public static let compact = JSONStyle(multiline: false, inlinesScalarContainers: false, wholeDoublesAsIntegers: false)
    /// One element per line, doubles in shortest form (`1.0`): `eval --json`, `results.json`.
    public static let pretty = JSONStyle(multiline: true, inlinesScalarContainers: false, wholeDoublesAsIntegers: false)
    /// Scalar arrays and small records on one line, whole doubles as integers: the catalog's
    /// `manifest.json`, `stats --json` and `tracks --json`.
    public static let condensed = JSONStyle(multiline: true, inlinesScalarContainers: true, wholeDoublesAsIntegers: true)
}
