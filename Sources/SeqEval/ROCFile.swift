import Foundation
import SeqCore

/// A ROC curve read from a text file to draw beside an evaluation's own (`eval --compare-roc`):
/// SeqFace's published `data/LFW/roc_27.txt` and the like, or another evaluation's `roc.txt`.
///
/// The format is what SeqFace's evaluate.py writes (and `ROCCurve.text`): one line per pair
/// in order of ascending threshold, `"%.6f %.6f\n" % (tpr, fpr)` — true accept rate, one
/// space, false accept rate, each a plain decimal in 0…1. A CR before the newline and a
/// missing final newline are accepted; anything else is an error naming the file and line.
public typealias ComparedROC = EvaluationResults.ComparedROC

/// Reading, measuring and naming compared curves. The curve itself is the `results.json`
/// contract type, so what is read here is what the report draws.
extension EvaluationResults.ComparedROC {
    /// The largest file read.
    public static let maxFileBytes = 64 << 20

    /// `label=path` or `path`; without a label the file's name less its extension (`roc_27`).
    /// Text before the first `=` is a label only when it holds no `/`, so a path with `=`
    /// in a folder name still reads as a path.
    public static func parseArgument(_ text: String) -> (label: String, path: String) {
        if let eq = text.firstIndex(of: "="), eq != text.startIndex, !text[..<eq].contains("/") {
            return (String(text[..<eq]), String(text[text.index(after: eq)...]))
        }
        return (URL(fileURLWithPath: text).deletingPathExtension().lastPathComponent, text)
    }

    /// Reads a curve from `url`.
    public static func read(_ url: URL, label: String) throws -> ComparedROC {
        let path = url.path
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.int64Value > Int64(maxFileBytes) {
            throw SeqError("the ROC file is \(size.int64Value) bytes, more than the \(maxFileBytes) this reader accepts", file: path)
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SeqError("cannot read ROC file", file: path)
        }
        return try parse(data, label: label, file: path)
    }

    /// Parses the bytes of a ROC file; `file` names it in errors.
    public static func parse(_ data: Data, label: String, file: String) throws -> ComparedROC {
        guard data.count <= maxFileBytes else {
            throw SeqError("the ROC file is \(data.count) bytes, more than the \(maxFileBytes) this reader accepts", file: file)
        }
        var tpr: [Double] = [], fpr: [Double] = []
        tpr.reserveCapacity(data.count / 18)
        fpr.reserveCapacity(data.count / 18)
        let bytes = [UInt8](data)
        var start = 0
        var line = 0
        while start < bytes.count {
            line += 1
            var end = start
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var e = end
            if e > start, bytes[e - 1] == 0x0D { e -= 1 }
            let fields = bytes[start..<e].split(separator: 0x20, omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                let what = e == start ? "an empty line" : "\(fields.count) space-separated fields"
                throw SeqError("\(what) where `tpr fpr` (two numbers, one space) was expected", file: file, line: line)
            }
            tpr.append(try rate(fields[0], name: "true accept rate", file: file, line: line))
            fpr.append(try rate(fields[1], name: "false accept rate", file: file, line: line))
            start = end + 1
        }
        guard !tpr.isEmpty else { throw SeqError("empty ROC file; expected `tpr fpr` lines", file: file) }
        return ComparedROC(label: label, file: file, sha256: SHA256.hex(data), tpr: tpr, fpr: fpr)
    }

    /// A plain decimal (digits, one optional point) in 0…1.
    private static func rate(_ field: ArraySlice<UInt8>, name: String, file: String, line: Int) throws -> Double {
        let text = String(decoding: field, as: UTF8.self)
        let digits = field.filter { $0 != UInt8(ascii: ".") }
        guard !digits.isEmpty, digits.count >= field.count - 1, digits.allSatisfy({ (0x30...0x39).contains($0) }),
              let v = Double(text), v >= 0, v <= 1 else {
            throw SeqError("\(name) '\(PrintableName.escaped(String(text.prefix(40))))' is not a decimal between 0 and 1", file: file, line: line)
        }
        return v
    }

    /// The points ordered by false accept rate, then true accept rate (strictest threshold first).
    public var pointsByFPR: [(fpr: Double, tpr: Double)] {
        zip(fpr, tpr).map { ($0, $1) }.sorted { ($0.fpr, $0.tpr) < ($1.fpr, $1.tpr) }
    }

    /// Area under the curve through (0, 0), the points, and (1, 1).
    public var auc: Double {
        let path = [(fpr: 0.0, tpr: 0.0)] + pointsByFPR + [(fpr: 1.0, tpr: 1.0)]
        var area = 0.0
        for (a, b) in zip(path, path.dropFirst()) { area += (b.fpr - a.fpr) * (a.tpr + b.tpr) / 2 }
        return area
    }

    /// SeqFace's best-threshold accuracy read off the curve, for a protocol of `positives`
    /// same and `negatives` different pairs: the most `(tpr·P + (1 − fpr)·N) / (P + N)` over the
    /// points, each count rounded to a whole pair. evaluate.py writes one point per pair, so on
    /// its own protocol this is the figure it printed (data/LFW/roc_27.txt gives 0.998).
    public func bestAccuracy(positives: Int, negatives: Int) -> Double? {
        guard positives + negatives > 0 else { return nil }
        let p = Double(positives), n = Double(negatives)
        let correct = zip(tpr, fpr).map { (t, f) in (t * p).rounded() + ((1 - f) * n).rounded() }.max() ?? 0
        return correct / (p + n)
    }
}
