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
    ///     otherwise it is taken from the export manifest, else from the labels. A count taken
    ///     from the labels must not leave most classes empty (a typo such as a label of
    ///     2000000000 would otherwise make a head no machine can hold).
    ///   - checkFiles: verify every image exists (an error names the list line).
    public init(file: URL, kind: Kind, root: URL? = nil, classCount: Int? = nil, checkFiles: Bool = true) throws {
        self.kind = kind
        self.file = file
        let manifest = try ManifestBesideList(besides: file)
        self.root = root ?? manifest?.root ?? file.deletingLastPathComponent()
        let countName = kind == .identity ? "faceid_num" : "seqid_num"
        // Where the class count came from, for messages.
        var countSource: String? = nil
        var given = classCount
        if classCount != nil {
            countSource = "the given \(countName)"
        } else if let m = manifest, let n = kind == .identity ? m.faceIDCount : m.sequenceCount {
            given = n
            countSource = "\(countName) in \(m.url.path)"
        }
        if let n = given, let source = countSource {
            guard (1...TrainLimits.maxClasses).contains(n) else {
                throw SeqError("\(source) is \(n); it must be in 1…\(TrainLimits.maxClasses)", file: file.path)
            }
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw SeqError(FileManager.default.fileExists(atPath: file.path) ? "cannot read list" : "no such list file", file: file.path)
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SeqError("list is not UTF-8 text", file: file.path) }
        var entries: [Entry] = []
        var lineNumber = 0
        for raw in Self.lines(of: text) {
            lineNumber += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let space = line.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw SeqError("expected \"path label\", found \"\(Self.excerpt(line))\"", file: file.path, line: lineNumber)
            }
            let path = line[..<space].trimmingCharacters(in: .whitespaces)
            let labelText = String(line[line.index(after: space)...])
            guard !path.isEmpty else { throw SeqError("missing image path", file: file.path, line: lineNumber) }
            guard let label = Int32(labelText) else {
                if Self.looksLikeInteger(labelText) {
                    let range = kind == .identity ? "0…F-1" : "-1…-S"
                    throw SeqError("label \(labelText) is out of range (\(kind.rawValue) labels are \(range), with at most "
                                   + "\(TrainLimits.maxClasses) classes)", file: file.path, line: lineNumber)
                }
                throw SeqError("label \"\(Self.excerpt(labelText))\" is not an integer", file: file.path, line: lineNumber)
            }
            switch kind {
            case .identity:
                guard label >= 0 else {
                    throw SeqError("identity label \(label) is negative; identity labels are 0…F-1", file: file.path, line: lineNumber)
                }
                if let f = given, Int(label) >= f {
                    throw SeqError("identity label \(label) is outside 0…\(f - 1) (\(countSource ?? countName) is \(f))",
                                   file: file.path, line: lineNumber)
                }
            case .sequence:
                guard label < 0 else {
                    throw SeqError("sequence label \(label) is not negative; sequence labels are -1…-S", file: file.path, line: lineNumber)
                }
                if let s = given, -Int(label) > s {
                    throw SeqError("sequence label \(label) is outside -1…-\(s) (\(countSource ?? countName) is \(s))",
                                   file: file.path, line: lineNumber)
                }
            }
            entries.append(Entry(path: path, label: label, line: lineNumber))
        }
        guard !entries.isEmpty else { throw SeqError("list is empty", file: file.path, line: max(lineNumber, 1)) }
        if let given {
            self.classCount = given
        } else {
            self.classCount = try Self.countFromLabels(entries, kind: kind, file: file)
        }
        if checkFiles {
            let fm = FileManager.default
            for e in entries where !fm.fileExists(atPath: Self.resolve(e.path, root: self.root).path) {
                let under = e.path.hasPrefix("/") ? "" : " (under \(self.root.path))"
                throw SeqError("image \(e.path) does not exist\(under)", file: file.path, line: e.line)
            }
        }
        self.entries = entries
    }

    /// `F` (largest label + 1) or `S` (largest `-label`) of a list without a given count.
    /// Export writes labels without gaps, so a count far above the number of distinct labels
    /// means a wrong label, which is an error at the line that holds it.
    private static func countFromLabels(_ entries: [Entry], kind: Kind, file: URL) throws -> Int {
        let extreme = kind == .identity ? entries.max { $0.label < $1.label }! : entries.min { $0.label < $1.label }!
        let count = kind == .identity ? Int(extreme.label) + 1 : -Int(extreme.label)
        let distinct = Set(entries.map(\.label)).count
        let unused = count - distinct
        if count > TrainLimits.maxClasses || unused > max(distinct, 1000) {
            let (what, flag, range) = kind == .identity
                ? ("identities", "--faceid-num", "0…F-1") : ("sequences", "--seqid-num", "-1…-S")
            throw SeqError("\(kind.rawValue) label \(extreme.label) is far beyond the \(distinct) distinct \(what) in the list "
                           + "(it would make \(count) classes, \(unused) of them empty); labels should be \(range) without large gaps. "
                           + "Fix the label, or give the class count with \(flag) (at most \(TrainLimits.maxClasses))",
                           file: file.path, line: extreme.line)
        }
        return count
    }

    /// The image of an entry: an absolute path as it is, a relative one under `root`.
    public func url(of entry: Entry) -> URL { Self.resolve(entry.path, root: root) }

    /// `path` if it is absolute (lists written by `export --paths absolute`), else `root/path`.
    static func resolve(_ path: String, root: URL) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }

    /// The lines of a list, whether they end in LF, CRLF or CR. (Swift reads "\r\n" as one
    /// character, so splitting on "\n" alone would keep a CRLF file as a single line.)
    static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    }

    /// An optional sign followed by digits only.
    static func looksLikeInteger(_ text: String) -> Bool {
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// At most 80 characters of `text`, so a message stays one readable line.
    static func excerpt(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }
}

/// The parts of `seqcurate export`'s manifest.json that training uses (`ExportManifest.TrainingView`).
struct ManifestBesideList {
    /// The manifest file itself.
    var url: URL
    var root: URL?
    var faceIDCount: Int?
    var sequenceCount: Int?

    /// Reads `manifest.json` in the list's folder; nil when there is none. A manifest without
    /// `format_version`, or with a value of the wrong kind, is an error naming the file and key.
    init?(besides list: URL) throws {
        url = list.deletingLastPathComponent().appendingPathComponent(ExportManifest.fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let view = try ExportManifest.TrainingView.read(data, file: url.path)
        root = view.root.map { URL(fileURLWithPath: $0, isDirectory: true) }
        faceIDCount = view.faceidNum
        sequenceCount = view.seqidNum
    }
}
