import Foundation

// Codable types to and from `JSONValue`: files with a fixed shape are Codable types, written
// with `JSONValue`'s fixed layout and read with errors that name the key path.

/// Why a `JSONValue` does not decode as a type: the path of the value (`counts.videos`,
/// `files[2].name`; "" at the top) and what was wrong.
public struct JSONDecodingError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// A required key is absent; `path` ends with it.
        case missingKey
        /// The value has the wrong kind (`expected` names the one wanted).
        case wrongType(expected: String)
        /// A number where an integer is wanted that is fractional or beyond the type's range.
        case notAnInteger(Double, unsigned: Bool)
        /// A number beyond `Float`'s range.
        case floatOutOfRange(Double)
        /// A value the type refuses (an unknown enum case, or the type's own check).
        case invalid(String)
    }
    public var kind: Kind
    /// Path components: keys, and `[i]` for list elements.
    public var components: [String]

    public init(_ kind: Kind, components: [String]) {
        self.kind = kind
        self.components = components
    }

    /// `a.b[2].c`.
    public var path: String { Self.dotted(components) }

    static func dotted(_ components: [String]) -> String {
        var out = ""
        for c in components {
            if c.hasPrefix("[") { out += c } else { out += out.isEmpty ? c : "." + c }
        }
        return out
    }

    public var description: String {
        let at = path.isEmpty ? "the top level" : "\"\(path)\""
        switch kind {
        case .missingKey: return "missing key \"\(path)\""
        case .wrongType(let expected): return "bad value for \(at): expected \(expected)"
        case .notAnInteger(let n, let unsigned):
            return "key \(path) must be \(unsigned ? "a non-negative integer" : "an integer")"
                + (n == n.rounded() && !(unsigned && n < 0) ? " (out of range)" : "") + ", got \(Self.numberText(n))"
        case .floatOutOfRange(let d): return "key \(path) is out of range for a 32-bit float, got \(d)"
        case .invalid(let why): return "bad value for \(at): \(why)"
        }
    }

    /// `2.5`, `1e+30`, `3` (whole numbers without ".0", so a message echoes what was written).
    public static func numberText(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}

// MARK: - Decoding

/// Decodes `Decodable` types from a `JSONValue`. Missing keys, wrong kinds and numbers that do
/// not fit throw `JSONDecodingError` with the key path; whole doubles read as integers and
/// integers as doubles.
public struct JSONValueDecoder {
    /// Called before each value is decoded as a non-primitive type, with the path so far; returns
    /// the value to decode instead (to fill in defaults, or refuse unknown keys by throwing).
    public var willDecode: ((_ type: Any.Type, _ value: JSONValue, _ path: [String]) throws -> JSONValue)?

    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try JSONValueDecoding(value: value, path: [], options: self).unbox(T.self)
    }
}

extension JSONValue {
    /// Parses `data` and decodes it as `T`; every failure is one line naming `file` (and the
    /// line for syntax errors and repeated keys, the key path for the rest).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String,
                                            duplicateKeys: DuplicateKeys = .refuse) throws -> T {
        let value: JSONValue
        do { value = try parse(data, duplicateKeys: duplicateKeys) } catch let e as JSONParseError {
            let place = e.path.isEmpty ? "" : " in \(e.path)"
            throw SeqError("not valid JSON: \(e.reason)\(place)", file: file, line: e.line)
        }
        do { return try JSONValueDecoder().decode(T.self, from: value) } catch let e as JSONDecodingError {
            throw SeqError(e.description, file: file)
        }
    }

    /// `value` encoded with `JSONValueEncoder` (nil optionals written as null).
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONValueEncoder().encode(value)
    }
}

private struct JSONValueDecoding: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let path: [String]
    let options: JSONValueDecoder

    var codingPath: [CodingKey] { path.map { AnyKey($0) } }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func error(_ kind: JSONDecodingError.Kind) -> JSONDecodingError { JSONDecodingError(kind, components: path) }

    func unbox<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is Bool.Type: return try decode(Bool.self) as! T
        case is String.Type: return try decode(String.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        case is Float.Type: return try decode(Float.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is Int32.Type: return try decode(Int32.self) as! T
        case is Int64.Type: return try decode(Int64.self) as! T
        case is UInt64.Type: return try decode(UInt64.self) as! T
        default: break
        }
        var v = value
        if let hook = options.willDecode { v = try hook(type, value, path) }
        do {
            return try T(from: JSONValueDecoding(value: v, path: path, options: options))
        } catch let e as JSONDecodingError {
            throw e
        } catch let DecodingError.dataCorrupted(ctx), let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            // An enum's unknown raw value, or a type's own `init(from:)` check.
            throw JSONDecodingError(.invalid(ctx.debugDescription), components: ctx.codingPath.map(\.stringValue))
        } catch DecodingError.keyNotFound(let key, let ctx) {
            throw JSONDecodingError(.missingKey, components: (ctx.codingPath + [key]).map(\.stringValue))
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw error(.wrongType(expected: "an object")) }
        var dict: [String: JSONValue] = [:]
        for (k, v) in members { dict[k] = v }
        return KeyedDecodingContainer(Keyed<Key>(members: dict, order: members.map(\.0), base: self))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw error(.wrongType(expected: "a list")) }
        return Unkeyed(items: items, base: self)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { self }

    // MARK: single values

    func decodeNil() -> Bool { value.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw error(.wrongType(expected: "true or false")) }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw error(.wrongType(expected: "a string")) }
        return s
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard let d = value.number else { throw error(.wrongType(expected: "a number")) }
        return d
    }

    func decode(_ type: Float.Type) throws -> Float {
        let d = try decode(Double.self)
        let f = Float(d)
        if d.isFinite && !f.isFinite { throw error(.floatOutOfRange(d)) }
        return f
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        switch value {
        case .int(let i):
            guard let v = I(exactly: i) else { throw error(.notAnInteger(Double(i), unsigned: !I.isSigned)) }
            return v
        case .double(let d), .fixed(let d, _):
            guard let v = I(exactly: d) else { throw error(.notAnInteger(d, unsigned: !I.isSigned)) }
            return v
        default:
            throw error(.wrongType(expected: I.isSigned ? "an integer" : "a non-negative integer"))
        }
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unbox(T.self) }

    func child(_ value: JSONValue, _ component: String) -> JSONValueDecoding {
        JSONValueDecoding(value: value, path: path + [component], options: options)
    }

    // MARK: containers

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        let order: [String]
        let base: JSONValueDecoding

        var codingPath: [CodingKey] { base.codingPath }
        var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func child(_ key: Key) throws -> JSONValueDecoding {
            guard let v = members[key.stringValue] else {
                throw JSONDecodingError(.missingKey, components: base.path + [key.stringValue])
            }
            return base.child(v, key.stringValue)
        }

        func decodeNil(forKey key: Key) throws -> Bool { try child(key).decodeNil() }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).unbox(T.self) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).unbox(type) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).unbox(type) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).unbox(type) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).unbox(type) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).unbox(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decode(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decode(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).unbox(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).unbox(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decode(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decode(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decode(type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decode(type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).unbox(type) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> Decoder { base }
        func superDecoder(forKey key: Key) throws -> Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [JSONValue]
        let base: JSONValueDecoding
        var currentIndex = 0

        init(items: [JSONValue], base: JSONValueDecoding) {
            self.items = items
            self.base = base
        }

        var codingPath: [CodingKey] { base.codingPath }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> JSONValueDecoding {
            guard !isAtEnd else { throw JSONDecodingError(.invalid("the list is too short"), components: base.path) }
            defer { currentIndex += 1 }
            return base.child(items[currentIndex], "[\(currentIndex)]")
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, items[currentIndex].isNull else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().unbox(T.self) }
        mutating func decode(_ type: Bool.Type) throws -> Bool { try next().unbox(type) }
        mutating func decode(_ type: String.Type) throws -> String { try next().unbox(type) }
        mutating func decode(_ type: Double.Type) throws -> Double { try next().unbox(type) }
        mutating func decode(_ type: Float.Type) throws -> Float { try next().unbox(type) }
        mutating func decode(_ type: Int.Type) throws -> Int { try next().unbox(type) }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().unbox(type) }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().unbox(type) }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().unbox(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> Decoder { try next() }
    }
}

/// A coding key for any string.
public struct AnyKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { return nil }
}

// MARK: - Encoding

/// Encodes `Encodable` types as a `JSONValue`: object members in the order the type encodes
/// them (a synthesised `encode(to:)` follows the declaration order), nil optionals as null,
/// `Float`s by their shortest decimal text (so `0.01` stays `0.01`), and non-finite numbers as
/// null when serialised.
public struct JSONValueEncoder {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = EncodingNode(path: [])
        try root.box(value)
        return root.result
    }
}

/// One value being encoded; containers hold the nodes of their members so that nested
/// containers handed out earlier are still filled in.
private final class EncodingNode: Encoder {
    enum Storage {
        case empty
        case value(JSONValue)
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }
    var storage: Storage = .empty
    let path: [CodingKey]

    init(path: [CodingKey]) { self.path = path }

    var codingPath: [CodingKey] { path }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var result: JSONValue {
        switch storage {
        case .empty: return .null
        case .value(let v): return v
        case .object(let members): return .object(members.map { ($0.0, $0.1.result) })
        case .array(let items): return .array(items.map(\.result))
        }
    }

    func box<T: Encodable>(_ value: T) throws {
        switch value {
        case let v as Bool: storage = .value(.bool(v))
        case let v as String: storage = .value(.string(v))
        case let v as Double: storage = .value(.double(v))
        case let v as Float: storage = .value(.double(v.isFinite ? Double("\(v)") ?? Double(v) : Double(v)))
        case let v as Int: storage = .value(.int(v))
        case let v as Int32: storage = .value(.int(Int(v)))
        case let v as Int64: storage = .value(.int(Int(v)))
        case let v as UInt64: storage = .value(Int(exactly: v).map { .int($0) } ?? .double(Double(v)))
        case let v as JSONValue: storage = .value(v)
        default: try value.encode(to: self)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = storage {} else { storage = .object([]) }
        return KeyedEncodingContainer(Keyed<Key>(node: self))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array = storage {} else { storage = .array([]) }
        return Unkeyed(node: self)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { Single(node: self) }

    func member(_ key: String) -> EncodingNode {
        let child = EncodingNode(path: path + [AnyKey(key)])
        if case .object(var members) = storage {
            if let at = members.firstIndex(where: { $0.0 == key }) { members[at].1 = child } else { members.append((key, child)) }
            storage = .object(members)
        }
        return child
    }

    func element() -> EncodingNode {
        guard case .array(var items) = storage else { return EncodingNode(path: path) }
        let child = EncodingNode(path: path + [AnyKey("[\(items.count)]")])
        items.append(child)
        storage = .array(items)
        return child
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: EncodingNode
        var codingPath: [CodingKey] { node.path }

        mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).storage = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try node.member(key.stringValue).box(value) }
        // nil optionals are written as null, not left out: readers then see every key.
        private mutating func put<T: Encodable>(_ value: T?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try put(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try put(value, key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            node.member(key.stringValue).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer { node.member(key.stringValue).unkeyedContainer() }
        mutating func superEncoder() -> Encoder { node.member("super") }
        mutating func superEncoder(forKey key: Key) -> Encoder { node.member(key.stringValue) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: EncodingNode
        var codingPath: [CodingKey] { node.path }
        var count: Int {
            if case .array(let items) = node.storage { return items.count }
            return 0
        }
        mutating func encodeNil() throws { node.element().storage = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try node.element().box(value) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            node.element().container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { node.element().unkeyedContainer() }
        mutating func superEncoder() -> Encoder { node.element() }
    }

    struct Single: SingleValueEncodingContainer {
        let node: EncodingNode
        var codingPath: [CodingKey] { node.path }
        mutating func encodeNil() throws { node.storage = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try node.box(value) }
    }
}

extension JSONValue: Codable {
    /// A `JSONValue` member of a Codable type is kept as it is (through `JSONValueDecoder`) or
    /// rebuilt from any other decoder.
    public init(from decoder: Decoder) throws {
        if let d = decoder as? JSONValueDecodingBox { self = d.jsonValue; return }
        if let c = try? decoder.container(keyedBy: AnyKey.self) {
            self = .object(try c.allKeys.map { ($0.stringValue, try c.decode(JSONValue.self, forKey: $0)) })
            return
        }
        if var a = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !a.isAtEnd { items.append(try a.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        if let node = encoder as? EncodingNode { node.storage = .value(self); return }
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
        case .double(let d), .fixed(let d, _): var c = encoder.singleValueContainer(); try c.encode(d)
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let members):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (k, v) in members { try c.encode(v, forKey: AnyKey(k)) }
        }
    }
}

/// Lets `JSONValue.init(from:)` take the value as it is from `JSONValueDecoder`.
private protocol JSONValueDecodingBox { var jsonValue: JSONValue { get } }
extension JSONValueDecoding: JSONValueDecodingBox { var jsonValue: JSONValue { value } }
