import Foundation

extension Catalog {
    static let ingestRunColumns = "id, command, detector, weights_sha256, parameters_json, seqcurate_version, started_at, ended_at, status"

    static func ingestRun(_ s: SQLiteStatement) -> IngestRunRecord {
        IngestRunRecord(id: s.int64(0), command: s.text(1), detector: s.text(2), weightsSHA256: s.optionalText(3),
                        parametersJSON: s.text(4), seqcurateVersion: s.text(5), startedAt: s.text(6), endedAt: s.optionalText(7),
                        status: IngestRunRecord.Status(rawValue: s.text(8)) ?? .failed)
    }

    /// Records the start of an ingest or import run; returns its id.
    public func beginIngestRun(_ run: IngestRunRecord) throws -> Int64 {
        try insert("""
            INSERT INTO ingest_runs (command, detector, weights_sha256, parameters_json, seqcurate_version, started_at, ended_at, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(run.command), .text(run.detector), .string(run.weightsSHA256), .text(run.parametersJSON),
                  .text(run.seqcurateVersion), .text(run.startedAt), .string(run.endedAt), .text(run.status.rawValue)])
    }

    /// Records the end of a run.
    public func finishIngestRun(id: Int64, status: IngestRunRecord.Status, endedAt: String = CatalogTime.now()) throws {
        try run("UPDATE ingest_runs SET ended_at = ?, status = ? WHERE id = ?", [.text(endedAt), .text(status.rawValue), .integer(id)])
    }

    /// All runs, oldest first.
    public func ingestRuns() throws -> [IngestRunRecord] {
        try query("SELECT \(Self.ingestRunColumns) FROM ingest_runs ORDER BY id", [], Self.ingestRun)
    }
}
