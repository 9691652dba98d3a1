import Foundation

/// Any JSON value, decoded without a fixed schema: metrics lines and evaluation results are
/// written by other tools (and other versions), so the report reads what it recognises.
public indirect enum LooseJSON: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([LooseJSON])
    case object([String: LooseJSON], order: [String])

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.container(keyedBy: AnyKey.self) {
            var dict: [String: LooseJSON] = [:]
            // Foundation does not promise the file's key order; sort for stable output.
            let keys = c.allKeys.map(\.stringValue).sorted()
            for k in keys { dict[k] = try c.decode(LooseJSON.self, forKey: AnyKey(k)) }
            self = .object(dict, order: keys)
            return
        }
        if var a = try? decoder.unkeyedContainer() {
            var items: [LooseJSON] = []
            while !a.isAtEnd { items.append(try a.decode(LooseJSON.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    /// Parses `data`; nil when it is not JSON.
    public static func parse(_ data: Data) -> LooseJSON? {
        try? JSONDecoder().decode(LooseJSON.self, from: data)
    }

    public subscript(key: String) -> LooseJSON? {
        if case .object(let d, _) = self { return d[key] }
        return nil
    }

    public var number: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var array: [LooseJSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Keys and values of an object in sorted key order; empty for anything else.
    public var members: [(key: String, value: LooseJSON)] {
        if case .object(let d, let order) = self { return order.map { ($0, d[$0]!) } }
        return []
    }

    /// Compact text for tables: numbers shortened, nested values as JSON-like text.
    public var display: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return HTML.number(d, digits: 6)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(\.display).joined(separator: ", ") + "]"
        case .object: return "{" + members.map { "\($0.key): \($0.value.display)" }.joined(separator: ", ") + "}"
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}
