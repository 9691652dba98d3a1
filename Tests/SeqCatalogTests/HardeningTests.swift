import CSQLite
import Foundation
import SeqCore
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// Read-only catalogs, how runs end, errors in plain words, output-folder guard, failed exports.
final class HardeningTests: XCTestCase {
    /// Words of SQLite's own messages that must never reach a user.
    static let sqlWords = ["UNIQUE", "constraint failed", "INSERT", "SELECT", "SQLite", "sqlite", "no such table", "readonly database"]

    private func assertPlain(_ error: Error, contains phrase: String, file: StaticString = #filePath, line: UInt = #line) {
        let text = "\(error)"
        XCTAssertTrue(error is SeqError, "\(type(of: error))", file: file, line: line)
        XCTAssertTrue(text.contains(phrase), text, file: file, line: line)
        XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
        for w in Self.sqlWords { XCTAssertFalse(text.contains(w), "raw SQL text '\(w)' in: \(text)", file: file, line: line) }
    }

    // MARK: errors in words

    func testConstraintErrorsAreWordsNotSQL() throws {
        let (catalog, _) = try makeFixtureCatalog(self)
        XCTAssertThrowsError(try catalog.insertVideo(VideoRecord(path: "/x.mp4", contentHash: "h1", duration: 1, fps: 1, width: 1, height: 1, frameCount: 1))) {
            assertPlain($0, contains: "cannot add to videos: the catalog already holds this entry")
        }
        XCTAssertThrowsError(try catalog.insertSequence(SequenceRecord(trackID: 999, videoID: 999, faceCount: 1, firstFrame: 0, lastFrame: 0))) {
            assertPlain($0, contains: "refers to an entry that is not in the catalog")
        }
    }

    // MARK: read-only catalogs

    /// A catalog with some rows, closed cleanly (its -wal and -shm files are gone).
    private func makeClosedCatalog() throws -> (URL, Int) {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let videos = try catalog.videos().count
        catalog.close()
        let url = dir.appendingPathComponent("seqcurate.db")
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path + "-wal"))
        return (url, videos)
    }

    func testReadOnlyOpenReadsWithoutWritingAnything() throws {
        let (url, videos) = try makeClosedCatalog()
        let before = try Data(contentsOf: url)
        let catalog = try Catalog.openForReading(at: url)
        XCTAssertTrue(catalog.isReadOnly)
        XCTAssertEqual(try catalog.videos().count, videos)
        XCTAssertGreaterThan(try catalog.stats().sequences, 0)
        XCTAssertThrowsError(try catalog.beginIngestRun(IngestRunRecord(detector: "x", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "t"))) {
            assertPlain($0, contains: "read-only")
        }
        catalog.close()
        XCTAssertEqual(try Data(contentsOf: url), before, "reading changed the file")
        for suffix in ["-wal", "-shm"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: url.path + suffix), "reading left \(suffix) behind")
        }
    }

    func testImmutableOpenNeedsNoWALOrSHMFiles() throws {
        // What openForReading falls back to where the folder cannot be written: root ignores
        // file modes, so the immutable connection is checked directly.
        let (url, videos) = try makeClosedCatalog()
        // The plain read-only connection, used where the file cannot be written but its -shm
        // can be made, refuses writes as well.
        let plain = try SQLiteConnection(path: url.path, readOnly: true)
        XCTAssertEqual(try plain.statement("SELECT count(*) AS videos FROM videos").first { try $0["videos"] as Int }, videos)
        XCTAssertThrowsError(try plain.execute("DELETE FROM videos")) { assertPlain($0, contains: "read-only") }
        plain.close()
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: url.path + suffix) }

        let connection = try SQLiteConnection(path: url.path, immutable: true)
        XCTAssertEqual(try connection.statement("SELECT count(*) AS videos FROM videos").first { try $0["videos"] as Int }, videos)
        connection.close()
        for suffix in ["-wal", "-shm"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: url.path + suffix), "immutable open created \(suffix)")
        }
        // A path with URI characters still names the same file.
        let odd = url.deletingLastPathComponent().appendingPathComponent("a?b#c%d.db")
        try FileManager.default.copyItem(at: url, to: odd)
        let oddConnection = try SQLiteConnection(path: odd.path, immutable: true)
        XCTAssertEqual(try oddConnection.statement("SELECT count(*) AS videos FROM videos").first { try $0["videos"] as Int }, videos)
        oddConnection.close()
    }

    func testCatalogOnAReadOnlyMountIsReadable() throws {
        let (url, videos) = try makeClosedCatalog()
        let mount = try ReadOnlyMount(of: url.deletingLastPathComponent(), test: self)
        let roURL = mount.point.appendingPathComponent(url.lastPathComponent)
        XCTAssertFalse(Catalog.isWritable(roURL))
        // Writing commands are refused in words ...
        XCTAssertThrowsError(try Catalog.open(at: roURL)) { assertPlain($0, contains: "read-only") }
        // ... reading ones work, though no -shm can be created there.
        let catalog = try Catalog.openForReading(at: roURL)
        XCTAssertEqual(try catalog.videos().count, videos)
        XCTAssertEqual(try catalog.ingestRuns().count, 0)
        // export writes its lists and skips its record.
        let out = try TestFiles.tempDirectory("seqcatalog-export", removedAfter: self).appendingPathComponent("lists")
        let result = try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))
        XCTAssertNil(result.exportID)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path))
        catalog.close()
    }

    func testReadOnlyOpenOfAnOlderSchemaReadsRunsAndTheWritableOpenMigratesKeepingReferences() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let url = dir.appendingPathComponent("v1.db")
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(url.path, &db), SQLITE_OK)
        let v1 = CatalogSchemaSQL.migrations[0].sql + """
            PRAGMA user_version = 1;
            PRAGMA journal_mode = WAL;
            INSERT INTO ingest_runs (id, detector, seqcurate_version, started_at, status) VALUES (7, 'mtcnn', '0.1.0', 't', 'running');
            INSERT INTO videos (path, content_hash, status, ingest_run_id, ingested_at) VALUES ('/v.mp4', 'h', 'ok', 7, 't');
            """
        XCTAssertEqual(sqlite3_exec(db, v1, nil, nil, nil), SQLITE_OK, String(cString: sqlite3_errmsg(db)))
        sqlite3_close(db)

        let reader = try Catalog.openForReading(at: url)
        XCTAssertEqual(try reader.schemaVersion(), 1, "reading does not migrate")
        XCTAssertEqual(try reader.ingestRuns().map(\.id), [7])
        XCTAssertNil(try reader.ingestRuns()[0].pid)
        reader.close()

        let writer = try Catalog.open(at: url)
        XCTAssertEqual(try writer.schemaVersion(), Catalog.currentSchemaVersion)
        XCTAssertEqual(try writer.videos()[0].ingestRunID, 7, "rebuilding ingest_runs kept the video's reference")
        XCTAssertEqual(try writer.scalar("PRAGMA foreign_keys"), 1)
        // The rebuilt table takes the new status.
        try writer.markRunInterrupted(id: 7)
        XCTAssertEqual(try writer.ingestRuns()[0].status, .interrupted)
    }

    // MARK: how runs end

    func testRunsOfProcessesThatAreGoneBecomeInterrupted() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        // A pid that is certainly gone: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        func run(pid: Int32, host: String) throws -> Int64 {
            try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "t",
                                                       pid: pid, host: host))
        }
        let dead = try run(pid: child.processIdentifier, host: Catalog.hostName)
        let alive = try run(pid: getpid(), host: Catalog.hostName)
        let elsewhere = try run(pid: child.processIdentifier, host: "another-host-\(UUID())")
        // The next run's start tidies up: only the dead process of this host is marked.
        let next = try run(pid: getpid(), host: Catalog.hostName)
        let status = Dictionary(uniqueKeysWithValues: try catalog.ingestRuns().map { ($0.id!, $0) })
        XCTAssertEqual(status[dead]?.status, .interrupted)
        XCTAssertNotNil(status[dead]?.endedAt)
        XCTAssertEqual(status[alive]?.status, .running)
        XCTAssertEqual(status[elsewhere]?.status, .running)
        XCTAssertEqual(status[next]?.pid, getpid())
        XCTAssertEqual(status[next]?.host, Catalog.hostName)
        // A finished run is never rewritten by a late interruption.
        try catalog.finishIngestRun(id: alive, status: .finished)
        try catalog.markRunInterrupted(id: alive)
        XCTAssertEqual(try catalog.ingestRuns().first { $0.id == alive }?.status, .finished)
    }

    // MARK: output folders

    func testOutputFoldersHoldingCatalogDataAreRefused() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let refused: [(URL, String)] = [
            (dir, "catalog's folder"),
            (dir.deletingLastPathComponent(), "holds the catalog"),
            (dir.appendingPathComponent("crops"), "holds catalog crops"),
            (dir.appendingPathComponent("crops/v1/t1"), "inside the catalog's crops folder"),
            (dir.appendingPathComponent("ids"), "holds identity images"),
        ]
        for (out, phrase) in refused {
            XCTAssertThrowsError(try catalog.checkOutputFolder(out), out.path) { assertPlain($0, contains: phrase) }
        }
        // Through a symbolic link too.
        let link = try TestFiles.tempDirectory("seqcatalog-link", removedAfter: self).appendingPathComponent("c")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: dir.appendingPathComponent("crops"))
        XCTAssertThrowsError(try catalog.checkOutputFolder(link)) { assertPlain($0, contains: "crops") }
        // Ordinary folders beside the catalog are fine.
        XCTAssertNoThrow(try catalog.checkOutputFolder(dir.appendingPathComponent("lists")))
        XCTAssertNoThrow(try catalog.checkOutputFolder(dir.appendingPathComponent("idsx")))
    }

    // MARK: failed exports leave nothing

    func testAnExportThatFailsWhileRecordingLeavesNothingAndARetryWorks() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let out = dir.appendingPathComponent("lists")
        // The record fails after every list is written and just before the rename: the worst moment.
        try catalog.db.execute("CREATE TEMP TRIGGER fail_export BEFORE INSERT ON exports BEGIN SELECT RAISE(ABORT, 'injected'); END")
        XCTAssertThrowsError(try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))) { error in
            XCTAssertTrue(error is SeqError)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "a failed export left its lists")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".lists.") }, [], "temporary folder left")
        XCTAssertEqual(try catalog.exports().count, 0)

        try catalog.db.execute("DROP TRIGGER fail_export")
        let result = try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))
        XCTAssertNotNil(result.exportID)
        XCTAssertEqual(try catalog.exports().count, 1)
    }

    func testAnExportThatRunsOutOfSpaceWritingItsListsLeavesNothingAndARetryWorks() throws {
        let (catalog, _) = try makeFixtureCatalog(self)
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let disk = try TestFiles.tempDirectory("seqcatalog-full", removedAfter: self)
        guard TestCLI.sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", disk.path) else { throw XCTSkip("tmpfs mounts are not allowed here") }
        addTeardownBlock { TestCLI.sh("umount", disk.path) }
        let filler = disk.appendingPathComponent("filler")
        try Data(count: 60 * 1024).write(to: filler)
        let out = disk.appendingPathComponent("lists")
        XCTAssertThrowsError(try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))) {
            XCTAssertEqual("\($0)", "\(out.path): cannot write the export: no space left on the device")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: disk.path), ["filler"], "nothing left, not even the temporary folder")
        XCTAssertEqual(try catalog.exports().count, 0)
        try FileManager.default.removeItem(at: filler)
        XCTAssertNotNil(try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out)).exportID)
    }

    func testAnExportThatFailsReplacingAnOldOneKeepsTheOldOne() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let out = dir.appendingPathComponent("lists")
        _ = try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))
        let before = try Data(contentsOf: out.appendingPathComponent("manifest.json"))
        try catalog.db.execute("CREATE TEMP TRIGGER fail_export BEFORE INSERT ON exports BEGIN SELECT RAISE(ABORT, 'injected'); END")
        var options = ExportOptions(outDir: out)
        options.force = true
        options.minImagesPerIdentity = 2
        XCTAssertThrowsError(try TrainingListExporter(catalog: catalog).export(options))
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("manifest.json")), before, "the old export is back in place")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".lists.") }, [])
        XCTAssertEqual(try catalog.exports().count, 1)
    }
}

/// A read-only bind mount of a folder (root, where mounting is allowed), unmounted when the
/// test ends; skips the test elsewhere.
struct ReadOnlyMount {
    let point: URL

    init(of folder: URL, test: XCTestCase) throws {
        guard getuid() == 0 else { throw XCTSkip("read-only bind mounts need root") }
        let point = try TestFiles.tempDirectory("seqcatalog-ro", removedAfter: test)
        guard TestCLI.sh("mount", "--bind", folder.path, point.path) else { throw XCTSkip("mount --bind is not allowed here") }
        test.addTeardownBlock { _ = TestCLI.sh("umount", point.path) }
        guard TestCLI.sh("mount", "-o", "remount,bind,ro", point.path) else { throw XCTSkip("cannot remount read-only here") }
        self.point = point
    }
}
