import Foundation

extension IngestRunRecord {
    /// True for a `running` run of this host whose process no longer exists: it was killed, and
    /// the next ingest or import will mark it `interrupted`.
    public var isAbandoned: Bool {
        guard status == .running, let pid, host == Catalog.hostName else { return false }
        return !Catalog.processExists(pid)
    }
}

extension Catalog {
    static let ingestRunColumnsV1 = "id, command, detector, weights_sha256, parameters_json, seqcurate_version, started_at, ended_at, status"
    static let ingestRunColumns = ingestRunColumnsV1 + ", pid, host"

    /// `pid` and `host` are read when the query has them (`ingestRunColumns`, not `…V1`).
    static func ingestRun(_ r: SQLiteRow) throws -> IngestRunRecord {
        try IngestRunRecord(id: r["id"], command: r["command"], detector: r["detector"], weightsSHA256: r["weights_sha256"],
                            parametersJSON: r["parameters_json"], seqcurateVersion: r["seqcurate_version"], startedAt: r["started_at"],
                            endedAt: r["ended_at"], status: IngestRunRecord.Status(rawValue: r["status"]) ?? .failed,
                            pid: r.has("pid") ? (r["pid"] as Int?).map(Int32.init) : nil,
                            host: r.has("host") ? r["host"] : nil)
    }

    /// This machine's name, recorded with each run: a pid means something only on its host.
    public static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(cString: buffer)
    }

    /// Records the start of an ingest or import run, with this process's pid and host; returns
    /// its id. Runs of this host whose process is gone are marked `interrupted` first.
    public func beginIngestRun(_ run: IngestRunRecord) throws -> Int64 {
        try transaction {
            try markAbandonedRuns()
            return try insert("""
                INSERT INTO ingest_runs (command, detector, weights_sha256, parameters_json, seqcurate_version, started_at, ended_at, status, pid, host)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(run.command), .text(run.detector), .string(run.weightsSHA256), .text(run.parametersJSON),
                      .text(run.seqcurateVersion), .text(run.startedAt), .string(run.endedAt), .text(run.status.rawValue),
                      .int(Int(run.pid ?? getpid())), .text(run.host ?? Self.hostName)])
        }
    }

    /// Marks `interrupted` every `running` run of this host whose process no longer exists (it
    /// was killed, or crashed); returns their ids. Runs of other hosts, and runs recorded
    /// before their pid was, are left alone: nothing here can tell whether they are still going.
    @discardableResult
    public func markAbandonedRuns(endedAt: String = CatalogTime.now()) throws -> [Int64] {
        try transaction {
            let host = Self.hostName
            let running = try query("SELECT id, pid FROM ingest_runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL",
                                    [.text(host)]) { (try $0["id"] as Int64, Int32(truncatingIfNeeded: try $0["pid"] as Int64)) }
            let gone = running.filter { !Self.processExists($0.1) }.map(\.0)
            for id in gone {
                try run("UPDATE ingest_runs SET status = 'interrupted', ended_at = ? WHERE id = ? AND status = 'running'",
                        [.text(endedAt), .integer(id)])
            }
            return gone
        }
    }

    /// True when a process with this id exists (EPERM: it exists but belongs to someone else).
    static func processExists(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Marks a run `interrupted` unless it has already ended (a signal that arrives after the
    /// run finished must not rewrite its outcome).
    public func markRunInterrupted(id: Int64, endedAt: String = CatalogTime.now()) throws {
        try run("UPDATE ingest_runs SET ended_at = ?, status = 'interrupted' WHERE id = ? AND status = 'running'",
                [.text(endedAt), .integer(id)])
    }

    /// Records the end of a run.
    public func finishIngestRun(id: Int64, status: IngestRunRecord.Status, endedAt: String = CatalogTime.now()) throws {
        try run("UPDATE ingest_runs SET ended_at = ?, status = ? WHERE id = ?", [.text(endedAt), .text(status.rawValue), .integer(id)])
    }

    /// All runs, oldest first.
    public func ingestRuns() throws -> [IngestRunRecord] {
        // A catalog opened for reading is not migrated: version 1 has no pid and host.
        let columns = openedSchemaVersion >= 2 ? Self.ingestRunColumns : Self.ingestRunColumnsV1
        return try query("SELECT \(columns) FROM ingest_runs ORDER BY id", [], Self.ingestRun)
    }
}
