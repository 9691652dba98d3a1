import Foundation
import SeqCore

/// A section of a training config file (or the whole file). Every setting has a default, so a
/// file names only what it changes; the synthesised `Codable` does the rest. `decodeConfig`
/// fills in the defaults before decoding and refuses keys the section does not have.
public protocol ConfigSection: Codable {
    /// Every setting at its default.
    init()
    /// The defaults for a section whose file object is `given`; `init()` unless a default
    /// depends on another setting (the head's margin depends on its kind).
    static func defaults(for given: JSONValue) -> Self
    /// The ranges that do not depend on the rest of the config.
    func validate() throws
}

extension ConfigSection {
    public static func defaults(for given: JSONValue) -> Self { Self() }
}

/// Reads a config: one-line `SeqError`s naming the file and the key, with the line for syntax
/// errors and repeated keys (a key given twice is an error, because a decoder would silently
/// keep only one of the two values).
///
/// Missing settings take the section's defaults (`ConfigSection`); an unknown key is an error
/// naming it, so a typo is not a silently ignored setting; an integer setting given a
/// fraction (`2.5`) or a number beyond its type says the key must be an integer; a number
/// beyond `Float`'s range names the key. A decoded `ConfigSection` is validated.
func decodeConfig<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
    let value: JSONValue
    do { value = try JSONValue.parse(data) } catch let e as JSONParseError {
        if case .duplicateKey(let key) = e.kind {
            throw SeqError("key \"\(key)\" appears twice in \(e.path.isEmpty ? "config" : e.path)", file: path, line: e.line)
        }
        throw SeqError("not valid JSON (\(e.reason))", file: path, line: e.line)
    }
    var decoder = JSONValueDecoder()
    decoder.willDecode = fillingDefaults
    do {
        let config = try decoder.decode(T.self, from: value)
        if let section = config as? any ConfigSection { try section.validate() }
        return config
    } catch let e as SeqError {
        throw SeqError(e.reason, file: path)
    } catch let e as JSONDecodingError {
        throw SeqError(configMessage(e), file: path)
    }
}

/// The `willDecode` hook of `decodeConfig`: a section's object with its defaults filled in, in
/// the defaults' key order; an unknown key throws. A null section or setting counts as absent.
private func fillingDefaults(_ type: Any.Type, _ value: JSONValue, _ path: [String]) throws -> JSONValue {
    guard let section = type as? any ConfigSection.Type else { return value }
    func defaultsJSON<S: ConfigSection>(_ s: S.Type) throws -> JSONValue { try JSONValue(encoding: S.defaults(for: value)) }
    if value.isNull { return try defaultsJSON(section) }
    guard case .object(let given) = value else { return value }
    let defaults = try defaultsJSON(section).members
    let known = Set(defaults.map(\.key))
    if let bad = given.map(\.0).sorted().first(where: { !known.contains($0) }) {
        let name = path.isEmpty ? "config" : path.joined(separator: ".")
        throw SeqError("unknown key \"\(bad)\" in \(name) (known: \(known.sorted().joined(separator: ", ")))")
    }
    let values = Dictionary(given.filter { !$0.1.isNull }, uniquingKeysWith: { _, last in last })
    return .object(defaults.map { ($0.key, values[$0.key] ?? $0.value) })
}

/// The message for a value that does not fit its setting.
private func configMessage(_ e: JSONDecodingError) -> String {
    switch e.kind {
    case .wrongType where e.components.isEmpty:
        return "the config must be a JSON object (with network, head, dsa, solver, data sections)"
    case .notAnInteger where e.components.last?.hasPrefix("[") == true:
        // An element of a list of integers: name the list.
        return "key \(JSONDecodingError(e.kind, components: Array(e.components.dropLast())).path) must be a list of integers"
    default:
        return e.description
    }
}
