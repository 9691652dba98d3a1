import Foundation
import SeqCore
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// The PostgreSQL backend against a throwaway server (`TestPostgres`): the two schema histories
/// stay in step, rows round-trip exactly, and errors are plain words naming the server.
final class PostgresCatalogTests: XCTestCase {
    nonisolated(unsafe) static var server: TestPostgres?

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private func database() throws -> String {
        if Self.server == nil { Self.server = try TestPostgres() }
        return try Self.server!.createDatabase()
    }

    func testParametersAreNumberedOutsideQuotesAndComments() {
        let (sql, n) = PostgresSQL.numbered("SELECT '?' AS \"a?\", x FROM t WHERE a = ? AND b = ? -- why?\nAND c = ?")
        XCTAssertEqual(n, 3)
        XCTAssertEqual(sql, "SELECT '?' AS \"a?\", x FROM t WHERE a = $1 AND b = $2 -- why?\nAND c = $3")
    }

    func testPasswordIsLeftOutOfMessages() {
        XCTAssertEqual(PostgresConnection.withoutPassword("postgresql://me:secret@db:5432/faces"), "postgresql://me@db:5432/faces")
        XCTAssertEqual(PostgresConnection.withoutPassword("postgresql://me@db/faces"), "postgresql://me@db/faces")
        XCTAssertEqual(CatalogLocation("postgres://x@y/z"), .postgres("postgres://x@y/z"))
        XCTAssertFalse(CatalogLocation("work/c.db").isPostgres)
    }

    /// Both histories have as many migrations, and after them the same tables, columns (types
    /// mapped), NOT NULLs and indexes.
    func testSchemaHistoriesStayInStep() throws {
        XCTAssertEqual(CatalogPostgresSchemaSQL.migrations.count, CatalogSchemaSQL.migrations.count)
        XCTAssertEqual(CatalogPostgresSchemaSQL.migrations.map(\.version), Array(1...CatalogSchemaSQL.migrations.count))
        let files = try FileManager.default.contentsOfDirectory(atPath: TestFiles.repoRoot.appendingPathComponent("schemas/catalog-postgres").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(files, CatalogPostgresSchemaSQL.migrations.map(\.fileName), "run python3 tools/embed_catalog_schema.py")
        for m in CatalogPostgresSchemaSQL.migrations {
            let text = try String(contentsOf: TestFiles.repoRoot.appendingPathComponent("schemas/catalog-postgres/\(m.fileName)"), encoding: .utf8)
            XCTAssertEqual(m.sql, text, "\(m.fileName) differs from the embedded copy; run python3 tools/embed_catalog_schema.py")
        }

        let dir = try TestFiles.tempDirectory("pg-schema")
        let lite = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        defer { lite.close() }
        let pg = try Catalog.open(location: try database(), crops: dir.path)
        defer { pg.close() }

        let liteTables = try lite.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") { try $0["name"] as String }
        let pgTables = try pg.query("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> 'seqcurate_schema' ORDER BY table_name") { try $0["name"] as String }
        XCTAssertEqual(liteTables, pgTables)
        func mapped(_ sqliteType: String) -> String {
            switch sqliteType.uppercased() {
            case "INTEGER": return "bigint"
            case "REAL": return "double precision"
            case "TEXT": return "text"
            case "BLOB": return "bytea"
            default: return sqliteType
            }
        }
        for table in liteTables {
            let liteColumns = try lite.query("SELECT name, type, \"notnull\" AS required, pk FROM pragma_table_info(?) ORDER BY cid", [.text(table)]) {
                "\(try $0["name"] as String) \(mapped(try $0["type"])) \(try ($0["required"] as Bool) || ($0["pk"] as Bool) ? "NOT NULL" : "")"
            }
            let pgColumns = try pg.query("""
                SELECT column_name AS name, data_type AS type, is_nullable AS nullable FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
                """, [.text(table)]) {
                "\(try $0["name"] as String) \(try $0["type"] as String) \(try $0["nullable"] as String == "NO" ? "NOT NULL" : "")"
            }
            XCTAssertEqual(liteColumns, pgColumns, table)
        }
        let liteIndexes = try lite.query("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name") { try $0["name"] as String }
        let pgIndexes = try pg.query("""
            SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
            ORDER BY indexname
            """) { try $0["name"] as String }
        XCTAssertEqual(liteIndexes, pgIndexes)
    }

    /// Every kind of value comes back as written: 64-bit ids and hashes, doubles to the last
    /// bit, NULLs, text with quotes and question marks.
    func testValuesRoundTripExactly() throws {
        let dir = try TestFiles.tempDirectory("pg-values")
        let pg = try Catalog.open(location: try database(), crops: dir.path)
        defer { pg.close() }
        XCTAssertEqual(pg.folder.path, dir.standardizedFileURL.path)
        let path = "/videos/it's a \"clip\"? ünïcode.mp4"
        let id = try addVideo(pg, path: path, hash: "h1", sequences: [3, 2])
        XCTAssertEqual(id, 1)
        let videos = try pg.videos()
        XCTAssertEqual(videos.map(\.path), [path])
        XCTAssertEqual(try pg.tracks().count, 2)
        let faces = try pg.faces(videoID: id)
        XCTAssertEqual(faces.count, 9)
        try pg.setFaceCropHashes([(faces[0].id!, UInt64.max - 5)])
        XCTAssertEqual(try pg.faces(videoID: id)[0].cropHash, UInt64.max - 5)
        XCTAssertEqual(try pg.sequences().map(\.faceCount), [3, 2])

        let lite = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        defer { lite.close() }
        try addVideo(lite, path: path, hash: "h1", sequences: [3, 2])
        var liteVideos = try lite.videos(), pgVideos = try pg.videos()
        for i in liteVideos.indices { liteVideos[i].ingestedAt = ""; pgVideos[i].ingestedAt = "" }
        XCTAssertEqual(liteVideos, pgVideos)
        XCTAssertEqual(try lite.tracks(), try pg.tracks())
        var liteFaces = try lite.faces(videoID: id)
        liteFaces[0].cropHash = UInt64.max - 5
        XCTAssertEqual(liteFaces, try pg.faces(videoID: id))
        XCTAssertEqual(try lite.sequences(), try pg.sequences())
    }

    /// A second row with the same content hash reads as SQLite's: plain words, no SQL.
    func testUniqueViolationAndBadServerArePlainWords() throws {
        let url = try database()
        let pg = try Catalog.open(location: url, crops: NSTemporaryDirectory())
        defer { pg.close() }
        try addVideo(pg, path: "/a.mp4", hash: "same", sequences: [])
        XCTAssertThrowsError(try addVideo(pg, path: "/b.mp4", hash: "same", sequences: [])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(url + ": "), text)
            XCTAssertTrue(text.contains("already holds this entry"), text)
            for raw in ["INSERT", "duplicate key", "constraint", "content_hash"] { XCTAssertFalse(text.contains(raw), text) }
        }
        // The failed transaction left nothing behind, and the connection is still usable.
        XCTAssertEqual(try pg.videos().map(\.path), ["/a.mp4"])

        XCTAssertThrowsError(try Catalog.open(location: "postgresql://postgres:secret@127.0.0.1:1/nothing")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("postgresql://postgres@127.0.0.1:1/nothing: could not connect: "), text)
            XCTAssertFalse(text.contains("secret"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
        XCTAssertThrowsError(try Catalog.openForReading(location: try database())) { error in
            XCTAssertTrue("\(error)".contains("not a seqcurate catalog"), "\(error)")
        }
    }
}
