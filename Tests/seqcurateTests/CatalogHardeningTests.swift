import Foundation
import SeqCatalog
import SeqTestSupport
import XCTest

/// The catalog commands as a user runs them, where they used to lose data, die on raw SQL
/// errors, leave runs `running`, or replace /dev/null.
final class CatalogHardeningTests: XCTestCase {
    /// Words of SQLite's own messages that must never reach a user.
    static let sqlWords = ["UNIQUE", "constraint", "SQLite", "sqlite", "INSERT", "SELECT", "no such table", "database is locked"]

    typealias Run = CLIResult

    private func launch(_ args: [String], stdout: Any? = nil) throws -> (Process, Pipe, Pipe) {
        try TestCLI.launch(args, stdout: stdout)
    }

    @discardableResult
    private func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        try TestCLI.run(args, file: file, line: line)
    }

    private func assertNoSQL(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        for w in Self.sqlWords { XCTAssertFalse(text.contains(w), "raw SQL text '\(w)' reached the user:\n\(text)", file: file, line: line) }
    }

    /// A catalog with the carphone sample ingested (about a second).
    private func ingestedCatalog() throws -> URL {
        let dir = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)
        let db = dir.appendingPathComponent("data/seqcurate.db")
        let r = try run(["ingest", try TestFiles.asset("carphone_pristine.mp4").path, "--catalog", db.path, "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        return db
    }

    // MARK: D1: report into the crops folder

    func testReportAndExportRefuseFoldersHoldingCatalogCropsEvenWithForce() throws {
        let db = try ingestedCatalog()
        let folder = db.deletingLastPathComponent()
        let crops = TestFiles.files(under: folder.appendingPathComponent("crops"))
        XCTAssertFalse(crops.isEmpty)
        let targets = [folder.appendingPathComponent("crops"), folder.appendingPathComponent("crops/\(crops[0].split(separator: "/")[0])"),
                       folder, folder.deletingLastPathComponent()]
        for out in targets {
            for command in ["report", "export"] {
                let r = try run([command, "--catalog", db.path, "--out", out.path, "--force"])
                XCTAssertEqual(r.status, 1, "\(command) --out \(out.path) --force: \(r.all)")
                XCTAssertEqual(r.reason, .exit)
                XCTAssertTrue(r.err.contains("Choose another --out"), r.err)
                XCTAssertTrue(r.err.contains(out.path), r.err)
            }
        }
        XCTAssertEqual(TestFiles.files(under: folder.appendingPathComponent("crops")), crops, "every crop is still there")
        XCTAssertTrue(FileManager.default.fileExists(atPath: db.path))
        // A folder beside the catalog is fine.
        XCTAssertEqual(try run(["report", "--catalog", db.path, "--out", folder.appendingPathComponent("report").path, "--quiet"]).status, 0)
    }

    // MARK: D2: concurrent ingests meeting the same videos

    func testConcurrentIngestsWithOverlappingInputsIngestEachVideoOnceAndAllSucceed() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)
        let db = dir.appendingPathComponent("seqcurate.db")
        let car = try TestFiles.asset("carphone_pristine.mp4"), mega = try TestFiles.asset("Megamind.avi")
        let carCopy = dir.appendingPathComponent("copy of carphone.mp4"), megaCopy = dir.appendingPathComponent("copy_megamind.avi")
        try FileManager.default.copyItem(at: car, to: carCopy)
        try FileManager.default.copyItem(at: mega, to: megaCopy)
        // Every process gets every content twice, in different orders, and they start together.
        let orders = [[car, mega, carCopy, megaCopy], [carCopy, megaCopy, car, mega], [mega, car, megaCopy, carCopy]]
        // Sparse detection keeps the test short; the race is about the catalog, not the faces.
        let processes = try orders.map { order in
            try launch(["ingest"] + order.map(\.path) + ["--catalog", db.path, "--quiet", "--detect-every", "6"])
        }
        let readers = processes.map { (PipeReader($0.1.fileHandleForReading), PipeReader($0.2.fileHandleForReading)) }
        var ingested = 0
        for ((p, _, _), (out, err)) in zip(processes, readers) {
            p.waitUntilExit()
            let text = out.text() + err.text()
            XCTAssertEqual(p.terminationReason, .exit, text)
            XCTAssertEqual(p.terminationStatus, 0, text)
            assertNoSQL(text)
            // "ingested N, skipped M, failed 0 of 4 videos"
            let summary = try XCTUnwrap(out.text().split(separator: "\n").first { $0.hasPrefix("ingested ") }, text)
            XCTAssertTrue(summary.contains("failed 0 of 4 videos"), String(summary))
            ingested += Int(summary.dropFirst("ingested ".count).prefix { $0.isNumber }) ?? 0
            for line in err.text().split(separator: "\n") {
                XCTAssertTrue(line.contains("skipped, another seqcurate process ingested the same video meanwhile"), "unexpected: \(line)")
            }
        }
        XCTAssertEqual(ingested, 2, "each content ingested exactly once over all processes")
        let catalog = try Catalog.openForReading(at: db)
        XCTAssertEqual(try catalog.videos().count, 2)
        XCTAssertEqual(Set(try catalog.videos().map(\.status)), [.ok])
        XCTAssertEqual(Set(try catalog.ingestRuns().map(\.status)), [.finished])
        // Crops: one folder per video, nothing left in staging.
        let cropFolders = TestFiles.files(under: dir.appendingPathComponent("crops")).map { $0.split(separator: "/").prefix(2).joined(separator: "/") }
        XCTAssertEqual(Set(cropFolders).count, 2, "\(Set(cropFolders))")
        XCTAssertFalse(cropFolders.contains { $0.hasPrefix(".staging") })
        let referenced = Set(try catalog.videos().flatMap { try catalog.cropPaths(videoID: $0.id!) }.map { String($0.dropFirst("crops/".count)) })
        XCTAssertEqual(Set(TestFiles.files(under: dir.appendingPathComponent("crops"))), referenced, "no orphan and no missing crop")
        catalog.close()
    }

    // MARK: runs end as failed or interrupted

    func testSIGTERMEndsTheRunAsInterruptedAndAKilledRunIsFoundByTheNext() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)
        let db = dir.appendingPathComponent("seqcurate.db")
        let mega = try TestFiles.asset("Megamind.avi")
        // Two inputs, so the run prints "[1/2] …" when it starts on the first video: by then
        // its run row is written, and Megamind takes seconds to analyse.
        func startAndWaitForFirstVideo() throws -> (Process, PipeReader) {
            let (p, _, err) = try launch(["ingest", mega.path, mega.path, "--catalog", db.path])
            let lines = LineReader(err.fileHandleForReading)
            let first = lines.next()
            XCTAssertTrue(first?.hasPrefix("[1/2]") == true, first ?? "no line")
            return (p, lines.rest())
        }
        let (p, err) = try startAndWaitForFirstVideo()
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit, "ended by exit, not by the signal")
        XCTAssertEqual(p.terminationStatus, 128 + SIGTERM)
        XCTAssertTrue(err.text().contains("interrupted by SIGTERM"), err.text())
        var catalog = try Catalog.openForReading(at: db)
        XCTAssertEqual(try catalog.ingestRuns().map(\.status), [.interrupted])
        XCTAssertNotNil(try catalog.ingestRuns()[0].endedAt)
        XCTAssertEqual(try catalog.videos().count, 0)
        catalog.close()

        // SIGKILL cannot be handled: the next run finds the process gone.
        let (q, _) = try startAndWaitForFirstVideo()
        kill(q.processIdentifier, SIGKILL)
        q.waitUntilExit()
        XCTAssertEqual(try run(["ingest", dir.appendingPathComponent("missing.mp4").path, "--catalog", db.path, "--quiet"]).status, 1)
        catalog = try Catalog.openForReading(at: db)
        XCTAssertEqual(try catalog.ingestRuns().map(\.status), [.interrupted, .interrupted, .failed])
        catalog.close()
    }

    // MARK: D3: output files that are devices, FIFOs or standard output

    /// A null device of the test's own where root may make one, else the machine's.
    private func nullDevice() throws -> String {
        let own = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self).appendingPathComponent("null").path
        if mknod(own, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 { return own }
        return "/dev/null"
    }

    private func isCharacterDevice(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR
    }

    func testFramesRawWritesIntoDevicesFIFOsAndStandardOutputAndReplacesOnlyFiles() throws {
        let video = try TestFiles.asset("carphone_pristine.mp4").path
        let bytes = 120 * 176 * 144 * 3
        for null in Set([try nullDevice(), "/dev/null"]) where isCharacterDevice(null) {
            let r = try run(["frames", video, "--raw", null])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertTrue(isCharacterDevice(null), "\(null) was replaced")
        }

        let dir = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)
        let fifo = dir.appendingPathComponent("frames.fifo")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let (p, _, _) = try launch(["frames", video, "--raw", fifo.path])
        // Opening the FIFO for reading is what lets the writer go on.
        let received = try XCTUnwrap(FileHandle(forReadingAtPath: fifo.path)).readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(received.count, bytes)
        var st = stat()
        XCTAssertEqual(lstat(fifo.path, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO, "the FIFO is still a FIFO")

        let out = Pipe()
        let (q, _, _) = try launch(["frames", video, "--raw", "-"], stdout: out)
        let streamed = PipeReader(out.fileHandleForReading)
        q.waitUntilExit()
        XCTAssertEqual(q.terminationStatus, 0)
        XCTAssertEqual(streamed.data().count, bytes)

        let file = dir.appendingPathComponent("frames.rgb")
        try Data("old".utf8).write(to: file)
        XCTAssertEqual(try run(["frames", video, "--raw", file.path]).status, 0)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int, bytes)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), ["frames.fifo", "frames.rgb"], "no temporary file left")

        // A full device is an error with a message and an exit code, not a crash.
        if FileManager.default.fileExists(atPath: "/dev/full") {
            let r = try run(["frames", video, "--raw", "/dev/full"])
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.err.contains("/dev/full: cannot write: no space left on the device"), r.err)
        }
    }

    // MARK: read-only catalogs

    func testReadingCommandsWorkOnACatalogOnAReadOnlyFileSystem() throws {
        let db = try ingestedCatalog()
        guard getuid() == 0 else { throw XCTSkip("read-only bind mounts need root") }
        let point = try TestFiles.tempDirectory("seqcurate-ro", removedAfter: self)
        guard TestCLI.sh("mount", "--bind", db.deletingLastPathComponent().path, point.path) else { throw XCTSkip("mount --bind is not allowed here") }
        addTeardownBlock { TestCLI.sh("umount", point.path) }
        guard TestCLI.sh("mount", "-o", "remount,bind,ro", point.path) else { throw XCTSkip("cannot remount read-only here") }
        let ro = point.appendingPathComponent("seqcurate.db").path
        let out = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)

        let stats = try run(["stats", "--catalog", ro])
        XCTAssertEqual(stats.status, 0, stats.err)
        XCTAssertTrue(stats.out.contains("videos            1"), stats.out)
        XCTAssertEqual(try run(["tracks", "--catalog", ro]).status, 0)
        let report = try run(["report", "--catalog", ro, "--out", out.appendingPathComponent("report").path, "--quiet"])
        XCTAssertEqual(report.status, 0, report.err)
        let export = try run(["export", "--catalog", ro, "--out", out.appendingPathComponent("lists").path])
        XCTAssertEqual(export.status, 0, export.err)
        XCTAssertTrue(export.err.contains("not recorded"), export.err)
        let ingest = try run(["ingest", try TestFiles.asset("Megamind.avi").path, "--catalog", ro])
        XCTAssertEqual(ingest.status, 1)
        XCTAssertTrue(ingest.err.contains("the catalog is read-only"), ingest.err)
        for r in [stats, report, export, ingest] { assertNoSQL(r.all) }
    }

    // MARK: a full disk

    func testIngestOnAFullDiskSaysNoSpaceLeftAndEndsTheRunFailed() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let dir = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)
        guard TestCLI.sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path) else { throw XCTSkip("tmpfs mounts are not allowed here") }
        addTeardownBlock { TestCLI.sh("umount", dir.path) }
        let db = dir.appendingPathComponent("seqcurate.db")
        // Make the catalog (a missing input is reported and fails the run, nothing more).
        XCTAssertEqual(try run(["ingest", dir.appendingPathComponent("none.mp4").path, "--catalog", db.path, "--quiet"]).status, 1)
        var fs = statvfs()
        XCTAssertEqual(statvfs(dir.path, &fs), 0)
        try Data(count: max(0, Int(fs.f_bavail) * Int(fs.f_bsize) - 60_000)).write(to: dir.appendingPathComponent("filler"))

        let r = try run(["ingest", try TestFiles.asset("carphone_pristine.mp4").path, "--catalog", db.path, "--quiet"])
        XCTAssertEqual(r.status, 1, r.all)
        XCTAssertEqual(r.reason, .exit)
        XCTAssertTrue(r.err.contains("no space left on the device"), r.err)
        XCTAssertTrue(r.err.contains("/crops/"), "names the crop file: \(r.err)")
        assertNoSQL(r.all)
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), [])
        try FileManager.default.removeItem(at: dir.appendingPathComponent("filler"))
        let catalog = try Catalog.openForReading(at: db)
        XCTAssertEqual(try catalog.ingestRuns().map(\.status), [.failed, .failed])
        catalog.close()
    }

    // MARK: import-identities tells the truth

    func testImportIdentitiesSaysWhatItDidWithReimportsHiddenFoldersAndLineBreaks() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli", removedAfter: self)
        let root = dir.appendingPathComponent("celebs")
        let photo = try TestFiles.asset("messi5.jpg")
        for (folder, file) in [("messi", "a.jpg"), ("messi", "bad\nname.jpg"), (".hidden", "b.jpg"), ("...", "c.jpg")] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: photo, to: root.appendingPathComponent(folder).appendingPathComponent(file))
        }
        let db = dir.appendingPathComponent("seqcurate.db").path
        let first = try run(["import-identities", root.path, "--name", "casia", "--catalog", db, "--quiet"])
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("imported 1 new images of 1 identities into dataset casia; failed: line_break_in_name 1"), first.out)
        XCTAssertTrue(first.err.contains("skipped 2 hidden folders (name starts with '.'): ..., .hidden"), first.err)
        XCTAssertTrue(first.err.contains("messi/bad\\nname.jpg: refused: the file name holds a line break"), first.err)
        XCTAssertFalse(first.err.contains("bad\nname"), "the name is printed escaped, on one line")

        let second = try run(["import-identities", root.path, "--name", "other", "--catalog", db, "--quiet"])
        XCTAssertEqual(second.status, 0, second.err)
        XCTAssertTrue(second.out.contains("imported 0 new images"), second.out)
        XCTAssertTrue(second.out.contains("2 already in the catalog under dataset casia"), second.out)
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), ["identities/casia/messi/a.jpg"], "no orphan crop")

        let export = try run(["export", "--catalog", db, "--out", dir.appendingPathComponent("lists").path])
        XCTAssertEqual(export.status, 0, export.err)
        XCTAssertTrue(export.out.contains("faceid_num (F) = 1 identities, 1 images"), export.out)
    }

}

private final class LineReader {
    private let handle: FileHandle
    private var pending = Data()

    init(_ handle: FileHandle) { self.handle = handle }

    /// The next line without its newline, or nil at the end.
    func next() -> String? {
        while true {
            if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<nl]
                pending = Data(pending[(nl + 1)...])
                return String(decoding: line, as: UTF8.self)
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
        }
    }

    /// The rest of the pipe, read to its end in the background.
    func rest() -> PipeReader { PipeReader(handle, prefix: pending) }
}
