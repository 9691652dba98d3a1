import Foundation
import SeqCore

/// The metrics of one training run, read from `<run>/metrics.jsonl` (one JSON object per
/// line, e.g. `{"iter":10,"lsro":2.3,"dsa":0.4,"lr":0.01,"images_per_s":55}`).
///
/// Every numeric member becomes a series over the iteration (`iter`, else `iteration`,
/// `step` or `epoch`, else the line number). Lines that are not JSON objects are counted and
/// skipped, so a log cut short by a crash still plots. Scalar members of other `*.json`
/// files in the folder (a run's configuration) are listed as settings.
public struct TrainingRunLog: Sendable {
    public var name: String
    public var folder: URL
    /// The member used as x, or `line` when no line has one.
    public var xKey: String
    /// Series by member name, in the order of the points.
    public var series: [String: [LineChart.Point]]
    public var lineCount: Int
    public var badLines: Int
    /// (file, key, value) of scalar members of the folder's other JSON files.
    public var settings: [(file: String, key: String, value: String)]
    /// Why nothing could be plotted, if so.
    public var problem: String?

    /// seqcurate's own x key (`TrainingMetricsRecord`), then other tools' names.
    static let xCandidates = [TrainingMetricsRecord.CodingKeys.iter.stringValue, "iteration", "step", "epoch"]

    /// Reads a run folder; never throws, problems are recorded in `problem`.
    public static func load(from folder: URL) -> TrainingRunLog {
        var log = TrainingRunLog(name: folder.standardizedFileURL.lastPathComponent, folder: folder, xKey: "line", series: [:],
                                 lineCount: 0, badLines: 0, settings: [], problem: nil)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            log.problem = "not a folder: \(folder.path)"
            return log
        }
        let metrics = folder.appendingPathComponent(TrainingMetricsRecord.fileName)
        if let data = FileManager.default.contents(atPath: metrics.path) {
            log.parseMetrics(data)
            if log.series.isEmpty { log.problem = "metrics.jsonl has no numeric values" }
        } else {
            log.problem = "no metrics.jsonl in \(folder.path)"
        }
        log.settings = Self.settings(in: folder)
        return log
    }

    private mutating func parseMetrics(_ data: Data) {
        var rows: [[(String, Double)]] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            let trimmed = line.filter { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            if trimmed.isEmpty { continue }
            lineCount += 1
            guard let json = JSONValue.parseForReport(Data(line)), json.isObject else { badLines += 1; continue }
            rows.append(json.sortedMembers.compactMap { m in m.value.number.map { (m.key, $0) } })
        }
        xKey = Self.xCandidates.first { key in rows.contains { $0.contains { $0.0 == key } } } ?? "line"
        for (i, row) in rows.enumerated() {
            let x = xKey == "line" ? Double(i + 1) : row.first { $0.0 == xKey }?.1
            guard let x else { continue }
            for (k, v) in row where k != xKey { series[k, default: []].append(LineChart.Point(x: x, y: v)) }
        }
    }

    /// Names of loss terms that carry no `loss` in their name: seqcurate's trainer's
    /// (`TrainingMetricsRecord.lossKeys`: `lsro`, `dsa`) and other tools'.
    static let lossTerms: Set<String> = Set(TrainingMetricsRecord.lossKeys.map(\.stringValue))
        .union(["softmax", "center", "total", "margin", "arcface", "cosface"])

    /// Loss terms (members whose name contains `loss`, and the known terms), by name.
    public var lossKeys: [String] {
        series.keys.filter { $0.lowercased().contains("loss") || Self.lossTerms.contains($0.lowercased()) }.sorted()
    }

    /// Learning-rate members (`lr`, `learning_rate`, `lr_…`).
    public var learningRateKeys: [String] {
        let lr = TrainingMetricsRecord.CodingKeys.lr.stringValue
        return series.keys.filter { $0 == lr || $0 == "learning_rate" || $0.hasPrefix("lr_") }.sorted()
    }

    /// Every other numeric member (throughput, accuracy, …).
    public var otherKeys: [String] {
        let shown = Set(lossKeys + learningRateKeys)
        return series.keys.filter { !shown.contains($0) }.sorted()
    }

    private static func settings(in folder: URL) -> [(file: String, key: String, value: String)] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var out: [(file: String, key: String, value: String)] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(f).path), data.count < 1_000_000,
                  let json = JSONValue.parseForReport(data) else { continue }
            for m in json.sortedMembers {
                switch m.value {
                case .array, .object: continue
                default: out.append((f, m.key, m.value.display))
                }
            }
        }
        return out
    }
}
