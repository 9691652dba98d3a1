import Foundation
import SeqCore

/// The person names of a face-verification test protocol, read from its pairs file, so
/// that those people can be kept out of training.
public struct ProtocolNames: Sendable, Equatable {
    public enum TestProtocol: String, Sendable, CaseIterable { case lfw, ytf }

    /// The pair-file layouts understood.
    public enum Layout: String, Sendable {
        /// LFW `pairs.txt`: a `10 300` header, then `name n1 n2` and `name1 n1 name2 n2` lines.
        case lfwPairs = "lfw pairs.txt"
        /// SeqFace LFW list: `Name/Name_0001.jpg Other/Other_0001.jpg same`.
        case lfwImagePairs = "lfw image pairs"
        /// SeqFace YTF list: `split pair Name/video Other/video same`.
        case ytfPairs = "ytf pairs"
        /// YTF `splits.txt`: comma-separated, with a header line.
        case ytfSplits = "ytf splits.txt"

        var protocolName: TestProtocol { self == .lfwPairs || self == .lfwImagePairs ? .lfw : .ytf }
    }

    public var layout: Layout
    /// Distinct names in order of first appearance, as written (`George_W_Bush`).
    public var names: [String]
    public var pairCount: Int

    /// Reads `url`, which must be a pairs file of `expected`.
    /// - Throws: `SeqError` naming the file and line when the layout is not one of those known.
    public static func read(_ url: URL, expected: TestProtocol) throws -> ProtocolNames {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SeqError("cannot read the protocol file", file: url.path)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SeqError("the protocol file is not UTF-8 text", file: url.path)
        }
        let result = try parse(text, path: url.path)
        guard result.layout.protocolName == expected else {
            throw SeqError("this is a \(result.layout.protocolName.rawValue) protocol file (\(result.layout.rawValue)), not \(expected.rawValue)", file: url.path)
        }
        return result
    }

    /// Parses the text of a pairs file of any known layout.
    public static func parse(_ text: String, path: String = "<text>") throws -> ProtocolNames {
        var names: [String] = []
        var seen = Set<String>()
        func add(_ name: Substring) {
            let n = String(name)
            if seen.insert(n).inserted { names.append(n) }
        }
        // The folder of `Name/file` or `Name/3`.
        func folder(_ field: Substring) -> Substring? {
            guard let slash = field.firstIndex(of: "/"), slash != field.startIndex else { return nil }
            return field[..<slash]
        }
        var layout: Layout?
        var pairs = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, raw) in lines.enumerated() {
            let lineNumber = i + 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func bad(_ why: String) -> SeqError {
                SeqError("unknown protocol file layout: \(why) in '\(line.prefix(80))'; expected LFW pairs.txt, SeqFace LFW/YTF pair lists or YTF splits.txt", file: path, line: lineNumber)
            }
            if layout == nil || layout == .ytfSplits, line.contains(",") {
                let fields = line.split(separator: ",").map { Substring($0.trimmingCharacters(in: .whitespaces)) }
                if layout == nil, Int(fields.first ?? "") == nil {
                    layout = .ytfSplits   // the header line
                    continue
                }
                guard fields.count == 5, Int(fields[0]) != nil, Int(fields[1]) != nil,
                      let a = folder(fields[2]), let b = folder(fields[3]) else { throw bad("a splits line needs 5 fields") }
                layout = .ytfSplits
                add(a); add(b); pairs += 1
                continue
            }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let ints = fields.map { Int($0) != nil }
            if layout == nil {
                if (fields.count == 2 && ints == [true, true]) || (fields.count == 1 && ints == [true]) {
                    layout = .lfwPairs   // `folds pairs-per-fold` (pairs.txt) or `pairs` (pairsDevTrain.txt)
                    continue
                } else if fields.count == 3, folder(fields[0]) != nil, folder(fields[1]) != nil, ints[2] {
                    layout = .lfwImagePairs
                } else if fields.count == 5, ints[0], ints[1], ints[4], folder(fields[2]) != nil {
                    layout = .ytfPairs
                } else {
                    throw bad("first line not recognised")
                }
            }
            switch layout! {
            case .lfwPairs:
                if fields.count == 3, ints == [false, true, true] {
                    add(fields[0])
                } else if fields.count == 4, ints == [false, true, false, true] {
                    add(fields[0]); add(fields[2])
                } else {
                    throw bad("a pairs.txt line needs 'name n1 n2' or 'name1 n1 name2 n2'")
                }
            case .lfwImagePairs:
                guard fields.count == 3, ints[2], let a = folder(fields[0]), let b = folder(fields[1]) else {
                    throw bad("an LFW pair line needs 'Name/image Name/image label'")
                }
                add(a); add(b)
            case .ytfPairs:
                guard fields.count == 5, ints[0], ints[1], ints[4], let a = folder(fields[2]), let b = folder(fields[3]) else {
                    throw bad("a YTF pair line needs 'split pair Name/video Name/video label'")
                }
                add(a); add(b)
            case .ytfSplits:
                throw bad("a splits line needs commas")
            }
            pairs += 1
        }
        guard let layout, pairs > 0 else {
            throw SeqError("unknown protocol file layout: no pairs found", file: path)
        }
        return ProtocolNames(layout: layout, names: names, pairCount: pairs)
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
