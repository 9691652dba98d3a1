import Foundation
import SeqCore
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// Rows are read by column name: a column that is not there is an error naming it, never
/// another column's value.
final class RowTests: XCTestCase {
    private func connection() throws -> SQLiteConnection {
        let dir = try TestFiles.tempDirectory("seqcurate-rows")
        let db = try SQLiteConnection(path: dir.appendingPathComponent("rows.db").path)
        try db.execute("CREATE TABLE t (a INTEGER, b TEXT, c REAL); INSERT INTO t VALUES (7, 'x', NULL), (8, NULL, 2.5)")
        return db
    }

    func testColumnsAreReadByNameWhateverTheirOrder() throws {
        let db = try connection()
        let rows = try db.statement("SELECT c, b, a FROM t ORDER BY a").rows { r in
            (try r["a"] as Int64, try r["b"] as String?, try r["c"] as Double?, try r["b"] as String)
        }
        XCTAssertEqual(rows.map(\.0), [7, 8])
        XCTAssertEqual(rows.map(\.1), ["x", nil])
        XCTAssertEqual(rows.map(\.2), [nil, 2.5])
        // A NULL read as a non-optional type is SQLite's conversion, as before.
        XCTAssertEqual(rows.map(\.3), ["x", ""])
    }

    func testAMissingColumnIsAnErrorNamingIt() throws {
        let db = try connection()
        XCTAssertThrowsError(try db.statement("SELECT a, b FROM t").first { try $0["crop_path"] as String }) { error in
            let text = "\(error)"
            XCTAssertTrue(error is SeqError, "\(type(of: error))")
            XCTAssertTrue(text.contains("crop_path") && text.contains("a, b"), text)
            XCTAssertFalse(text.contains("SELECT"), text)
        }
        XCTAssertFalse(try db.statement("SELECT a, b FROM t").first { $0.has("c") } ?? true)
    }

    func testASharedColumnNameIsRefused() throws {
        let db = try connection()
        let sql = "SELECT x.a, y.a FROM t x JOIN t y ON y.a = x.a"
        XCTAssertThrowsError(try db.statement(sql).first { try $0["a"] as Int64 }) { error in
            XCTAssertTrue("\(error)".contains("more than one column"), "\(error)")
        }
        XCTAssertEqual(try db.statement("SELECT x.a, y.a AS other FROM t x JOIN t y ON y.a = x.a ORDER BY x.a").first { try $0["other"] as Int64 }, 7)
    }

    func testSingleNeedsExactlyOneColumn() throws {
        let db = try connection()
        XCTAssertEqual(try db.statement("SELECT count(*) FROM t").first { try $0.single() as Int }, 2)
        XCTAssertThrowsError(try db.statement("SELECT a, b FROM t").first { try $0.single() as Int })
    }
}
