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

/// Turns `DecodingError`s into one-line `SeqError`s that name the key path and file.
func decodeConfig<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let e as SeqError {
        throw SeqError(e.reason, file: path)
    } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
        let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        throw SeqError("bad value for \"\(key)\": \(ctx.debugDescription)", file: path)
    } catch let DecodingError.dataCorrupted(ctx) {
        let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
        throw SeqError(key.isEmpty ? "not valid JSON" : "bad value for \"\(key)\"", file: path)
    } catch let DecodingError.keyNotFound(key, _) {
        throw SeqError("missing key \"\(key.stringValue)\"", file: path)
    } catch {
        throw SeqError("cannot read config: \(error)", file: path)
    }
}
