import CSQLite
import Foundation
import SeqCore

/// The seqcurate catalog: one SQLite file holding videos, tracks, faces, sequences,
/// identities, exclusions, ingest runs and exports.
///
/// Open one `Catalog` per process (or per thread that writes a lot); several processes may
/// write the same file at once (WAL, busy timeout and retry). A `Catalog` may also be shared
/// between threads: every call holds its lock, and a `transaction` holds it throughout.
public final class Catalog: @unchecked Sendable {
    /// The catalog file.
    public let url: URL
    /// The folder that holds the catalog; crop paths in the catalog are relative to it.
    public var folder: URL { url.deletingLastPathComponent() }
    /// The schema version this build of seqcurate writes.
    public static var currentSchemaVersion: Int { CatalogSchemaSQL.migrations.count }
    /// The default catalog path of the command line tools.
    public static let defaultPath = "seqcurate.db"

    let db: SQLiteConnection
    private let lock = NSRecursiveLock()
    private var transactionDepth = 0
    /// Video-level exclusions of videos deleted for re-ingest, by content hash, waiting for
    /// the new row of the same content (see `deleteVideo`).
    var carriedVideoExclusions: [String: [ExclusionRecord]] = [:]

    private init(url: URL, connection: SQLiteConnection) {
        self.url = url
        self.db = connection
    }

    /// Opens the catalog at `url`, creating the file and its folder when needed and
    /// migrating the schema to `currentSchemaVersion`.
    ///
    /// - Throws: `SeqError` when the file cannot be opened, is not a catalog, or was written
    ///   by a newer seqcurate.
    public static func open(at url: URL) throws -> Catalog {
        let url = url.standardizedFileURL
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create the catalog folder: \(error.localizedDescription)", file: folder.path)
        }
        let connection = try SQLiteConnection(path: url.path)
        let catalog = Catalog(url: url, connection: connection)
        try catalog.configure()
        try catalog.migrate()
        return catalog
    }

    /// Opens an existing catalog (for commands that only read or add to one).
    /// - Throws: `SeqError` saying how to make one when there is no file at `url`.
    public static func openExisting(at url: URL) throws -> Catalog {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("no catalog here; create one with `seqcurate ingest` or `seqcurate import-identities`, or pass --catalog", file: url.path)
        }
        return try open(at: url)
    }

    /// Opens (and creates) the catalog at `path`.
    public static func open(path: String) throws -> Catalog {
        try open(at: URL(fileURLWithPath: path))
    }

    private func configure() throws {
        // journal_mode returns a row; it also needs the write lock the first time.
        let mode = try db.statement("PRAGMA journal_mode = WAL").first { $0.text(0) }
        guard mode?.lowercased() == "wal" else {
            throw SeqError("the catalog cannot use write-ahead logging (journal mode \(mode ?? "?")); is it on a network file system?", file: url.path)
        }
        try db.execute("PRAGMA foreign_keys = ON")
        // In WAL mode NORMAL is still crash-safe for the database (a power loss may drop the
        // last commits, never corrupt); commits are much cheaper than with FULL.
        try db.execute("PRAGMA synchronous = NORMAL")
    }

    /// The schema version stored in the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try withLock { try db.statement("PRAGMA user_version").first { $0.int(0) } ?? 0 }
    }

    private func migrate() throws {
        if try schemaVersion() == Self.currentSchemaVersion { return }
        try transaction {
            // Read again under the write lock: another process may have migrated meanwhile.
            let version = try schemaVersion()
            if version > Self.currentSchemaVersion {
                throw SeqError("the catalog has schema version \(version), newer than this seqcurate understands (\(Self.currentSchemaVersion)); update seqcurate", file: url.path)
            }
            if version == 0 {
                let tables = try db.statement("SELECT count(*) FROM sqlite_master WHERE type = 'table'").first { $0.int(0) } ?? 0
                if tables > 0 {
                    throw SeqError("not a seqcurate catalog (the file has tables but no schema version)", file: url.path)
                }
            }
            for migration in CatalogSchemaSQL.migrations where migration.version > version {
                do {
                    try db.execute(migration.sql)
                } catch let error as SeqError {
                    throw SeqError("migration \(migration.fileName) failed: \(error.reason)", file: url.path)
                }
                try db.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }

    // MARK: transactions and locking

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` in one transaction: everything it wrote is committed together, or, if it
    /// throws, nothing is. The write lock is taken at the start (`BEGIN IMMEDIATE`), so two
    /// writers queue instead of failing. Nested calls become savepoints.
    @discardableResult
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let depth = transactionDepth
        let savepoint = "seqcurate_\(depth)"
        try db.execute(depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
        transactionDepth += 1
        let result: T
        do {
            result = try body()
        } catch {
            transactionDepth -= 1
            if depth == 0 {
                try? db.execute("ROLLBACK")
                // The rollback restored the rows these were taken from.
                carriedVideoExclusions.removeAll()
            } else {
                try? db.execute("ROLLBACK TO \(savepoint)")
                try? db.execute("RELEASE \(savepoint)")
            }
            throw error
        }
        transactionDepth -= 1
        do {
            try db.execute(depth == 0 ? "COMMIT" : "RELEASE \(savepoint)")
        } catch {
            if depth == 0, !db.isAutocommit { try? db.execute("ROLLBACK") }
            throw error
        }
        return result
    }

    /// Runs a statement with `values` bound, in its own implicit transaction unless inside one.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
        try withLock {
            let stmt = try db.statement(sql)
            stmt.bindAll(values)
            try stmt.run()
        }
    }

    /// Runs an INSERT and returns the new row id.
    func insert(_ sql: String, _ values: [SQLiteValue]) throws -> Int64 {
        try withLock {
            let stmt = try db.statement(sql)
            stmt.bindAll(values)
            try stmt.run()
            return db.lastInsertRowID
        }
    }

    /// Runs a query and maps every row.
    func query<T>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteStatement) throws -> T) throws -> [T] {
        try withLock {
            let stmt = try db.statement(sql)
            stmt.bindAll(values)
            return try stmt.rows(row)
        }
    }

    /// Runs a query and maps its first row.
    func queryFirst<T>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteStatement) throws -> T) throws -> T? {
        try withLock {
            let stmt = try db.statement(sql)
            stmt.bindAll(values)
            return try stmt.first(row)
        }
    }

    /// A single integer result (count(*), …); 0 when there is no row or it is NULL.
    func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int {
        try queryFirst(sql, values) { $0.int(0) } ?? 0
    }

    /// Closes the connection; the catalog must not be used afterwards.
    public func close() {
        withLock { db.close() }
    }
}

/// Timestamps stored in the catalog: ISO 8601 UTC with milliseconds.
public enum CatalogTime {
    /// The current time as stored in the catalog.
    public static func now() -> String { string(from: Date()) }

    public static func string(from date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
