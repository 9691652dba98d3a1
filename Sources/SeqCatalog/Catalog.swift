import CSQLite
import Foundation
import SeqCore

/// The seqcurate catalog: one SQLite file, or one PostgreSQL database, holding videos,
/// tracks, faces, sequences, identities, exclusions, ingest runs and exports.
///
/// Open one `Catalog` per process (or per thread that writes a lot); several processes may
/// write the same file at once (WAL, busy timeout and retry). A `Catalog` may also be shared
/// between threads: every call holds its lock, and a `transaction` holds it throughout.
public final class Catalog: @unchecked Sendable {
    /// The catalog file, or the `postgresql://` URL of a PostgreSQL catalog.
    public let url: URL
    /// The folder crop paths in the catalog are relative to: the one that holds a SQLite
    /// catalog, so the catalog and its crops move together; for a PostgreSQL catalog the crops
    /// folder given when opening it (`--crops`, `SEQCURATE_CROPS`, else the current folder).
    public let folder: URL
    /// True for a PostgreSQL catalog.
    public var isPostgres: Bool { db is PostgresConnection }
    /// The catalog for messages: its file path, or its server URL without a password.
    public var locationDescription: String { db.location }
    /// The schema version this build of seqcurate writes.
    public static var currentSchemaVersion: Int { CatalogSchemaSQL.migrations.count }
    /// The default catalog of the command line tools: `SEQCURATE_CATALOG` when set (a path or
    /// a `postgresql://` URL), else seqcurate.db in the current folder.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["SEQCURATE_CATALOG"].flatMap { $0.isEmpty ? nil : $0 } ?? "seqcurate.db"
    }

    let db: any CatalogConnection
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

    private init(url: URL, connection: any CatalogConnection, folder: URL? = nil) {
        self.url = url
        self.db = connection
        self.folder = folder ?? url.deletingLastPathComponent()
    }

    /// Opens the catalog at `location` (a file path or a `postgresql://` URL), creating and
    /// migrating it as `open(at:)` does. `crops` is the crops folder of a PostgreSQL catalog.
    public static func open(location: String, crops: String? = nil) throws -> Catalog {
        switch CatalogLocation(location) {
        case .sqlite(let url): return try open(at: url)
        case .postgres(let url): return try openPostgres(url, crops: crops, mode: .create)
        }
    }

    /// Opens an existing catalog at `location` (see `openExisting(at:)`).
    public static func openExisting(location: String, crops: String? = nil) throws -> Catalog {
        switch CatalogLocation(location) {
        case .sqlite(let url): return try openExisting(at: url)
        case .postgres(let url): return try openPostgres(url, crops: crops, mode: .existing)
        }
    }

    /// Opens an existing catalog at `location` for writing where it can (see
    /// `openExistingPreferringWrite(at:)`); a PostgreSQL catalog is opened read-write.
    public static func openExistingPreferringWrite(location: String, crops: String? = nil) throws -> Catalog {
        switch CatalogLocation(location) {
        case .sqlite(let url): return try openExistingPreferringWrite(at: url)
        case .postgres(let url): return try openPostgres(url, crops: crops, mode: .existing)
        }
    }

    /// Opens an existing catalog at `location` for reading only (see `openForReading(at:)`).
    public static func openForReading(location: String, crops: String? = nil) throws -> Catalog {
        switch CatalogLocation(location) {
        case .sqlite(let url): return try openForReading(at: url)
        case .postgres(let url): return try openPostgres(url, crops: crops, mode: .reading)
        }
    }

    private enum PostgresOpenMode { case create, existing, reading }

    /// The crops folder of a PostgreSQL catalog: `crops`, else `SEQCURATE_CROPS`, else the
    /// current folder.
    static func postgresCropsFolder(_ crops: String?) -> URL {
        let env = ProcessInfo.processInfo.environment["SEQCURATE_CROPS"].flatMap { $0.isEmpty ? nil : $0 }
        let path = crops ?? env ?? FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    private static func openPostgres(_ urlText: String, crops: String?, mode: PostgresOpenMode) throws -> Catalog {
        let connection = try PostgresConnection(url: urlText, readOnly: mode == .reading)
        guard let url = URL(string: urlText) else {
            throw SeqError("not a valid postgresql:// URL", file: connection.location)
        }
        let catalog = Catalog(url: url, connection: connection, folder: postgresCropsFolder(crops))
        switch mode {
        case .create:
            try catalog.migratePostgres()
        case .existing:
            if try catalog.schemaVersion() == 0 {
                throw SeqError("no catalog in this database; create one with `seqcurate ingest` or `seqcurate import-identities`", file: connection.location)
            }
            try catalog.migratePostgres()
        case .reading:
            try catalog.checkReadableSchema()
        }
        return catalog
    }

    /// Opens the catalog at `url`, creating the file and its folder when needed and
    /// migrating the schema to `currentSchemaVersion`.
    ///
    /// - Throws: `SeqError` when the file cannot be opened, is not a catalog, or was written
    ///   by a newer seqcurate.
    public static func open(at url: URL) throws -> Catalog {
        if !url.isFileURL { return try open(location: url.absoluteString) }
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
        if !url.isFileURL { return try openExisting(location: url.absoluteString) }
        try requireFile(url)
        return try open(at: url)
    }

    /// Opens an existing catalog read-write when its file and folder can be written, and for
    /// reading otherwise (`export`: it records itself in the catalog when it can).
    public static func openExistingPreferringWrite(at url: URL) throws -> Catalog {
        if !url.isFileURL { return try openExistingPreferringWrite(location: url.absoluteString) }
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
        if !url.isFileURL { return try openForReading(location: url.absoluteString) }
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
        let sqlitePath = url.path
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
            connection = try SQLiteConnection(path: sqlitePath, immutable: true)
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
            throw SeqError("the catalog has schema version \(version), newer than this seqcurate understands (\(Self.currentSchemaVersion)); update seqcurate", file: db.location)
        }
        if version == 0 {
            throw SeqError("not a seqcurate catalog (no schema version)", file: db.location)
        }
        openedSchemaVersion = version
    }

    /// The schema version stored in the file (`PRAGMA user_version`), or in the database's
    /// `seqcurate_schema` table; 0 for a new, empty one.
    public func schemaVersion() throws -> Int {
        try withLock {
            if isPostgres {
                let present: Bool = try db.statement("SELECT to_regclass('seqcurate_schema') IS NOT NULL AS present").first { try $0["present"] } ?? false
                guard present else { return 0 }
                return try db.statement("SELECT max(version) AS version FROM seqcurate_schema").first { try $0["version"] } ?? 0
            }
            return try db.statement("PRAGMA user_version").first { try $0["user_version"] } ?? 0
        }
    }

    /// Brings a PostgreSQL catalog to `currentSchemaVersion` with the PostgreSQL migrations
    /// (`schemas/catalog-postgres`), in one transaction under the write lock: DDL is
    /// transactional there, so a failed migration leaves the database as it was.
    private func migratePostgres() throws {
        if try schemaVersion() == Self.currentSchemaVersion {
            openedSchemaVersion = Self.currentSchemaVersion
            return
        }
        try transaction {
            let version = try schemaVersion()
            if version > Self.currentSchemaVersion {
                throw SeqError("the catalog has schema version \(version), newer than this seqcurate understands (\(Self.currentSchemaVersion)); update seqcurate", file: db.location)
            }
            if version == 0 {
                let tables: Int = try db.statement("SELECT count(*) AS tables FROM information_schema.tables WHERE table_schema = current_schema()")
                    .first { try $0["tables"] } ?? 0
                if tables > 0 {
                    throw SeqError("not a seqcurate catalog (the database has tables but no schema version)", file: db.location)
                }
                try db.execute("CREATE TABLE seqcurate_schema (version INTEGER NOT NULL)")
            }
            for migration in CatalogPostgresSchemaSQL.migrations where migration.version > version {
                do {
                    try db.execute(migration.sql)
                } catch let error as SeqError {
                    throw SeqError("migration \(migration.fileName) failed: \(error.reason)", file: db.location)
                }
                try db.execute("DELETE FROM seqcurate_schema; INSERT INTO seqcurate_schema (version) VALUES (\(migration.version))")
            }
        }
        openedSchemaVersion = Self.currentSchemaVersion
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
