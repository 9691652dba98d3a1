import Foundation

/// A parsed JSON value, for checking manifests in tests without Foundation's number/bool ambiguity.
indirect enum J: Equatable {
    case null, bool(Bool), number(Double, isInteger: Bool), string(String), array([J]), object([String: J])

    subscript(key: String) -> J? { if case .object(let o) = self { return o[key] }; return nil }
    var int: Int? { if case .number(let d, true) = self { return Int(d) }; return nil }
    var string: String? { if case .string(let s) = self { return s }; return nil }
    var array: [J]? { if case .array(let a) = self { return a }; return nil }
}

/// A small strict JSON parser.
struct JParser {
    let bytes: [UInt8]
    var i = 0

    static func parse(_ data: Data) throws -> J {
        var p = JParser(bytes: Array(data))
        let v = try p.value()
        p.space()
        guard p.i == p.bytes.count else { throw p.fail("trailing text") }
        return v
    }

    struct Failure: Error, CustomStringConvertible { var description: String }
    func fail(_ why: String) -> Failure { Failure(description: "JSON at byte \(i): \(why)") }

    mutating func space() { while i < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 } }

    mutating func literal(_ s: String, _ v: J) throws -> J {
        let b = Array(s.utf8)
        guard i + b.count <= bytes.count, Array(bytes[i..<i + b.count]) == b else { throw fail("bad literal") }
        i += b.count
        return v
    }

    mutating func value() throws -> J {
        space()
        guard i < bytes.count else { throw fail("end of text") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var o: [String: J] = [:]
            space()
            if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                space()
                guard case .string(let k) = try value() else { throw fail("key") }
                space()
                guard bytes[i] == UInt8(ascii: ":") else { throw fail("colon") }
                i += 1
                guard o[k] == nil else { throw fail("duplicate key \(k)") }
                o[k] = try value()
                space()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw fail("object end") }
                i += 1
                return .object(o)
            }
        case UInt8(ascii: "["):
            i += 1
            var a: [J] = []
            space()
            if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                a.append(try value())
                space()
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw fail("array end") }
                i += 1
                return .array(a)
            }
        case UInt8(ascii: "\""):
            i += 1
            var out = [UInt8]()
            while bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") {
                    i += 1
                    switch bytes[i] {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "u"):
                        let hex = String(decoding: bytes[(i + 1)...(i + 4)], as: UTF8.self)
                        out.append(contentsOf: Array(String(UnicodeScalar(UInt32(hex, radix: 16)!)!).utf8))
                        i += 4
                    default: out.append(bytes[i])
                    }
                } else {
                    guard bytes[i] >= 0x20 else { throw fail("control character in string") }
                    out.append(bytes[i])
                }
                i += 1
            }
            i += 1
            return .string(String(decoding: out, as: UTF8.self))
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            guard let d = Double(text) else { throw fail("bad number \(text)") }
            return .number(d, isInteger: !text.contains(where: { ".eE".contains($0) }))
        }
    }
}

/// Checks a document against the subset of JSON Schema that schemas/*.schema.json use:
/// type, const, enum, required, properties, additionalProperties: false, items, minimum,
/// maximum, exclusiveMaximum, pattern, $ref to #/$defs. Returns the violations.
struct MiniJSONSchema {
    let root: J

    func validate(_ value: J, _ schema: J, at path: String = "$") -> [String] {
        var errors: [String] = []
        if let ref = schema["$ref"]?.string {
            let name = String(ref.dropFirst("#/$defs/".count))
            guard let target = root["$defs"]?[name] else { return ["\(path): unknown $ref \(ref)"] }
            return validate(value, target, at: path)
        }
        if let type = schema["type"] {
            let allowed = type.array?.compactMap(\.string) ?? [type.string!]
            if !allowed.contains(where: { matches(value, type: $0) }) { errors.append("\(path): not of type \(allowed)") }
        }
        if let c = schema["const"], c != value { errors.append("\(path): not the constant") }
        if let e = schema["enum"]?.array, !e.contains(value) { errors.append("\(path): not in enum") }
        if case .number(let d, _) = value {
            if case .number(let m, _)? = schema["minimum"], d < m { errors.append("\(path): below minimum") }
            if case .number(let m, _)? = schema["maximum"], d > m { errors.append("\(path): above maximum") }
            if case .number(let m, _)? = schema["exclusiveMaximum"], d >= m { errors.append("\(path): not below exclusiveMaximum") }
        }
        if case .string(let s) = value, let pattern = schema["pattern"]?.string,
           s.range(of: pattern, options: .regularExpression) == nil {
            errors.append("\(path): does not match \(pattern)")
        }
        if case .object(let o) = value {
            for key in schema["required"]?.array?.compactMap(\.string) ?? [] where o[key] == nil {
                errors.append("\(path): missing \(key)")
            }
            let properties = schema["properties"]
            for (key, v) in o {
                if let sub = properties?[key] {
                    errors += validate(v, sub, at: "\(path).\(key)")
                } else if schema["additionalProperties"] == .bool(false) {
                    errors.append("\(path): unexpected property \(key)")
                }
            }
        }
        if case .array(let a) = value, let items = schema["items"] {
            for (k, v) in a.enumerated() { errors += validate(v, items, at: "\(path)[\(k)]") }
        }
        return errors
    }

    private func matches(_ v: J, type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number): return true
        case ("integer", .number(_, let isInteger)): return isInteger
        default: return false
        }
    }
}
