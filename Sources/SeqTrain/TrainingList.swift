import Foundation
import SeqCore

/// One Caffe `ImageData` list: `relative/path.jpg LABEL` per line.
///
/// Identity lists hold labels `0…F-1`; sequence lists hold `-1…-S`. Paths are relative to
/// `root`: by default the `filters.root` of a `seqcurate export` manifest.json beside the list,
/// else the list file's folder. Blank lines and `#` comments are skipped.
public struct TrainingList: Sendable {
    public enum Kind: String, Sendable { case identity, sequence }

    public struct Entry: Sendable, Equatable {
        /// The path as written in the list.
        public var path: String
        public var label: Int32
        /// 1-based line in the list file, for messages.
        public var line: Int
    }

    public let kind: Kind
    public let file: URL
    public let root: URL
    public let entries: [Entry]
    /// `F` for an identity list (largest label + 1), `S` for a sequence list (largest `-label`).
    public let classCount: Int

    /// Reads and checks a list.
    /// - Parameters:
    ///   - classCount: when given, labels must fall in `0…F-1` (identity) or `-1…-S` (sequence);
    ///     otherwise it is taken from the labels.
    ///   - checkFiles: verify every image exists (an error names the list line).
    public init(file: URL, kind: Kind, root: URL? = nil, classCount: Int? = nil, checkFiles: Bool = true) throws {
        self.kind = kind
        self.file = file
        let manifest = ExportManifest(besides: file)
        self.root = root ?? manifest?.root ?? file.deletingLastPathComponent()
        let classCount = classCount ?? (kind == .identity ? manifest?.faceIDCount : manifest?.sequenceCount)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw SeqError(FileManager.default.fileExists(atPath: file.path) ? "cannot read list" : "no such list file", file: file.path)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SeqError("list is not UTF-8 text", file: file.path) }
        var entries: [Entry] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw SeqError("expected \"path label\", found \"\(line)\"", file: file.path, line: lineNumber)
            }
            let path = line[..<space].trimmingCharacters(in: .whitespaces)
            let labelText = String(line[line.index(after: space)...])
            guard !path.isEmpty else { throw SeqError("missing image path", file: file.path, line: lineNumber) }
            guard let label = Int32(labelText) else {
                throw SeqError("label \"\(labelText)\" is not an integer", file: file.path, line: lineNumber)
            }
            switch kind {
            case .identity:
                guard label >= 0 else {
                    throw SeqError("identity label \(label) is negative; identity labels are 0…F-1", file: file.path, line: lineNumber)
                }
                if let f = classCount, Int(label) >= f {
                    throw SeqError("identity label \(label) is outside 0…\(f - 1)", file: file.path, line: lineNumber)
                }
            case .sequence:
                guard label < 0 else {
                    throw SeqError("sequence label \(label) is not negative; sequence labels are -1…-S", file: file.path, line: lineNumber)
                }
                if let s = classCount, -Int(label) > s {
                    throw SeqError("sequence label \(label) is outside -1…-\(s)", file: file.path, line: lineNumber)
                }
            }
            entries.append(Entry(path: path, label: label, line: lineNumber))
        }
        guard !entries.isEmpty else { throw SeqError("list is empty", file: file.path, line: max(lineNumber, 1)) }
        if checkFiles {
            let fm = FileManager.default
            for e in entries where !fm.fileExists(atPath: self.root.appendingPathComponent(e.path).path) {
                throw SeqError("image \(e.path) does not exist (under \(self.root.path))", file: file.path, line: e.line)
            }
        }
        self.entries = entries
        switch kind {
        case .identity: self.classCount = classCount ?? Int(entries.map(\.label).max()!) + 1
        case .sequence: self.classCount = classCount ?? -Int(entries.map(\.label).min()!)
        }
    }

    public func url(of entry: Entry) -> URL { root.appendingPathComponent(entry.path) }
}

/// The parts of `seqcurate export`'s manifest.json that training uses.
struct ExportManifest {
    var root: URL?
    var faceIDCount: Int?
    var sequenceCount: Int?

    /// Reads `manifest.json` in the list's folder; nil when there is none or it is not an export manifest.
    init?(besides list: URL) {
        let url = list.deletingLastPathComponent().appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              json["format_version"] != nil else { return nil }
        let filters = json["filters"] as? [String: Any]
        if filters?["paths"] as? String == "relative", let r = filters?["root"] as? String {
            root = URL(fileURLWithPath: r, isDirectory: true)
        }
        faceIDCount = (json["faceid_num"] as? NSNumber)?.intValue
        sequenceCount = (json["seqid_num"] as? NSNumber)?.intValue
    }
}
