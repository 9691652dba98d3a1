import CSQLite
import Foundation
import XCTest
@testable import SeqCatalog
import SeqTestSupport

final class SchemaTests: XCTestCase {
    func testEmbeddedSQLEqualsSchemaFiles() throws {
        let folder = TestFiles.repoRoot.appendingPathComponent("schemas/catalog")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(files, CatalogSchemaSQL.migrations.map(\.fileName), "run python3 tools/embed_catalog_schema.py")
        for migration in CatalogSchemaSQL.migrations {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.fileName), encoding: .utf8)
            XCTAssertEqual(migration.sql, text, "\(migration.fileName) differs from the embedded copy; run python3 tools/embed_catalog_schema.py")
        }
        XCTAssertEqual(CatalogSchemaSQL.migrations.map(\.version), Array(1...CatalogSchemaSQL.migrations.count))
    }

    func testOpenCreatesSchemaWithWALAndForeignKeys() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let url = dir.appendingPathComponent("sub/folder/seqcurate.db")
        let catalog = try Catalog.open(at: url)
        XCTAssertEqual(try catalog.schemaVersion(), Catalog.currentSchemaVersion)
        XCTAssertEqual(try catalog.queryFirst("PRAGMA journal_mode") { try $0["journal_mode"] as String }, "wal")
        XCTAssertEqual(try catalog.scalar("PRAGMA foreign_keys"), 1)
        let tables = Set(try catalog.query("SELECT name FROM sqlite_master WHERE type = 'table'") { try $0["name"] as String })
        for t in ["videos", "shots", "tracks", "faces", "sequences", "identities", "identity_images", "exclusions", "ingest_runs", "exports"] {
            XCTAssertTrue(tables.contains(t), "missing table \(t)")
        }
        // Foreign keys are enforced: a face of a track that does not exist is refused.
        XCTAssertThrowsError(try catalog.insertSequence(SequenceRecord(trackID: 999, videoID: 999, faceCount: 1, firstFrame: 0, lastFrame: 0)))
        catalog.close()

        // Re-opening migrates nothing and keeps the data.
        let again = try Catalog.open(at: url)
        XCTAssertEqual(try again.schemaVersion(), Catalog.currentSchemaVersion)
        XCTAssertEqual(try again.videos().count, 0)
    }

    func testMigratesFromAnOlderVersionAndRefusesNewerOrForeignFiles() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        // A file at version 0 with no tables is migrated.
        let empty = dir.appendingPathComponent("empty.db")
        try rawSQL(empty, "PRAGMA user_version = 0")
        XCTAssertEqual(try Catalog.open(at: empty).schemaVersion(), Catalog.currentSchemaVersion)

        // A newer catalog is refused with a clear message.
        let newer = dir.appendingPathComponent("newer.db")
        try rawSQL(newer, "CREATE TABLE t (x); PRAGMA user_version = 99")
        XCTAssertThrowsError(try Catalog.open(at: newer)) { error in
            XCTAssertTrue("\(error)".contains("newer than this seqcurate"), "\(error)")
        }

        // Some other SQLite database is not mistaken for a catalog.
        let foreign = dir.appendingPathComponent("foreign.db")
        try rawSQL(foreign, "CREATE TABLE notes (x)")
        XCTAssertThrowsError(try Catalog.open(at: foreign)) { error in
            XCTAssertTrue("\(error)".contains("not a seqcurate catalog"), "\(error)")
        }

        // Not a database at all.
        let text = dir.appendingPathComponent("text.db")
        try Data(String(repeating: "hello world\n", count: 200).utf8).write(to: text)
        XCTAssertThrowsError(try Catalog.open(at: text))
    }

    /// Runs SQL on a file with the bare SQLite API.
    private func rawSQL(_ url: URL, _ sql: String) throws {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(url.path, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, sql, nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
    }
}
