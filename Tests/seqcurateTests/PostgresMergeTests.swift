import Foundation
import SeqCatalog
import SeqTestSupport
import XCTest

/// `seqcurate merge` with PostgreSQL catalogs (a throwaway server): SQLite shards into
/// PostgreSQL, PostgreSQL into PostgreSQL and into SQLite, each giving the content and the
/// export lists one SQLite run over all inputs gives.
final class PostgresMergeTests: XCTestCase {
    /// Three cuts of about 1.3 s of the sample video, re-encoded so each has content of its own.
    private func clips(in dir: URL) throws -> URL {
        let source = try TestFiles.asset("carphone_pristine.mp4")
        let folder = dir.appendingPathComponent("videos")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for i in 0..<3 {
            let p = Process()
            p.executableURL = try TestMedia.ffmpeg()
            p.arguments = ["-v", "error", "-ss", String(format: "%.2f", Double(i) * 1.34), "-t", "1.3", "-i", source.path,
                           "-an", "-c:v", "mpeg4", "-q:v", "2", "-y", folder.appendingPathComponent("clip\(i).mp4").path]
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "ffmpeg could not cut clip \(i)")
        }
        return folder
    }

    private func cli(_ args: [String], _ dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try TestCLI.run(args, in: dir)
        XCTAssertTrue(r.succeeded, r.all, file: file, line: line)
        return r
    }

    /// The export lists (.txt) of `name` equal those of `reference`, byte for byte.
    private func assertSameExport(_ name: String, as reference: String, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let files = TestFiles.files(under: dir.appendingPathComponent(reference)).filter { $0.hasSuffix(".txt") }
        XCTAssertFalse(files.isEmpty, file: file, line: line)
        for f in files {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("\(name)/\(f)")),
                           try Data(contentsOf: dir.appendingPathComponent("\(reference)/\(f)")), f, file: file, line: line)
        }
    }

    func testShardsMergedIntoPostgresAndBackEqualOneSQLiteRun() throws {
        let server = try TestPostgres.started(stoppedAfter: self)
        let dir = try TestFiles.tempDirectory("seqcurate-pgmerge", removedAfter: self)
        let folder = try clips(in: dir).path
        let ingest = ["ingest", "--quiet", "--threads", "1", folder]
        _ = try cli(ingest + ["--catalog", "all/seqcurate.db"], dir)
        for k in 0..<2 { _ = try cli(ingest + ["--catalog", "s\(k)/seqcurate.db", "--shard", "\(k)/2"], dir) }
        let one = try Catalog.openForReading(at: dir.appendingPathComponent("all/seqcurate.db"))
        defer { one.close() }
        let dump = try one.contentDump()
        XCTAssertGreaterThan(try one.sequences().count, 0, "the clips should give sequences")
        _ = try cli(["export", "--catalog", "all/seqcurate.db", "--out", "export-all"], dir)

        // SQLite shards → PostgreSQL.
        let pg = try server.createDatabase()
        let merge = ["merge", "s0/seqcurate.db", "s1/seqcurate.db", "--into", pg, "--crops", "pgcrops"]
        let refused = try TestCLI.run(Array(merge.dropLast(2)), in: dir)
        XCTAssertFalse(refused.succeeded)
        XCTAssertTrue(refused.err.contains("--crops"), refused.err)
        XCTAssertTrue(try cli(merge, dir).out.contains("3 videos added, 0 already there"))
        let merged = try Catalog.openForReading(location: pg, crops: dir.appendingPathComponent("pgcrops").path)
        defer { merged.close() }
        XCTAssertEqual(try merged.contentDump(), dump)
        XCTAssertEqual(try merged.mergedRuns().map(\.sourceRunID), [1, 1])
        for q in try merged.sequences() {
            for face in try merged.sequenceFaces(sequenceID: q.id!) {
                XCTAssertTrue(FileManager.default.fileExists(atPath: merged.resolve(face.cropPath!).path), face.cropPath!)
            }
        }
        _ = try cli(["export", "--catalog", pg, "--crops", "pgcrops", "--out", "export-pg"], dir)
        try assertSameExport("export-pg", as: "export-all", in: dir)

        // Again: nothing changes.
        XCTAssertTrue(try cli(merge, dir).out.contains("0 videos added, 3 already there; 0 runs"))
        XCTAssertEqual(try merged.contentDump(), dump)
        XCTAssertEqual(try merged.ingestRuns().count, 2)

        // PostgreSQL → PostgreSQL (one crops folder serves both) and PostgreSQL → SQLite.
        let pg2 = try server.createDatabase()
        XCTAssertTrue(try cli(["merge", pg, "--into", pg2, "--crops", "pgcrops"], dir).out.contains("3 videos added"))
        XCTAssertTrue(try cli(["merge", pg, "--into", "back/seqcurate.db", "--crops", "pgcrops"], dir).out.contains("3 videos added"))
        let self2 = try TestCLI.run(["merge", pg, "--into", pg, "--crops", "pgcrops"], in: dir)
        XCTAssertFalse(self2.succeeded)
        XCTAssertTrue(self2.err.contains("into itself"), self2.err)
        let other = try Catalog.openForReading(location: pg2, crops: dir.appendingPathComponent("pgcrops").path)
        defer { other.close() }
        XCTAssertEqual(try other.contentDump(), dump)
        let back = try Catalog.openForReading(at: dir.appendingPathComponent("back/seqcurate.db"))
        defer { back.close() }
        XCTAssertEqual(try back.contentDump(), dump)
        _ = try cli(["export", "--catalog", "back/seqcurate.db", "--out", "export-back"], dir)
        try assertSameExport("export-back", as: "export-all", in: dir)
        // The provenance goes back to the shards through the PostgreSQL catalog.
        XCTAssertEqual(try back.mergedRuns().map(\.sourceRunID), [1, 1])
    }
}
