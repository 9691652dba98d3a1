import CSQLite
import Foundation
import SeqCore

/// One SQLite connection with a statement cache, a busy timeout, and retry on `SQLITE_BUSY`.
///
/// Not thread-safe by itself; `Catalog` serialises all use behind its lock.
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?
    private var cache: [String: SQLiteStatement] = [:]
    /// How long a statement keeps retrying on `SQLITE_BUSY` beyond SQLite's own busy wait.
    static let busyRetrySeconds: Double = 120
    /// How long SQLite's busy handler waits inside one call before reporting SQLITE_BUSY.
    static let busyHandlerSeconds: Double = 10

    /// Called while this connection waits for another process's lock, with the seconds waited
    /// so far in this wait (0 on its first call). Lets a command tell the user why it stalls,
    /// and lets a test wait for the moment a writer is blocked instead of sleeping.
    var lockWaitObserver: ((TimeInterval) -> Void)?
    /// When the current wait for a lock began, or nil when not waiting.
    private var lockWaitStart: Date?

    /// True when opened with SQLITE_OPEN_READONLY: nothing can be written, and no journal
    /// mode is set (the file is already in WAL mode from its creation).
    let readOnly: Bool

    /// Opens `path` read-write (creating it), or read-only. `immutable` opens a read-only
    /// file as unchangeable (`immutable=1`): SQLite then needs no -wal/-shm files and takes no
    /// locks, which is what a catalog on a read-only file system or in a folder the user
    /// cannot write needs, and is safe only there (nobody else can write it either).
    ///
    /// `queryOnly` opens a file that could be written read-write but refuses every write
    /// (`PRAGMA query_only`): unlike SQLITE_OPEN_READONLY, the last connection to close still
    /// folds the WAL back and removes the -wal and -shm files, so reading leaves no litter.
    init(path: String, readOnly: Bool = false, immutable: Bool = false, queryOnly: Bool = false) throws {
        self.path = path
        self.readOnly = readOnly || immutable || queryOnly
        var db: OpaquePointer?
        let openFlags = readOnly || immutable ? SQLITE_OPEN_READONLY : queryOnly ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        var flags = openFlags | SQLITE_OPEN_FULLMUTEX
        var name = path
        if immutable {
            flags |= SQLITE_OPEN_URI
            name = "file:" + Self.uriEscaped(path) + "?immutable=1"
        }
        let rc = sqlite3_open_v2(name, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let code = db.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close(db)
            throw SeqError("cannot open the catalog: \(Self.plainReason(code))", file: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // Our own busy handler rather than sqlite3_busy_timeout: the same bounded back-off, but
        // the wait is visible (lockWaitObserver). `self` is passed unretained: the handler is
        // removed with the handle in close(), before the connection goes away.
        sqlite3_busy_handler(db, { context, attempt in
            guard let context else { return 0 }
            let connection = Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue()
            return connection.waitForLock(attempt: Int(attempt)) ? 1 : 0
        }, Unmanaged.passUnretained(self).toOpaque())
        if queryOnly { try execute("PRAGMA query_only = 1") }
    }

    /// One turn of the busy handler: tells the observer, sleeps a growing pause, and says
    /// whether to try again (until `busyHandlerSeconds` have passed in this call's wait).
    private func waitForLock(attempt: Int) -> Bool {
        let now = Date()
        if attempt == 0 || lockWaitStart == nil { lockWaitStart = now }
        let waited = now.timeIntervalSince(lockWaitStart ?? now)
        lockWaitObserver?(waited)
        guard waited < Self.busyHandlerSeconds else {
            lockWaitStart = nil
            return false
        }
        usleep(useconds_t(min(1_000 << min(attempt, 7), 100_000)))
        return true
    }

    /// `path` for a `file:` URI: the characters a URI gives meaning to are percent-encoded.
    static func uriEscaped(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0..<0x20, 0x7f...: out += String(format: "%%%02X", byte)
            default: out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    deinit { close() }

    func close() {
        cache.values.forEach { $0.finalize() }
        cache.removeAll()
        if let handle {
            sqlite3_busy_handler(handle, nil, nil)
            sqlite3_close_v2(handle)
        }
        handle = nil
    }

    var lastErrorMessage: String {
        handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
    }

    func error(_ rc: Int32, _ sql: String) -> SeqError {
        Self.userError(rc, sql: sql, path: path)
    }

    /// A one-line error in plain words for a failed statement: what was being done (from the
    /// statement) and why (from the result code). SQLite's own text, which quotes tables and
    /// constraints, is never shown: users act on "the catalog is read-only", not on SQL.
    static func userError(_ rc: Int32, sql: String, path: String) -> SeqError {
        SeqError("\(action(of: sql)): \(plainReason(rc, sql: sql))", file: path)
    }

    /// What a statement does, for messages: "cannot add to videos", "cannot read the catalog".
    static func action(of sql: String) -> String {
        let words = sql.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "(" }).map { $0.uppercased() }
        func table(after keyword: String) -> String? {
            guard let i = words.firstIndex(of: keyword), i + 1 < words.count else { return nil }
            let name = words[i + 1].lowercased().filter { $0.isLetter || $0 == "_" }
            return name.isEmpty ? nil : name.replacingOccurrences(of: "_", with: " ")
        }
        switch words.first ?? "" {
        case "INSERT", "REPLACE": return "cannot add to \(table(after: "INTO") ?? "the catalog")"
        case "UPDATE": return "cannot change \(table(after: "UPDATE") ?? "the catalog")"
        case "DELETE": return "cannot delete from \(table(after: "FROM") ?? "the catalog")"
        case "SELECT", "WITH": return "cannot read the catalog"
        case "BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK", "END": return "cannot write the catalog"
        case "PRAGMA": return "cannot set up the catalog"
        default: return "catalog error"
        }
    }

    /// The reason behind an SQLite result code, in words a user can act on.
    static func plainReason(_ rc: Int32, sql: String = "") -> String {
        switch rc {
        // Extended codes are macros Swift does not import: SQLITE_CONSTRAINT | (n << 8).
        case SQLITE_CONSTRAINT | (8 << 8), SQLITE_CONSTRAINT | (6 << 8):  // UNIQUE, PRIMARYKEY
            return "the catalog already holds this entry (another process may have added it at the same time)"
        case SQLITE_CONSTRAINT | (3 << 8):  // FOREIGNKEY
            return "it refers to an entry that is not in the catalog (deleted meanwhile?)"
        case SQLITE_CONSTRAINT | (5 << 8):  // NOTNULL
            return "a required value is missing"
        case SQLITE_CONSTRAINT | (1 << 8):  // CHECK
            return "a value is outside what the catalog allows"
        default: break
        }
        switch rc & 0xff {
        case SQLITE_CONSTRAINT: return "the entry conflicts with one already in the catalog"
        case SQLITE_BUSY, SQLITE_LOCKED:
            return "the catalog stayed locked by another process for over \(Int(busyRetrySeconds)) s; try again when it is done"
        case SQLITE_READONLY: return "the catalog is read-only (file, folder or file system); this command needs to write it"
        case SQLITE_FULL: return "no space left on the device"
        case SQLITE_IOERR: return "input/output error on the catalog file or its -wal/-shm files"
        case SQLITE_CORRUPT, SQLITE_NOTADB: return "the file is damaged or is not a SQLite database"
        case SQLITE_CANTOPEN: return "cannot open the file (or create its -wal/-shm files beside it); check the folder exists and can be written"
        case SQLITE_PERM, SQLITE_AUTH: return "permission denied"
        case SQLITE_NOMEM: return "out of memory"
        case SQLITE_INTERRUPT: return "interrupted"
        case SQLITE_PROTOCOL: return "the catalog's lock files are in an inconsistent state (network file system?)"
        case SQLITE_ERROR: return "the catalog does not have the tables this seqcurate expects (another version, or not a catalog)"
        default: return "SQLite error code \(rc)"
        }
    }

    /// Runs one or more statements without results, retrying while the database is busy.
    func execute(_ sql: String) throws {
        try Self.retryingBusy(observer: lockWaitObserver) { () -> Int32 in sqlite3_exec(handle, sql, nil, nil, nil) } onError: { rc in
            throw error(rc, sql)
        }
    }

    /// A prepared statement for `sql`, reset and unbound, reused across calls.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql) }
        let wrapped = SQLiteStatement(stmt, connection: self)
        cache[sql] = wrapped
        return wrapped
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// Calls `body` until it returns something other than SQLITE_BUSY / SQLITE_LOCKED or the
    /// retry time runs out. SQLite's busy handler is not called in some lock-upgrade cases
    /// (and a checkpoint can hold the WAL briefly), so the wait is also done here.
    /// `observer` hears each retry, as `lockWaitObserver` does.
    static func retryingBusy(observer: ((TimeInterval) -> Void)? = nil, _ body: () -> Int32,
                             onError: (Int32) throws -> Void) rethrows {
        let start = Date()
        var pause: useconds_t = 1_000
        while true {
            let rc = body()
            let primary = rc & 0xff
            if primary == SQLITE_OK || primary == SQLITE_DONE || primary == SQLITE_ROW { return }
            if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED), Date().timeIntervalSince(start) < busyRetrySeconds {
                observer?(Date().timeIntervalSince(start))
                usleep(pause)
                pause = min(pause * 2, 100_000)
                continue
            }
            try onError(rc)
            return
        }
    }
}

/// A prepared statement. Parameters are 1-based, as in SQLite; result columns are read by name
/// through `SQLiteRow`.
final class SQLiteStatement {
    private(set) var handle: OpaquePointer?
    unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        stepped = false
    }

    // MARK: binding

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }
    func bind(_ index: Int32, _ value: Int?) { bind(index, value.map(Int64.init)) }
    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int64(handle, index, value ? 1 : 0) }
    func bind(_ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }
    func bind(_ index: Int32, _ value: Float?) { bind(index, value.map(Double.init)) }
    func bind(_ index: Int32, _ value: UInt64?) { bind(index, value.map { Int64(bitPattern: $0) }) }
    func bind(_ index: Int32, _ value: Data?) {
        guard let value else { sqlite3_bind_null(handle, index); return }
        _ = value.withUnsafeBytes { raw in
            sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), seq_sqlite_transient())
        }
    }
    func bind(_ index: Int32, _ value: String?) {
        if let value { sqlite3_bind_text(handle, index, value, -1, seq_sqlite_transient()) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds all values in order, starting at parameter 1.
    func bindAll(_ values: [SQLiteValue]) {
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            switch v {
            case .null: sqlite3_bind_null(handle, index)
            case .integer(let x): sqlite3_bind_int64(handle, index, x)
            case .real(let x): sqlite3_bind_double(handle, index, x)
            case .text(let x): sqlite3_bind_text(handle, index, x, -1, seq_sqlite_transient())
            }
        }
    }

    // MARK: stepping

    private var stepped = false

    /// Advances to the next row; false when done. Retries on SQLITE_BUSY before the first row.
    func step() throws -> Bool {
        var result: Int32 = SQLITE_DONE
        if stepped {
            result = sqlite3_step(handle)
        } else {
            SQLiteConnection.retryingBusy(observer: connection.lockWaitObserver) {
                let rc = sqlite3_step(handle)
                if (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED { sqlite3_reset(handle) }
                result = rc
                return rc
            } onError: { _ in }
            stepped = true
        }
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            stepped = false
            return false
        default:
            // The extended code tells a UNIQUE conflict from a CHECK failure; step() returns
            // it since extended result codes are on.
            stepped = false
            sqlite3_reset(handle)
            let sql = sqlite3_sql(handle).map { String(cString: $0) } ?? ""
            throw SQLiteConnection.userError(result, sql: sql, path: connection.path)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        while try step() {}
        sqlite3_reset(handle)
        stepped = false
    }

    /// The statement's result columns by name, resolved on first use and kept with the
    /// (cached) statement.
    private var resolvedColumns: SQLiteColumns?
    var columns: SQLiteColumns {
        if let resolvedColumns { return resolvedColumns }
        let c = SQLiteColumns(handle)
        resolvedColumns = c
        return c
    }

    /// Collects every row through `row`; columns are read by name (`SQLiteRow`).
    func rows<T>(_ row: (SQLiteRow) throws -> T) throws -> [T] {
        var out: [T] = []
        defer { sqlite3_reset(handle); stepped = false }
        let columns = columns
        let current = SQLiteRow(self, columns: columns)
        while try step() {
            columns.beginRow()
            out.append(try row(current))
        }
        return out
    }

    /// The first row, if any.
    func first<T>(_ row: (SQLiteRow) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle); stepped = false }
        guard try step() else { return nil }
        columns.beginRow()
        return try row(SQLiteRow(self, columns: columns))
    }
}

/// A value to bind to a statement parameter.
enum SQLiteValue: Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func int(_ v: Int?) -> SQLiteValue { v.map { .integer(Int64($0)) } ?? .null }
    static func int64(_ v: Int64?) -> SQLiteValue { v.map { .integer($0) } ?? .null }
    static func double(_ v: Double?) -> SQLiteValue { v.map { .real($0) } ?? .null }
    static func float(_ v: Float?) -> SQLiteValue { v.map { .real(Double($0)) } ?? .null }
    static func string(_ v: String?) -> SQLiteValue { v.map { .text($0) } ?? .null }
    static func bool(_ v: Bool) -> SQLiteValue { .integer(v ? 1 : 0) }
    static func hash(_ v: UInt64?) -> SQLiteValue { v.map { .integer(Int64(bitPattern: $0)) } ?? .null }
}
