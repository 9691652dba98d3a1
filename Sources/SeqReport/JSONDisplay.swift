import Foundation
import SeqCore

/// How the report reads and shows JSON written by seqcurate or other tools (metrics lines,
/// evaluation results, run settings): `JSONValue`, tolerant of repeated keys, shown compactly.
extension JSONValue {
    /// Parses `data` keeping the last of repeated keys; nil when it is not JSON.
    static func parseForReport(_ data: Data) -> JSONValue? {
        try? JSONValue.parse(data, duplicateKeys: .keepLast)
    }

    /// Keys and values of an object in sorted key order (files differ in key order; the report
    /// shows them the same way whatever the order); empty for anything else.
    var sortedMembers: [(key: String, value: JSONValue)] {
        members.sorted { $0.key < $1.key }
    }

    /// Compact text for tables: numbers shortened, nested values as JSON-like text.
    var display: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double, .fixed: return HTML.number(number!, digits: 6)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(\.display).joined(separator: ", ") + "]"
        case .object: return "{" + sortedMembers.map { "\($0.key): \($0.value.display)" }.joined(separator: ", ") + "}"
        }
    }

    /// True for numbers.
    var isNumber: Bool { number != nil }
}
