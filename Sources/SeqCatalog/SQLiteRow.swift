import CSQLite
import Foundation
import SeqCore

/// The result columns of a prepared statement by name, resolved once per statement: the
/// statement cache keeps this with the statement, and a row mapping reads its columns in the
/// same order on every row, so after the first row each read is one comparison of the name
/// with the one read at that place before (`plan`), not a lookup.
final class SQLiteColumns {
    let names: [String]
    /// Index of each name; -1 for a name that two result columns share (`SELECT a.id, b.id`):
    /// reading it is refused, since either column could be meant (alias one: `b.id AS b_id`).
    private let indices: [String: Int32]
    /// The n-th read of a row: which name it asked for and the index that name has.
    private var plan: [(name: String, index: Int32)] = []
    private var cursor = 0

    init(_ handle: OpaquePointer?) {
        let count = Int(sqlite3_column_count(handle))
        var names: [String] = []
        var indices: [String: Int32] = [:]
        for i in 0..<count {
            let name = sqlite3_column_name(handle, Int32(i)).map { String(cString: $0) } ?? ""
            names.append(name)
            indices[name] = indices[name] == nil ? Int32(i) : -1
        }
        self.names = names
        self.indices = indices
    }

    /// Called before a row is handed out: its reads start from the first again.
    func beginRow() { cursor = 0 }

    /// The index of `name`, or nil when no column (or more than one) has that name.
    func index(of name: String) -> Int32? {
        defer { cursor += 1 }
        if cursor < plan.count, plan[cursor].name == name { return plan[cursor].index }
        guard let i = indices[name], i >= 0 else { return nil }
        if cursor < plan.count { plan[cursor] = (name, i) } else if cursor == plan.count { plan.append((name, i)) }
        return i
    }

    func missing(_ name: String, path: String) -> SeqError {
        let why = indices[name] == -1 ? "is more than one column of" : "is not a column of"
        return SeqError("cannot read the catalog: \(name) \(why) the rows read (\(names.joined(separator: ", ")))", file: path)
    }
}

/// The current row of a stepping statement, read by column name as GRDB does:
/// `try row["crop_path"] as String?`. A schema change cannot shift one field into another;
/// a column that is not in the result throws an error naming it.
///
/// Conversions are SQLite's (`sqlite3_column_*`): NULL reads as 0, 0.0, false or "" unless
/// the wanted type is optional, where it reads as nil. Valid only inside the closure it is
/// handed to.
struct SQLiteRow {
    fileprivate let statement: SQLiteStatement
    fileprivate let columns: SQLiteColumns

    init(_ statement: SQLiteStatement, columns: SQLiteColumns) {
        self.statement = statement
        self.columns = columns
    }

    /// True when the result has one column called `name` (an older schema may lack it).
    func has(_ name: String) -> Bool { columns.index(of: name) != nil }

    /// The value of column `name`.
    subscript<T: SQLiteColumnValue>(_ name: String) -> T {
        get throws {
            guard let i = columns.index(of: name) else { throw columns.missing(name, path: statement.connection.path) }
            return T.read(statement.handle, i)
        }
    }

    /// The value of the result's only column (`SELECT count(*) …`, `PRAGMA user_version`):
    /// a result of any other width throws rather than pick one.
    func single<T: SQLiteColumnValue>() throws -> T {
        guard columns.names.count == 1 else {
            throw SeqError("cannot read the catalog: one value expected, got \(columns.names.count) (\(columns.names.joined(separator: ", ")))",
                           file: statement.connection.path)
        }
        return T.read(statement.handle, 0)
    }
}

/// A Swift type a result column converts to.
protocol SQLiteColumnValue {
    static func read(_ statement: OpaquePointer?, _ index: Int32) -> Self
}

extension Int64: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Int64 { sqlite3_column_int64(s, i) }
}

extension Int: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Int { Int(sqlite3_column_int64(s, i)) }
}

extension Double: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Double { sqlite3_column_double(s, i) }
}

extension Float: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Float { Float(sqlite3_column_double(s, i)) }
}

extension Bool: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Bool { sqlite3_column_int64(s, i) != 0 }
}

extension String: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> String { sqlite3_column_text(s, i).map { String(cString: $0) } ?? "" }
}

/// Hashes are stored as the signed 64-bit integer with the same bits.
extension UInt64: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> UInt64 { UInt64(bitPattern: sqlite3_column_int64(s, i)) }
}

/// BLOBs (embeddings) read as their bytes.
extension Data: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(s, i))
        guard count > 0, let p = sqlite3_column_blob(s, i) else { return Data() }
        return Data(bytes: p, count: count)
    }
}

extension Optional: SQLiteColumnValue where Wrapped: SQLiteColumnValue {
    static func read(_ s: OpaquePointer?, _ i: Int32) -> Wrapped? {
        sqlite3_column_type(s, i) == SQLITE_NULL ? nil : Wrapped.read(s, i)
    }
}

extension SQLiteRow {
    /// The names of the result's columns, in order (for code that copies rows whatever their columns).
    var columnNames: [String] { columns.names }

    /// The value of the `i`-th result column as SQLite stores it (no conversion).
    func value(at i: Int) -> SQLiteValue {
        let index = Int32(i)
        switch sqlite3_column_type(statement.handle, index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement.handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(statement.handle, index))
        default: return .text(sqlite3_column_text(statement.handle, index).map { String(cString: $0) } ?? "")
        }
    }
}
