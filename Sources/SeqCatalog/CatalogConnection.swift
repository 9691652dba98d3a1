import Foundation
import SeqCore

/// What `Catalog` needs from a database connection, so that the same queries run on SQLite
/// (`SQLiteConnection`, the embedded default) and on PostgreSQL (`PostgresConnection`).
///
/// SQL is written once, with `?` parameters; a backend that numbers its parameters
/// translates them. Not thread-safe by itself; `Catalog` serialises all use behind its lock.
protocol CatalogConnection: AnyObject {
    /// The catalog for messages: a file path, or a server URL without its password.
    var location: String { get }
    /// True when every write is refused.
    var readOnly: Bool { get }
    /// Hears waits for another process's lock (SQLite only; PostgreSQL waits silently).
    var lockWaitObserver: ((TimeInterval) -> Void)? { get set }
    /// Runs one or more statements without parameters or results.
    func execute(_ sql: String) throws
    /// A statement for `sql`, unbound, ready to bind and run.
    func statement(_ sql: String) throws -> CatalogStatement
    /// The id of the row the last INSERT added.
    var lastInsertRowID: Int64 { get }
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { get }
    /// True outside a transaction.
    var isAutocommit: Bool { get }
    func close()
}

/// A statement with `?` parameters (1-based) whose result rows are read by column name.
protocol CatalogStatement: AnyObject {
    /// Clears the bindings and any pending result.
    func reset()
    /// Binds parameter `index` (1-based).
    func bindValue(_ index: Int32, _ value: SQLiteValue)
    /// Runs a statement that returns no rows.
    func run() throws
    /// Collects every row through `row`.
    func rows<T>(_ row: (SQLiteRow) throws -> T) throws -> [T]
    /// The first row, if any.
    func first<T>(_ row: (SQLiteRow) throws -> T) throws -> T?
}

extension CatalogStatement {
    func bind(_ index: Int32, _ value: Int64?) { bindValue(index, .int64(value)) }
    func bind(_ index: Int32, _ value: Int?) { bindValue(index, .int(value)) }
    func bind(_ index: Int32, _ value: Bool) { bindValue(index, .bool(value)) }
    func bind(_ index: Int32, _ value: Double?) { bindValue(index, .double(value)) }
    func bind(_ index: Int32, _ value: Float?) { bindValue(index, .float(value)) }
    func bind(_ index: Int32, _ value: UInt64?) { bindValue(index, .hash(value)) }
    func bind(_ index: Int32, _ value: String?) { bindValue(index, .string(value)) }
    func bind(_ index: Int32, _ value: Data?) { bindValue(index, value.map { .blob($0) } ?? .null) }

    /// Binds all values in order, starting at parameter 1.
    func bindAll(_ values: [SQLiteValue]) {
        for (i, v) in values.enumerated() { bindValue(Int32(i + 1), v) }
    }
}

/// Where a catalog lives: a SQLite file, or a PostgreSQL database named by a URL
/// (`postgresql://USER@HOST:PORT/DB`, or `postgres://…`).
public enum CatalogLocation: Equatable, Sendable {
    case sqlite(URL)
    case postgres(String)

    /// Reads `--catalog` (or `SEQCURATE_CATALOG`): a `postgresql://` or `postgres://` URL is a
    /// server, anything else a file path.
    public init(_ text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://") {
            self = .postgres(text)
        } else {
            self = .sqlite(URL(fileURLWithPath: text))
        }
    }

    /// True for a PostgreSQL catalog.
    public var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }
}
