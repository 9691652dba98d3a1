import CLibPQ
import Foundation
import SeqCore

/// One synchronous libpq connection to a PostgreSQL catalog.
///
/// Statements are written as for SQLite (`?` parameters); `PostgresSQL.numbered` turns them
/// into `$1, $2, …` here, in one place. Values travel as text with their type (int8, float8,
/// text), results come back as text and are read by column name through `SQLiteRow`, so every
/// mapping in `Catalog` serves both backends. Errors are plain words naming the server, never
/// PostgreSQL's own text (which quotes SQL, tables and constraints).
final class PostgresConnection: CatalogConnection {
    /// The URL as given, used to connect (it may hold a password).
    private let url: String
    /// The URL without a password, for messages.
    let location: String
    let readOnly: Bool
    private(set) var handle: OpaquePointer?
    var lockWaitObserver: ((TimeInterval) -> Void)?
    var lastInsertRowID: Int64 = 0
    var changes: Int = 0
    /// Translated statements by their `?` text.
    private var translated: [String: (sql: String, parameters: Int)] = [:]

    /// Connects to `url` (`postgresql://USER@HOST:PORT/DB`). `readOnly` makes the session
    /// refuse writes (`default_transaction_read_only`).
    init(url: String, readOnly: Bool = false) throws {
        self.url = url
        self.location = Self.withoutPassword(url)
        self.readOnly = readOnly
        guard let conn = PQconnectdb(url) else {
            throw SeqError("could not connect: out of memory", file: location)
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let reason = Self.firstLine(PQerrorMessage(conn).map { String(cString: $0) } ?? "")
            PQfinish(conn)
            throw SeqError("could not connect: \(reason.isEmpty ? "no reason given" : reason)", file: location)
        }
        handle = conn
        // Notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        try execute("SET client_min_messages = warning")
        if readOnly { try execute("SET default_transaction_read_only = on") }
    }

    deinit { close() }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    var isAutocommit: Bool {
        guard let handle else { return true }
        return PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// `url` with the password (if any) left out: `postgresql://user:secret@host/db` →
    /// `postgresql://user@host/db`.
    static func withoutPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard let at = authority.lastIndex(of: "@") else { return url }
        let userInfo = authority[..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return url }
        return String(url[..<scheme.upperBound]) + userInfo[..<colon] + String(rest[at...])
    }

    static func firstLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.first(where: { !$0.isEmpty }) ?? ""
    }

    // MARK: running

    /// Runs one or more statements without parameters. SQLite's transaction words are mapped:
    /// `BEGIN IMMEDIATE` (a writer) also takes the catalog's advisory write lock, so writers
    /// queue one after another as on SQLite and a check-then-insert inside a transaction cannot
    /// race another process's; readers (`BEGIN DEFERRED`) take no lock.
    func execute(_ sql: String) throws {
        let text: String
        switch sql {
        case "BEGIN IMMEDIATE": text = "BEGIN; SELECT pg_advisory_xact_lock(\(Self.writeLockKey))"
        case "BEGIN DEFERRED": text = "BEGIN"
        default: text = sql
        }
        guard let handle else { throw SeqError("\(PostgresSQL.action(of: sql)): the connection is closed", file: location) }
        let result = PQexec(handle, text)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// The advisory lock key writers share ("seqcurat" in ASCII, as a number).
    static let writeLockKey: Int64 = 0x7365_7163_7572_6174

    func statement(_ sql: String) throws -> CatalogStatement {
        let t: (sql: String, parameters: Int)
        if let cached = translated[sql] {
            t = cached
        } else {
            t = PostgresSQL.numbered(sql)
            translated[sql] = t
        }
        return PostgresStatement(original: sql, sql: t.sql, parameters: t.parameters, connection: self)
    }

    /// Throws a plain-words error unless `result` succeeded.
    func check(_ result: OpaquePointer?, sql: String) throws {
        let status = result.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return }
        let state = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        throw SeqError("\(PostgresSQL.action(of: sql)): \(reason(sqlState: state))", file: location)
    }

    /// The reason behind a failure, from its SQLSTATE and the connection's state.
    private func reason(sqlState: String) -> String {
        if let handle, PQstatus(handle) != CONNECTION_OK {
            return "lost the connection to the server (\(Self.firstLine(PQerrorMessage(handle).map { String(cString: $0) } ?? "")))"
        }
        return PostgresSQL.plainReason(sqlState: sqlState)
    }

    /// Runs `sql` (numbered) with `values`; the caller clears the result.
    func exec(_ sql: String, original: String, values: [SQLiteValue]) throws -> OpaquePointer? {
        guard let handle else { throw SeqError("\(PostgresSQL.action(of: original)): the connection is closed", file: location) }
        var types: [Oid] = []
        var texts: [String?] = []
        for v in values {
            switch v {
            case .null: types.append(0); texts.append(nil)
            case .integer(let x): types.append(20); texts.append(String(x))
            // Swift's description is the shortest text that reads back as the same double.
            case .real(let x): types.append(701); texts.append(x.isFinite ? "\(x)" : (x.isNaN ? "NaN" : (x > 0 ? "Infinity" : "-Infinity")))
            case .text(let x): types.append(25); texts.append(x)
            // bytea in its hex text form: binary-safe, whatever the bytes.
            case .blob(let x): types.append(17); texts.append("\\x" + x.map { String(format: "%02x", $0) }.joined())
            }
        }
        let cStrings = texts.map { $0.map { strdup($0) } ?? nil }
        defer { cStrings.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        let result = pointers.withUnsafeBufferPointer { params in
            types.withUnsafeBufferPointer { types in
                PQexecParams(handle, sql, Int32(values.count), types.baseAddress, params.baseAddress, nil, nil, 0)
            }
        }
        do {
            try check(result, sql: original)
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }
}

/// A statement on a `PostgresConnection`: bound values are kept until it runs.
final class PostgresStatement: CatalogStatement {
    let original: String
    let sql: String
    unowned let connection: PostgresConnection
    private var values: [SQLiteValue]
    /// An INSERT reports the new row's id (`RETURNING id`), as SQLite's last insert row id.
    private let isInsert: Bool

    init(original: String, sql: String, parameters: Int, connection: PostgresConnection) {
        self.original = original
        self.connection = connection
        self.values = Array(repeating: .null, count: parameters)
        let words = sql.split(whereSeparator: { $0.isWhitespace }).prefix(1).map { $0.uppercased() }
        isInsert = words.first == "INSERT" && !sql.uppercased().contains("RETURNING")
        self.sql = isInsert ? sql + " RETURNING *" : sql
    }

    func reset() {
        for i in values.indices { values[i] = .null }
    }

    func bindValue(_ index: Int32, _ value: SQLiteValue) {
        let i = Int(index) - 1
        if i >= 0 && i < values.count { values[i] = value }
    }

    func run() throws {
        let result = try connection.exec(sql, original: original, values: values)
        defer { PQclear(result) }
        connection.changes = Int(String(cString: PQcmdTuples(result))) ?? 0
        if isInsert, PQntuples(result) > 0 {
            let idColumn = PQfnumber(result, "id")
            if idColumn >= 0 { connection.lastInsertRowID = Int64(String(cString: PQgetvalue(result, 0, idColumn))) ?? 0 }
        }
    }

    func rows<T>(_ row: (SQLiteRow) throws -> T) throws -> [T] {
        let result = try connection.exec(sql, original: original, values: values)
        defer { PQclear(result) }
        let source = PostgresRows(result, location: connection.location)
        let current = SQLiteRow(source, columns: source.columns)
        var out: [T] = []
        for r in 0..<PQntuples(result) {
            source.row = r
            source.columns.beginRow()
            out.append(try row(current))
        }
        return out
    }

    func first<T>(_ row: (SQLiteRow) throws -> T) throws -> T? {
        let result = try connection.exec(sql, original: original, values: values)
        defer { PQclear(result) }
        guard PQntuples(result) > 0 else { return nil }
        let source = PostgresRows(result, location: connection.location)
        source.columns.beginRow()
        return try row(SQLiteRow(source, columns: source.columns))
    }
}

/// The rows of one PostgreSQL result (text format), read as SQLite's conversions read them:
/// NULL as 0, 0.0 or "" unless optional.
final class PostgresRows: CatalogRowSource {
    let result: OpaquePointer?
    let location: String
    let columns: SQLiteColumns
    var row: Int32 = 0

    init(_ result: OpaquePointer?, location: String) {
        self.result = result
        self.location = location
        columns = SQLiteColumns(names: (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) })
    }

    func isNull(_ i: Int32) -> Bool { PQgetisnull(result, row, i) != 0 }
    func text(_ i: Int32) -> String { isNull(i) ? "" : String(cString: PQgetvalue(result, row, i)) }
    func int64(_ i: Int32) -> Int64 {
        let t = text(i)
        if let v = Int64(t) { return v }
        if t == "t" { return 1 }
        return Double(t).map { Int64($0) } ?? 0
    }
    /// bytea arrives as `\x` and two hex digits a byte.
    func blob(_ i: Int32) -> Data {
        guard !isNull(i), let p = PQgetvalue(result, row, i) else { return Data() }
        let length = Int(PQgetlength(result, row, i))
        guard length >= 2, p[0] == 0x5c, p[1] == 0x78 else { return Data(bytes: p, count: length) }
        func nibble(_ c: CChar) -> UInt8 {
            let v = UInt8(bitPattern: c)
            return v >= 0x61 ? v - 0x61 + 10 : v >= 0x41 ? v - 0x41 + 10 : v - 0x30
        }
        var out = Data(capacity: (length - 2) / 2)
        var k = 2
        while k + 1 < length {
            out.append(nibble(p[k]) << 4 | nibble(p[k + 1]))
            k += 2
        }
        return out
    }
    func value(_ i: Int32) -> SQLiteValue {
        if isNull(i) { return .null }
        switch PQftype(result, i) {
        case 20, 21, 23: return .integer(int64(i))
        case 700, 701, 1700: return .real(double(i))
        case 17: return .blob(blob(i))
        default: return .text(text(i))
        }
    }
    func double(_ i: Int32) -> Double {
        let t = text(i)
        if let v = Double(t) { return v }
        return t == "t" ? 1 : 0
    }
}

/// SQL text and errors for PostgreSQL, kept apart from the connection so they can be tested.
enum PostgresSQL {
    /// `sql` with its `?` parameters numbered `$1, $2, …`, and how many there are. Question
    /// marks inside quoted strings, quoted names and comments are left alone.
    static func numbered(_ sql: String) -> (sql: String, parameters: Int) {
        var out = ""
        var count = 0
        var quote: Character?
        var lineComment = false
        var previous: Character = " "
        for c in sql {
            if lineComment {
                if c == "\n" { lineComment = false }
            } else if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "-" && previous == "-" {
                lineComment = true
            } else if c == "?" {
                count += 1
                out += "$\(count)"
                previous = c
                continue
            }
            out.append(c)
            previous = c
        }
        return (out, count)
    }

    /// What a statement does, for messages (the same words as for SQLite).
    static func action(of sql: String) -> String {
        SQLiteConnection.action(of: sql)
    }

    /// The reason behind a SQLSTATE, in words a user can act on.
    static func plainReason(sqlState: String) -> String {
        switch sqlState {
        case "23505": return "the catalog already holds this entry (another process may have added it at the same time)"
        case "23503": return "it refers to an entry that is not in the catalog (deleted meanwhile?)"
        case "23502": return "a required value is missing"
        case "23514": return "a value is outside what the catalog allows"
        case "25006": return "the catalog is opened read-only; this command needs to write it"
        case "40001", "40P01": return "another process changed the same entries at the same time; try again"
        case "53100": return "the server has no space left on its disk"
        case "53200": return "the server is out of memory"
        case "57014": return "the statement was cancelled"
        case "42501": return "permission denied on the server"
        case "42P01", "42703": return "the catalog does not have the tables this seqcurate expects (another version, or not a catalog)"
        default: break
        }
        switch sqlState.prefix(2) {
        case "08": return "lost the connection to the server"
        case "28": return "the server refused the login"
        case "3D": return "no such database"
        case "57": return "the server is shutting down or restarting"
        case "53": return "the server ran out of resources"
        case "22": return "a value could not be stored"
        case "": return "the server gave no reason"
        default: return "PostgreSQL error \(sqlState)"
        }
    }
}
