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
    /// True when opened for reading only (`openForReading`): every write fails with "read-only".
    public var isReadOnly: Bool { db.readOnly }
    /// The schema version of the file as opened. A read-only catalog is not migrated, so it may
    /// be older than `currentSchemaVersion`; queries of newer columns check this.
    public private(set) var openedSchemaVersion = 0
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
        if FileManager.default.fileExists(atPath: url.path), !isWritable(url) {
            throw SeqError("the catalog is read-only (its file, its folder or the file system); this command writes to it", file: url.path)
        }
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

    /// Opens an existing catalog (for commands that add to one).
    /// - Throws: `SeqError` saying how to make one when there is no file at `url`.
    public static func openExisting(at url: URL) throws -> Catalog {
        try requireFile(url)
        return try open(at: url)
    }

    /// Opens an existing catalog read-write when its file and folder can be written, and for
    /// reading otherwise (`export`: it records itself in the catalog when it can).
    public static func openExistingPreferringWrite(at url: URL) throws -> Catalog {
        try requireFile(url)
        return isWritable(url) ? try open(at: url) : try openForReading(at: url)
    }

    /// Calls `observer` while this catalog waits for another process's write lock, with the
    /// seconds waited so far (0 when a wait begins). Commands use it to say why they stall.
    public func observeLockWaits(_ observer: @escaping @Sendable (TimeInterval) -> Void) {
        lock.lock(); defer { lock.unlock() }
        db.lockWaitObserver = observer
    }

    /// True when the catalog file and its folder can be written (the folder holds the -wal and
    /// -shm files of WAL mode). False on a read-only file system, whoever asks.
    public static func isWritable(_ url: URL) -> Bool {
        let url = url.standardizedFileURL
        return access(url.path, W_OK) == 0 && access(url.deletingLastPathComponent().path, W_OK) == 0
    }

    private static func requireFile(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("no catalog here; create one with `seqcurate ingest` or `seqcurate import-identities`, or pass --catalog", file: url.path)
        }
    }

    /// Opens an existing catalog for reading only (stats, tracks, report, the reading side of
    /// export): nothing is created, migrated or written, and no journal mode is set, so a
    /// catalog on a read-only file system, or a file or folder the user cannot write, can be
    /// read (SQLITE_OPEN_READONLY). A catalog of an older schema is read as it is.
    ///
    /// SQLite needs the -shm file beside a WAL database; where it is missing and cannot be
    /// created (a read-only folder), the file is opened as immutable, which needs no -shm and no
    /// locks. That fallback is refused when a non-empty -wal file holds changes it would not see.
    public static func openForReading(at url: URL) throws -> Catalog {
        let url = url.standardizedFileURL
        try requireFile(url)
        // Where the file and folder can be written, a query-only connection reads as well and
        // tidies its -wal/-shm files away on close (a SQLITE_OPEN_READONLY one leaves them).
        if isWritable(url) {
            let catalog = Catalog(url: url, connection: try SQLiteConnection(path: url.path, queryOnly: true))
            try catalog.checkReadableSchema()
            return catalog
        }
        var connection = try SQLiteConnection(path: url.path, readOnly: true)
        let probe = sqlite3_exec(connection.handle, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        if probe != SQLITE_OK {
            let primary = probe & 0xff
            guard primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_BUSY else {
                throw SeqError("cannot read the catalog: \(SQLiteConnection.plainReason(probe))", file: url.path)
            }
            connection.close()
            let wal = url.path + "-wal"
            if let size = (try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int, size > 0 {
                throw SeqError("the catalog cannot be read here: its write-ahead log \(wal) holds changes, and the folder is read-only; "
                               + "open it once with seqcurate where the folder is writable (that folds the log into the file)", file: url.path)
            }
            connection = try SQLiteConnection(path: url.path, immutable: true)
        }
        let catalog = Catalog(url: url, connection: connection)
        try catalog.checkReadableSchema()
        return catalog
    }

    /// Opens `path` for reading only (see `openForReading(at:)`).
    public static func openForReading(path: String) throws -> Catalog {
        try openForReading(at: URL(fileURLWithPath: path))
    }

    /// Opens (and creates) the catalog at `path`.
    public static func open(path: String) throws -> Catalog {
        try open(at: URL(fileURLWithPath: path))
    }

    private func configure() throws {
        // journal_mode returns a row; it also needs the write lock the first time.
        let mode: String? = try db.statement("PRAGMA journal_mode = WAL").first { try $0["journal_mode"] }
        guard mode?.lowercased() == "wal" else {
            throw SeqError("the catalog cannot use write-ahead logging (journal mode \(mode ?? "?")); is it on a network file system?", file: url.path)
        }
        try db.execute("PRAGMA foreign_keys = ON")
        // In WAL mode NORMAL is still crash-safe for the database (a power loss may drop the
        // last commits, never corrupt); commits are much cheaper than with FULL.
        try db.execute("PRAGMA synchronous = NORMAL")
    }

    /// A read-only catalog is not migrated: refuse what cannot be read instead.
    private func checkReadableSchema() throws {
        let version = try schemaVersion()
        if version > Self.currentSchemaVersion {
            throw SeqError("the catalog has schema version \(version), newer than this seqcurate understands (\(Self.currentSchemaVersion)); update seqcurate", file: url.path)
        }
        if version == 0 {
            throw SeqError("not a seqcurate catalog (no schema version)", file: url.path)
        }
        openedSchemaVersion = version
    }

    /// The schema version stored in the file (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try withLock { try db.statement("PRAGMA user_version").first { try $0["user_version"] } ?? 0 }
    }

    private func migrate() throws {
        if try schemaVersion() == Self.currentSchemaVersion {
            openedSchemaVersion = Self.currentSchemaVersion
            return
        }
        // Some migrations rebuild a table that others refer to (SQLite cannot alter a CHECK in
        // place). With foreign keys on, dropping the old table would set those references to
        // NULL; the pragma has no effect inside a transaction, so it is set around it, and the
        // references are checked before the commit instead.
        try db.execute("PRAGMA foreign_keys = OFF")
        defer { try? db.execute("PRAGMA foreign_keys = ON") }
        try transaction {
            // Read again under the write lock: another process may have migrated meanwhile.
            let version = try schemaVersion()
            if version > Self.currentSchemaVersion {
                throw SeqError("the catalog has schema version \(version), newer than this seqcurate understands (\(Self.currentSchemaVersion)); update seqcurate", file: url.path)
            }
            if version == 0 {
                let tables: Int = try db.statement("SELECT count(*) AS tables FROM sqlite_master WHERE type = 'table'").first { try $0["tables"] } ?? 0
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
            if try db.statement("PRAGMA foreign_key_check").first({ _ in true }) != nil {
                throw SeqError("migration left references that point nowhere; the catalog was not changed", file: url.path)
            }
        }
        openedSchemaVersion = Self.currentSchemaVersion
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
    func query<T>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteRow) throws -> T) throws -> [T] {
        try withLock {
            let stmt = try db.statement(sql)
            stmt.bindAll(values)
            return try stmt.rows(row)
        }
    }

    /// Runs a query and maps its first row.
    func queryFirst<T>(_ sql: String, _ values: [SQLiteValue] = [], _ row: (SQLiteRow) throws -> T) throws -> T? {
        try withLock {
            let stmt = try db.statement(sql)
            stmt.bindAll(values)
            return try stmt.first(row)
        }
    }

    /// A single integer result (count(*), …); 0 when there is no row or it is NULL. The
    /// query must return one column.
    func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int {
        try queryFirst(sql, values) { try $0.single() } ?? 0
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
