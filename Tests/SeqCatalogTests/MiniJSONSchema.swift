import Foundation
import SeqCore

/// Checks a document against the subset of JSON Schema that schemas/*.schema.json use:
/// type, const, enum, required, properties, additionalProperties: false, items, minimum,
/// maximum, exclusiveMaximum, pattern, $ref to #/$defs. Returns the violations.
struct MiniJSONSchema {
    let root: JSONValue

    func validate(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
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
        if let d = value.number {
            if let m = schema["minimum"]?.number, d < m { errors.append("\(path): below minimum") }
            if let m = schema["maximum"]?.number, d > m { errors.append("\(path): above maximum") }
            if let m = schema["exclusiveMaximum"]?.number, d >= m { errors.append("\(path): not below exclusiveMaximum") }
        }
        if case .string(let s) = value, let pattern = schema["pattern"]?.string,
           s.range(of: pattern, options: .regularExpression) == nil {
            errors.append("\(path): does not match \(pattern)")
        }
        if case .object(let o) = value {
            for key in schema["required"]?.array?.compactMap(\.string) ?? [] where value[key] == nil {
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

    /// "integer" is a number written without fraction or exponent, which `JSONValue.parse` reads as `.int`.
    private func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
             ("number", .int), ("number", .double), ("integer", .int): return true
        default: return false
        }
    }
}
