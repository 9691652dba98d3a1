import Foundation
import SeqCatalog
import SeqTestSupport
import XCTest

/// The same command lines on a SQLite catalog and on a PostgreSQL one (a throwaway server)
/// give the same catalog content and byte-identical exports.
final class PostgresParityTests: XCTestCase {
    func testSameClipGivesSameCatalogAndExportOnBothBackends() throws {
        let server = try TestPostgres.started(stoppedAfter: self)
        let clip = try TestFiles.asset("carphone_pristine.mp4").path
        let dir = try TestFiles.tempDirectory("pg-parity")
        // The SQLite run's folder is then moved away and the same path serves as the PostgreSQL
        // crops folder: the export manifest records the root folder, and it must match too.
        let work = dir.appendingPathComponent("work"), moved = dir.appendingPathComponent("work-sqlite")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let lite = work.appendingPathComponent("c.db").path
        let pg = try server.createDatabase()
        let options = ["--detect-every", "4", "--threads", "2", "--quiet"]
        let readers = [["tracks", "--json"], ["sequences", "--json"]]

        let a = try TestCLI.run(["ingest", clip, "--catalog", lite] + options, in: dir)
        XCTAssertEqual(a.status, 0, a.err)
        let outA = dir.appendingPathComponent("export-lite"), outB = dir.appendingPathComponent("export-pg")
        let ea = try TestCLI.run(["export", "--catalog", lite, "--out", outA.path], in: dir)
        XCTAssertEqual(ea.status, 0, ea.err)
        let liteOutputs = try readers.map { try TestCLI.run($0 + ["--catalog", lite], in: work) }
        let l = try Catalog.openForReading(location: lite)
        var lv = try l.videos()
        XCTAssertEqual(lv.count, 1)
        let (lt, lf, lq) = (try l.tracks(), try l.faces(videoID: lv[0].id!), try l.sequences())
        l.close()
        XCTAssertFalse(lt.isEmpty)
        XCTAssertFalse(lq.isEmpty)
        try FileManager.default.moveItem(at: work, to: moved)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        // With a PostgreSQL catalog the crops need a folder of their own.
        let refused = try TestCLI.run(["ingest", clip, "--catalog", pg] + options, in: dir)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.err.contains("--crops"), refused.err)
        let b = try TestCLI.run(["ingest", clip, "--catalog", pg, "--crops", work.path] + options, in: dir)
        XCTAssertEqual(b.status, 0, b.err)

        // Catalog content: videos, tracks, faces, sequences (ingest times aside).
        let p = try Catalog.openForReading(location: pg, crops: work.path)
        defer { p.close() }
        var pv = try p.videos()
        for i in lv.indices { lv[i].ingestedAt = "" }
        for i in pv.indices { pv[i].ingestedAt = "" }
        XCTAssertEqual(lv, pv)
        guard pv.count == 1 else { return }
        XCTAssertEqual(lt, try p.tracks())
        XCTAssertEqual(lf, try p.faces(videoID: pv[0].id!))
        XCTAssertEqual(lq, try p.sequences())
        XCTAssertEqual(TestFiles.files(under: moved.appendingPathComponent("crops")), TestFiles.files(under: work.appendingPathComponent("crops")))

        // The reading commands, through the environment variables for PostgreSQL.
        var env = ProcessInfo.processInfo.environment
        env["SEQCURATE_CATALOG"] = pg
        env["SEQCURATE_CROPS"] = work.path
        for (command, x) in zip(readers, liteOutputs) {
            let y = try TestCLI.run(command, in: work, environment: env)
            XCTAssertEqual(x.status, 0, x.err)
            XCTAssertEqual(y.status, 0, y.err)
            XCTAssertEqual(x.out, y.out, command.joined(separator: " "))
        }
        let stats = try TestCLI.run(["stats"], in: dir, environment: env)
        XCTAssertEqual(stats.status, 0, stats.err)

        // Byte-identical exports.
        let eb = try TestCLI.run(["export", "--catalog", pg, "--crops", work.path, "--out", outB.path], in: dir)
        XCTAssertEqual(eb.status, 0, eb.err)
        let files = TestFiles.files(under: outA)
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(files, TestFiles.files(under: outB))
        for f in files {
            XCTAssertEqual(try Data(contentsOf: outA.appendingPathComponent(f)), try Data(contentsOf: outB.appendingPathComponent(f)), f)
        }
    }
}
