import Foundation
import SeqCore

/// The inputs of `ingest --list FILE`: one local path or http(s) URL a line.
///
/// Blank lines and lines starting with `#` (after leading spaces) are skipped; leading and
/// trailing spaces are trimmed. A relative path is taken from the current folder, as on the
/// command line. A line with another scheme (`ftp://`, `rtmp://`, `file:` …) or a URL that
/// does not parse is an error naming `FILE:LINE`.
public enum VideoInputList {
    /// Reads the list at `path`, or standard input for `-`.
    public static func read(_ path: String) throws -> [URL] {
        let data: Data
        let name = path == "-" ? "<standard input>" : path
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw SeqError("cannot read the list: \(IOFailure.reason(of: error))", file: path)
            }
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SeqError("the list is not UTF-8 text", file: name)
        }
        return try parse(text, source: name)
    }

    /// Parses list text; `source` names it in errors.
    public static func parse(_ text: String, source: String) throws -> [URL] {
        var out: [URL] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            out.append(try input(line, at: "\(source):\(i + 1)"))
        }
        return out
    }

    /// One line as an input.
    static func input(_ line: String, at place: String) throws -> URL {
        if line.contains("\0") { throw SeqError("a NUL byte in the line", file: place) }
        if let colon = line.firstIndex(of: ":"), line[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }),
           line[line.index(after: colon)...].hasPrefix("//") {
            let scheme = line[..<colon].lowercased()
            guard scheme == "http" || scheme == "https" else {
                throw SeqError("'\(scheme)://' is not supported; a line holds a file path or an http(s):// URL", file: place)
            }
            guard let url = URL(string: line), url.host?.isEmpty == false else {
                throw SeqError("not a valid URL: \(SeqError.quotable(line))", file: place)
            }
            return url
        }
        return URL(fileURLWithPath: line)
    }
}

/// `ingest --shard K/N`: this process's share of the inputs, K in 0…N-1.
///
/// An input belongs to shard `h mod N`, where `h` is the first 8 bytes (big-endian) of the
/// SHA-256 of its name as ingest records it: the absolute path of a file (folders expanded,
/// symbolic links not resolved), the whole URL of a URL. The same name gives the same shard
/// on every machine and in every run, whatever the other inputs are, so N processes given
/// the same inputs split them without overlap and without gaps.
public struct InputShard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// Parses `K/N`; nil for anything but two integers with 0 ≤ K < N.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 0, k < n else { return nil }
        index = k
        count = n
    }

    public var description: String { "\(index)/\(count)" }

    /// The shard an input name falls in.
    public static func shard(of name: String, count: Int) -> Int {
        var sha = SHA256()
        sha.update(Data(name.utf8))
        let digest = sha.finalize()
        let h = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(h % UInt64(count))
    }

    /// True when `url` is this shard's.
    public func contains(_ url: URL) -> Bool {
        Self.shard(of: url.isFileURL ? url.path : url.absoluteString, count: count) == index
    }
}
