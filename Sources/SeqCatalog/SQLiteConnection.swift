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
    /// How long a statement keeps retrying on `SQLITE_BUSY` beyond SQLite's own busy timeout.
    static let busyRetrySeconds: Double = 120

    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SeqError("cannot open catalog: \(message)", file: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        // SQLite waits up to this long on a locked database before reporting SQLITE_BUSY.
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit { close() }

    func close() {
        cache.values.forEach { $0.finalize() }
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    var lastErrorMessage: String {
        handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
    }

    func error(_ rc: Int32, _ context: String) -> SeqError {
        SeqError("catalog error in \(context): \(lastErrorMessage) (SQLite code \(rc))", file: path)
    }

    /// Runs one or more statements without results, retrying while the database is busy.
    func execute(_ sql: String) throws {
        try Self.retryingBusy { () -> Int32 in sqlite3_exec(handle, sql, nil, nil, nil) } onError: { rc in
            throw error(rc, sql.prefix(60).description)
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
        guard rc == SQLITE_OK, let stmt else { throw error(rc, "prepare \(sql.prefix(60))") }
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
    static func retryingBusy(_ body: () -> Int32, onError: (Int32) throws -> Void) rethrows {
        let start = Date()
        var pause: useconds_t = 1_000
        while true {
            let rc = body()
            let primary = rc & 0xff
            if primary == SQLITE_OK || primary == SQLITE_DONE || primary == SQLITE_ROW { return }
            if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED), Date().timeIntervalSince(start) < busyRetrySeconds {
                usleep(pause)
                pause = min(pause * 2, 100_000)
                continue
            }
            try onError(rc)
            return
        }
    }
}

/// A prepared statement. Parameters are 1-based, columns 0-based, as in SQLite.
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
            SQLiteConnection.retryingBusy {
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
            let message = connection.lastErrorMessage
            stepped = false
            sqlite3_reset(handle)
            let sql = sqlite3_sql(handle).map { String(cString: $0) } ?? "?"
            throw SeqError("catalog error: \(message) (SQLite code \(result)) in: \(sql.prefix(80))", file: connection.path)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        while try step() {}
        sqlite3_reset(handle)
        stepped = false
    }

    /// Collects every row through `row`.
    func rows<T>(_ row: (SQLiteStatement) throws -> T) throws -> [T] {
        var out: [T] = []
        while try step() { out.append(try row(self)) }
        sqlite3_reset(handle)
        stepped = false
        return out
    }

    /// The first row, if any.
    func first<T>(_ row: (SQLiteStatement) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle); stepped = false }
        return try step() ? try row(self) : nil
    }

    // MARK: columns

    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    func int(_ i: Int32) -> Int { Int(sqlite3_column_int64(handle, i)) }
    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    func float(_ i: Int32) -> Float { Float(sqlite3_column_double(handle, i)) }
    func bool(_ i: Int32) -> Bool { sqlite3_column_int64(handle, i) != 0 }
    func text(_ i: Int32) -> String { sqlite3_column_text(handle, i).map { String(cString: $0) } ?? "" }
    func optionalInt64(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }
    func optionalInt(_ i: Int32) -> Int? { isNull(i) ? nil : int(i) }
    func optionalDouble(_ i: Int32) -> Double? { isNull(i) ? nil : double(i) }
    func optionalFloat(_ i: Int32) -> Float? { isNull(i) ? nil : float(i) }
    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    func optionalUInt64(_ i: Int32) -> UInt64? { isNull(i) ? nil : UInt64(bitPattern: int64(i)) }
}

/// A value to bind to a statement parameter.
enum SQLiteValue {
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
