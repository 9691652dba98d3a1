import Foundation
import SeqCore
/// Matching of person names between protocols, identity folders and video paths.
///
/// Names match when they are equal after `normalize`: case, spaces and underscores are
/// ignored, so `George_W_Bush` matches `george w bush`.
public enum NameMatching {
    /// Lower case with spaces and underscores removed.
    public static func normalize(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace && $0 != "_" })
    }

    /// Words of a file or folder name: split at every character that is not a letter or digit.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    /// The names from `normalizedNames` carried by a file path: the file name or one of the
    /// `folders` folder names above it (extension removed) equals a name, or contains the
    /// name's words in a row (`George_W_Bush_interview.mp4` carries `george w bush`).
    /// Folders higher up (`/home/…`) are not looked at. Results are sorted.
    public static func names(in path: String, matching normalizedNames: Set<String>, folders: Int = 2, maxWords: Int = 8) -> [String] {
        var found = Set<String>()
        for component in path.split(separator: "/").suffix(folders + 1) {
            var stem = String(component)
            if let dot = stem.lastIndex(of: "."), dot != stem.startIndex { stem = String(stem[..<dot]) }
            let whole = normalize(stem)
            if normalizedNames.contains(whole) { found.insert(whole) }
            // Every run of consecutive words, joined, is a candidate normalized name.
            let w = words(stem)
            for start in w.indices {
                var joined = ""
                for end in start..<min(w.count, start + maxWords) {
                    joined += w[end]
                    if normalizedNames.contains(joined) { found.insert(joined) }
                }
            }
        }
        return found.sorted()
    }

    /// Names from a plain list: one per line; blank lines and `#` comments are skipped.
    public static func readNameList(_ url: URL) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw SeqError("cannot read the names file", file: url.path)
        }
        let names = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !names.isEmpty else { throw SeqError("the names file lists no names", file: url.path) }
        return names
    }
}
