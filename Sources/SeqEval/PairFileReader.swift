import Foundation
import SeqCore

/// Reads verification pair lists in any of the four published layouts (see `PairLayout`),
/// detecting which one a file uses.
///
/// This is the only reader of pair files: `eval` scores the pairs it returns and `exclude`
/// keeps the people it names (`PairList.people`) out of training, so the leakage guard and
/// the evaluator always agree on who is in the test set.
public enum PairFileReader {
    /// Reads the pair file at `url`, which must list pairs of `expected`.
    /// - Throws: `SeqError` naming the file (and line) when it cannot be read or parsed, or
    ///   when it is a pair file of the other benchmark.
    public static func read(_ url: URL, expected: Benchmark) throws -> PairList {
        let list = try read(url)
        guard list.benchmark == expected else {
            throw SeqError("this is a \(list.layout.summary) file, not \(expected.displayName); give it as \(list.benchmark.rawValue)",
                           file: url.path)
        }
        return list
    }

    /// Reads and parses the pair file at `url`.
    public static func read(_ url: URL) throws -> PairList {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SeqError("cannot read pairs file", file: url.path)
        }
        return try decode(data, file: url.path)
    }

    /// Parses the bytes of a pair file held in memory (UTF-8 text); `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> PairList {
        guard let text = String(data: data, encoding: .utf8) else {
            throw SeqError("pairs file is not UTF-8 text", file: file)
        }
        return try parse(text, file: file)
    }

    /// Parses pair-file `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> PairList {
        let lines = numberedLines(text)
        let layout = try detectLayout(lines, file: file)
        let pairs: [FacePair]
        switch layout {
        case .lfwOfficial: pairs = try parseLFWOfficial(lines, file: file)
        case .lfwSeqFace: pairs = try parseLFWSeqFace(lines, file: file)
        case .ytfOfficial: pairs = try parseYTF(lines, file: file, csv: true)
        case .ytfSeqFace: pairs = try parseYTF(lines, file: file, csv: false)
        }
        if pairs.isEmpty { throw SeqError("pairs file lists no pairs", file: file) }
        return PairList(file: file, layout: layout, pairs: pairs)
    }

    /// The layout of pair-file `text`, judged by its first non-blank line.
    public static func detectLayout(_ text: String, file: String) throws -> PairLayout {
        try detectLayout(numberedLines(text), file: file)
    }

    // MARK: - Detection

    struct Line {
        var number: Int
        var text: Substring
        var fields: [Substring]
    }

    /// Non-blank lines with their 1-based numbers, split on whitespace. Lines whose first
    /// field starts with `#` are comments (people annotate their copies of pairs.txt).
    static func numberedLines(_ text: String) -> [Line] {
        var out: [Line] = []
        var number = 0
        // "\r\n" is one Character in Swift, so split on any newline rather than on "\n".
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.isEmpty || fields[0].hasPrefix("#") { continue }
            out.append(Line(number: number, text: line, fields: fields))
        }
        return out
    }

    static func detectLayout(_ lines: [Line], file: String) throws -> PairLayout {
        guard let first = lines.first else { throw SeqError("pairs file is empty", file: file) }
        if first.text.contains(",") {
            let cells = csvCells(first.text)
            if cells.count == 5, cells[0].lowercased().hasPrefix("split") { return .ytfOfficial }
            if cells.count == 5, Int(cells[0]) != nil, Int(cells[1]) != nil, label(cells[4]) != nil { return .ytfOfficial }
        } else {
            let f = first.fields
            if (f.count == 1 || f.count == 2), f.allSatisfy({ Int($0) != nil }) { return .lfwOfficial }
            if f.count == 5, Int(f[0]) != nil, Int(f[1]) != nil, label(f[4]) != nil { return .ytfSeqFace }
            if f.count == 3, Int(f[0]) == nil, Int(f[1]) == nil, label(f[2]) != nil { return .lfwSeqFace }
        }
        let layouts = PairLayout.allCases.map(\.summary).joined(separator: "; ")
        throw SeqError("unknown pair-file layout: '\(SeqError.quotable(first.text))' matches none of: \(layouts)",
                       file: file, line: first.number)
    }

    // MARK: - Layouts

    static func parseLFWOfficial(_ lines: [Line], file: String) throws -> [FacePair] {
        let header = lines[0]
        let numbers = header.fields.compactMap { Int($0) }
        let (folds, perFold) = numbers.count == 2 ? (numbers[0], numbers[1]) : (1, numbers[0])
        guard folds > 0, perFold > 0 else {
            throw SeqError("header '\(SeqError.quotable(header.text))' must give a positive fold count and pairs per fold",
                           file: file, line: header.number)
        }
        // Every pair takes a line, so a header promising more pairs than there are lines is wrong
        // whatever the lines say; checking first also keeps folds × perFold × 2 from overflowing
        // (a header of 99999999999 99999999999 trapped) and bounds the memory reserved for pairs.
        let (perFoldBoth, overflow1) = perFold.multipliedReportingOverflow(by: 2)
        let (expected, overflow2) = folds.multipliedReportingOverflow(by: perFoldBoth)
        let available = lines.count - 1
        guard !overflow1, !overflow2, expected <= available else {
            let promised = overflow1 || overflow2 ? "more than \(Int.max)" : String(expected)
            throw SeqError("header '\(SeqError.quotable(header.text))' promises \(folds) folds of \(perFold)+\(perFold) pairs (\(promised)), but the file lists \(available)",
                           file: file, line: header.number)
        }
        var pairs: [FacePair] = []
        pairs.reserveCapacity(expected)
        for line in lines.dropFirst() {
            let f = line.fields
            let fold = pairs.count / perFoldBoth + 1
            if f.count == 3 || f.count == 4 {
                for n in f.count == 3 ? [f[1], f[2]] : [f[1], f[3]] {
                    if let v = Int(n), imageNumber(n) == nil {
                        throw SeqError("image number \(v) is outside 1…\(maxImageNumber) (LFW numbers each person's images from 0001)",
                                       file: file, line: line.number)
                    }
                }
            }
            if f.count == 3, let a = imageNumber(f[1]), let b = imageNumber(f[2]) {
                pairs.append(FacePair(first: lfwKey(f[0], a), second: lfwKey(f[0], b), same: true,
                                      fold: fold, line: line.number))
            } else if f.count == 4, let a = imageNumber(f[1]), let b = imageNumber(f[3]) {
                pairs.append(FacePair(first: lfwKey(f[0], a), second: lfwKey(f[2], b), same: false,
                                      fold: fold, line: line.number))
            } else {
                throw SeqError("expected 'name n1 n2' or 'name1 n1 name2 n2' (LFW official layout), found '\(SeqError.quotable(line.text))'",
                               file: file, line: line.number)
            }
        }
        guard pairs.count == expected else {
            throw SeqError("header '\(SeqError.quotable(header.text))' promises \(folds) folds of \(perFold)+\(perFold) pairs (\(expected)), but the file lists \(pairs.count)",
                           file: file, line: header.number)
        }
        return pairs
    }

    static func parseLFWSeqFace(_ lines: [Line], file: String) throws -> [FacePair] {
        var pairs: [FacePair] = []
        pairs.reserveCapacity(lines.count)
        for line in lines {
            let f = line.fields
            guard f.count == 3, let same = label(f[2]) else {
                throw SeqError("expected 'path1 path2 label' with label 0 or 1 (LFW SeqFace layout), found '\(SeqError.quotable(line.text))'",
                               file: file, line: line.number)
            }
            pairs.append(FacePair(first: try personKey(f[0], file: file, line: line),
                                  second: try personKey(f[1], file: file, line: line), same: same,
                                  fold: 0, line: line.number))
        }
        // Ten consecutive blocks in file order, as in LFW's own pairs.txt (600 pairs each for 6000).
        let count = pairs.count
        for i in pairs.indices { pairs[i].fold = i * 10 / count + 1 }
        return pairs
    }

    static func parseYTF(_ lines: [Line], file: String, csv: Bool) throws -> [FacePair] {
        var pairs: [FacePair] = []
        pairs.reserveCapacity(lines.count)
        let expected = csv ? "'split, pair, name1, name2, label' (YTF official layout)"
                           : "'split pair name1 name2 label' (YTF SeqFace layout)"
        for (index, line) in lines.enumerated() {
            let cells: [Substring] = csv ? csvCells(line.text) : line.fields
            if csv, index == 0, cells.first.map({ Int($0) == nil }) ?? false { continue }  // column header
            guard cells.count == 5, let split = Int(cells[0]), let number = Int(cells[1]),
                  !cells[2].isEmpty, !cells[3].isEmpty, let same = label(cells[4]) else {
                throw SeqError("expected \(expected) with label 0 or 1, found '\(SeqError.quotable(line.text))'",
                               file: file, line: line.number)
            }
            // Splits become cross-validation folds; YTF has ten. A zero, negative or huge split
            // is a damaged file rather than a protocol, so it is named instead of scored.
            guard (1...maxSplit).contains(split) else {
                throw SeqError("split number \(split) is outside 1…\(maxSplit)", file: file, line: line.number)
            }
            guard number >= 1 else {
                throw SeqError("pair number \(number) is not positive", file: file, line: line.number)
            }
            pairs.append(FacePair(first: try personKey(cells[2], file: file, line: line),
                                  second: try personKey(cells[3], file: file, line: line), same: same,
                                  fold: split, line: line.number))
        }
        return pairs
    }

    // MARK: - Fields

    static func csvCells(_ text: Substring) -> [Substring] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { cell in
            var c = cell[...]
            while let f = c.first, f == " " || f == "\t" { c = c.dropFirst() }
            while let l = c.last, l == " " || l == "\t" { c = c.dropLast() }
            return c
        }
    }

    static func label(_ s: Substring) -> Bool? {
        switch s {
        case "1": return true
        case "0": return false
        default: return nil
        }
    }

    /// LFW file names have four digits (`Name_0001.jpg`), so no image number can exceed this.
    static let maxImageNumber = 9999
    /// The most splits (folds) a YTF-layout file may use; the benchmark itself has ten.
    static let maxSplit = 1000

    static func imageNumber(_ s: Substring) -> Int? {
        guard let n = Int(s), (1...maxImageNumber).contains(n) else { return nil }
        return n
    }

    /// LFW's file name for image `n` of `name`: `Name/Name_0004.jpg`.
    static func lfwKey(_ name: Substring, _ n: Int) -> String {
        let digits = String(n)
        return "\(name)/\(name)_\(String(repeating: "0", count: max(0, 4 - digits.count)))\(digits).jpg"
    }

    /// A pair key that names its person: `Name/image` (LFW) or `Name/video` (YTF). A key
    /// without the person's folder could be scored but not traced to a person, so the
    /// leakage guard could not keep that person out of training: such a file is refused.
    static func personKey(_ s: Substring, file: String, line: Line) throws -> String {
        let key = normalizedKey(s)
        guard let slash = key.firstIndex(of: "/"), slash != key.startIndex, key.index(after: slash) != key.endIndex else {
            throw SeqError("pair key '\(s)' does not name its person (expected Name/image or Name/video)",
                           file: file, line: line.number)
        }
        return key
    }

    /// Keys are compared as written, except for a leading `./` and a trailing `/`.
    static func normalizedKey(_ s: Substring) -> String {
        var k = s
        while k.hasPrefix("./") { k = k.dropFirst(2) }
        while k.count > 1, k.hasSuffix("/") { k = k.dropLast() }
        return String(k)
    }
}
