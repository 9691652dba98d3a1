import Foundation
import SeqCatalog
import SeqTestSupport
import XCTest

/// The same command lines on a SQLite catalog and on a PostgreSQL one (a throwaway server)
/// give the same catalog content and byte-identical exports.
final class PostgresParityTests: XCTestCase {
    private var server: TestPostgres?

    override func tearDown() {
        server?.stop()
        super.tearDown()
    }

    func testSameClipGivesSameCatalogAndExportOnBothBackends() throws {
        let server = try TestPostgres()
        self.server = server
        let clip = try TestFiles.asset("carphone_pristine.mp4").path
        let dir = try TestFiles.tempDirectory("pg-parity")
        let liteDir = dir.appendingPathComponent("lite"), crops = dir.appendingPathComponent("crops")
        try FileManager.default.createDirectory(at: liteDir, withIntermediateDirectories: true)
        let lite = liteDir.appendingPathComponent("c.db").path
        let pg = try server.createDatabase()
        let options = ["--detect-every", "4", "--threads", "2", "--quiet"]

        let a = try TestCLI.run(["ingest", clip, "--catalog", lite] + options, in: dir)
        XCTAssertEqual(a.status, 0, a.err)
        // With a PostgreSQL catalog the crops need a folder of their own.
        let refused = try TestCLI.run(["ingest", clip, "--catalog", pg] + options, in: dir)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.err.contains("--crops"), refused.err)
        let b = try TestCLI.run(["ingest", clip, "--catalog", pg, "--crops", crops.path] + options, in: dir)
        XCTAssertEqual(b.status, 0, b.err)

        // Catalog content: videos, tracks, faces, sequences (ingest times aside).
        let l = try Catalog.openForReading(location: lite), p = try Catalog.openForReading(location: pg, crops: crops.path)
        defer { l.close(); p.close() }
        var lv = try l.videos(), pv = try p.videos()
        XCTAssertEqual(lv.count, 1)
        for i in lv.indices { lv[i].ingestedAt = "" }
        for i in pv.indices { pv[i].ingestedAt = "" }
        XCTAssertEqual(lv, pv)
        XCTAssertFalse(try l.tracks().isEmpty)
        XCTAssertEqual(try l.tracks(), try p.tracks())
        XCTAssertEqual(try l.faces(videoID: lv[0].id!), try p.faces(videoID: pv[0].id!))
        XCTAssertFalse(try l.sequences().isEmpty)
        XCTAssertEqual(try l.sequences(), try p.sequences())
        XCTAssertEqual(TestFiles.files(under: liteDir.appendingPathComponent("crops")), TestFiles.files(under: crops.appendingPathComponent("crops")))

        // The reading commands, through the environment variable for PostgreSQL.
        var env = ProcessInfo.processInfo.environment
        env["SEQCURATE_CATALOG"] = pg
        env["SEQCURATE_CROPS"] = crops.path
        for command in [["tracks", "--json"], ["sequences", "--json"]] {
            let x = try TestCLI.run(command + ["--catalog", lite], in: dir)
            let y = try TestCLI.run(command, in: dir, environment: env)
            XCTAssertEqual(x.status, 0, x.err)
            XCTAssertEqual(y.status, 0, y.err)
            XCTAssertEqual(x.out, y.out, command.joined(separator: " "))
        }
        let stats = try TestCLI.run(["stats"], in: dir, environment: env)
        XCTAssertEqual(stats.status, 0, stats.err)

        // Byte-identical exports.
        let outA = dir.appendingPathComponent("export-lite"), outB = dir.appendingPathComponent("export-pg")
        let ea = try TestCLI.run(["export", "--catalog", lite, "--out", outA.path], in: dir)
        let eb = try TestCLI.run(["export", "--catalog", pg, "--crops", crops.path, "--out", outB.path], in: dir)
        XCTAssertEqual(ea.status, 0, ea.err)
        XCTAssertEqual(eb.status, 0, eb.err)
        let files = TestFiles.files(under: outA)
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(files, TestFiles.files(under: outB))
        for f in files {
            XCTAssertEqual(try Data(contentsOf: outA.appendingPathComponent(f)), try Data(contentsOf: outB.appendingPathComponent(f)), f)
        }
    }
}
