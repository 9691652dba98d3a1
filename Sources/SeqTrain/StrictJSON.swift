import Foundation
import SeqCore

/// A coding key for any string, used to list the keys a JSON object actually has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// Rejects JSON object keys that `Keys` does not name, so a typo in a config file is an error
/// naming the key rather than a silently ignored setting.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(in decoder: Decoder, _ keys: Keys.Type, section: String) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    let known = Set(Keys.allCases.map(\.stringValue))
    if let bad = container.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
        throw SeqError("unknown key \"\(bad)\" in \(section) (known: \(known.sorted().joined(separator: ", ")))")
    }
}

extension KeyedDecodingContainer {
    /// An integer setting, or nil when absent. A fraction (`2.5`) or a number beyond `Int` is an
    /// error that says the key must be an integer; Foundation's own error for it has no key path
    /// on Linux and read as "not valid JSON".
    func integer(_ key: Key, section: String) throws -> Int? {
        guard contains(key) else { return nil }
        do { return try decodeIfPresent(Int.self, forKey: key) } catch {
            throw notAnInteger(key, section: section, error)
        }
    }

    /// A non-negative integer setting (the seed), or nil when absent.
    func unsignedInteger(_ key: Key, section: String) throws -> UInt64? {
        guard contains(key) else { return nil }
        do { return try decodeIfPresent(UInt64.self, forKey: key) } catch {
            throw notAnInteger(key, section: section, error, unsigned: true)
        }
    }

    /// A list of integers, or nil when absent.
    func integers(_ key: Key, section: String) throws -> [Int]? {
        guard contains(key) else { return nil }
        do { return try decodeIfPresent([Int].self, forKey: key) } catch {
            if (try? decodeIfPresent([Double].self, forKey: key)) != nil {
                throw SeqError("key \(section).\(key.stringValue) must be a list of integers")
            }
            throw error
        }
    }

    /// A float setting, or nil when absent; a number beyond `Float`'s range is an error naming the key.
    func float(_ key: Key, section: String) throws -> Float? {
        guard contains(key) else { return nil }
        do { return try decodeIfPresent(Float.self, forKey: key) } catch {
            if let d = try? decodeIfPresent(Double.self, forKey: key) {
                throw SeqError("key \(section).\(key.stringValue) is out of range for a 32-bit float, got \(d)")
            }
            throw error
        }
    }

    private func notAnInteger(_ key: Key, section: String, _ error: Error, unsigned: Bool = false) -> Error {
        // Only a number that is not a (fitting) integer gets the integer message; a string or a
        // list keeps the decoder's type-mismatch error, which names the key path.
        guard let number = try? decodeIfPresent(Double.self, forKey: key) else { return error }
        let what = unsigned ? "a non-negative integer" : "an integer"
        let range = number == number.rounded() && !(unsigned && number < 0) ? " (out of range)" : ""
        return SeqError("key \(section).\(key.stringValue) must be \(what)\(range), got \(jsonNumberText(number))")
    }
}

/// `2.5`, `1e+30`, `3` (whole numbers without ".0", so the message echoes what the user wrote).
private func jsonNumberText(_ d: Double) -> String {
    if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
    return "\(d)"
}

/// Turns `DecodingError`s into one-line `SeqError`s that name the key path and file.
/// The text must be valid JSON without repeated keys: a key given twice is an error, because
/// the decoder would silently keep only one of the two values.
func decodeConfig<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
    do {
        _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
        throw SeqError("not valid JSON", file: path)
    }
    if let duplicate = StrictJSON.firstDuplicateKey(in: data) {
        throw SeqError("key \"\(duplicate.key)\" appears twice in \(duplicate.section)", file: path, line: duplicate.line)
    }
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let e as SeqError {
        throw SeqError(e.reason, file: path)
    } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
        let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        if key.isEmpty { throw SeqError("the config must be a JSON object (with network, head, dsa, solver, data sections)", file: path) }
        throw SeqError("bad value for \"\(key)\": \(ctx.debugDescription)", file: path)
    } catch let DecodingError.dataCorrupted(ctx) {
        let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        // The syntax was checked above, so this is a value the setting's type cannot hold.
        throw SeqError(key.isEmpty ? "a value does not fit its setting: \(ctx.debugDescription)" : "bad value for \"\(key)\"", file: path)
    } catch let DecodingError.keyNotFound(key, _) {
        throw SeqError("missing key \"\(key.stringValue)\"", file: path)
    } catch {
        throw SeqError("cannot read config: \(error)", file: path)
    }
}

/// Checks JSONSerialization and JSONDecoder do not make: repeated keys.
enum StrictJSON {
    /// The first key that appears twice in one object of `data` (which must be valid JSON):
    /// the key, the dotted path of its object ("config" for the top level) and its 1-based line.
    static func firstDuplicateKey(in data: Data) -> (key: String, section: String, line: Int)? {
        // One frame per open object or array; only objects collect keys.
        struct Frame {
            var isObject: Bool
            var path: String
            var keys: Set<String> = []
            var expectingKey: Bool
            var lastKey: String? = nil
        }
        let bytes = [UInt8](data)
        var stack: [Frame] = []
        var line = 1
        var i = 0
        func childPath() -> String {
            guard let top = stack.last else { return "config" }
            if top.isObject, let key = top.lastKey { return top.path == "config" ? key : top.path + "." + key }
            return top.path + "[]"
        }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\n"):
                line += 1
            case UInt8(ascii: "{"):
                stack.append(Frame(isObject: true, path: childPath(), expectingKey: true))
            case UInt8(ascii: "["):
                stack.append(Frame(isObject: false, path: childPath(), expectingKey: false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") {
                    if bytes[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                if let top = stack.last, top.isObject, top.expectingKey {
                    // Let Foundation undo escapes, so "a\u0062" and "ab" count as the same key.
                    let raw = Data(bytes[start...min(i, bytes.count - 1)])
                    let key = (try? JSONSerialization.jsonObject(with: raw, options: [.fragmentsAllowed])) as? String
                        ?? String(decoding: raw.dropFirst().dropLast(), as: UTF8.self)
                    if top.keys.contains(key) { return (key, top.path, line) }
                    stack[stack.count - 1].keys.insert(key)
                    stack[stack.count - 1].lastKey = key
                    stack[stack.count - 1].expectingKey = false
                }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
