import Foundation
import SeqCatalog
import SeqIngest
import XCTest
import SeqTestSupport

/// These run the real `seqcurate` executable as a separate process, as a user would.
final class CrashSafetyTests: XCTestCase {
    private func launch(_ exe: URL, _ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func testKilledIngestLeavesNoTraceOfItsVideo() throws {
        let exe = try TestFiles.executable()
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        let db = dir.appendingPathComponent("seqcurate.db")
        let first = try TestFiles.asset("carphone_pristine.mp4")
        let video = try TestFiles.asset("Megamind.avi")
        // Two videos: the run announces the second ("[2/2] …") once the first is committed and
        // it starts on the second. That line is the event to wait for, not a guess in seconds.
        let p = Process()
        p.executableURL = exe
        p.arguments = ["ingest", first.path, video.path, "--catalog", db.path]
        let stderr = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = stderr
        try p.run()
        var seen = ""
        while !seen.contains("[2/2] ") {
            let chunk = stderr.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        XCTAssertTrue(seen.contains("[2/2] "), "ingest ended before its second video: \(seen)")
        XCTAssertTrue(p.isRunning, "ingest finished before it could be killed; the test proves nothing")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)

        let catalog = try Catalog.open(at: db)
        // The run had started and committed its first video ...
        XCTAssertEqual(try catalog.ingestRuns().count, 1)
        let videos = try catalog.videos()
        XCTAssertEqual(videos.map { URL(fileURLWithPath: $0.path).lastPathComponent }, ["carphone_pristine.mp4"])
        let firstID = try XCTUnwrap(videos.first?.id)
        // ... but left nothing of the video it was working on.
        XCTAssertEqual(try catalog.tracks().filter { $0.videoID != firstID }.count, 0)
        XCTAssertEqual(try catalog.sequences().filter { $0.videoID != firstID }.count, 0)
        // Crops are only written at commit time: every crop file belongs to the first video.
        let leftovers = Set(TestFiles.files(under: dir.appendingPathComponent("crops")).map { "crops/" + $0 })
            .subtracting(try catalog.cropPaths(videoID: firstID))
        XCTAssertEqual(leftovers.sorted(), [], "orphan crops")

        // The next run does the video again, completely.
        var options = IngestOptions()
        options.detectEvery = 3
        let results = try IngestTestSupport.ingest([video], catalog: catalog, options: options)
        XCTAssertEqual(results[0].outcome, .ingested)
        XCTAssertEqual(try catalog.videos().count, 2)
        XCTAssertGreaterThan(try catalog.sequences().filter { $0.videoID != firstID }.count, 0)
    }

    func testRecoveryRemovesStagingOfDeadRunsAndPublishesCommittedOnes() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let store = CropStore(catalogFolder: catalog.folder)
        // A dead process (pid 999999 does not exist) left staging for a video that never committed.
        let orphan = store.root.appendingPathComponent(".staging/999999-7-abcdef")
        try FileManager.default.createDirectory(at: orphan, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: orphan.appendingPathComponent("t000_f000001.jpg"))
        // And a committed one whose rename never happened.
        let run = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "test"))
        let hash = String(repeating: "ab", count: 32)
        _ = try catalog.insertVideo(VideoRecord(path: "/x.mp4", contentHash: hash, duration: 1, fps: 25, width: 10, height: 10,
                                                frameCount: 25, ingestRunID: run))
        let committed = store.root.appendingPathComponent(".staging/999999-\(run)-\(hash)")
        try FileManager.default.createDirectory(at: committed, withIntermediateDirectories: true)
        try Data([4]).write(to: committed.appendingPathComponent("t000_f000002.jpg"))
        // And a final folder nobody owns.
        let stray = store.root.appendingPathComponent("ff/ffffffffffffffff-r3")
        try FileManager.default.createDirectory(at: stray, withIntermediateDirectories: true)

        try store.recover(catalog: catalog)
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stray.path))
        let published = store.finalFolder(contentHash: hash, runID: run).appendingPathComponent("t000_f000002.jpg")
        XCTAssertTrue(FileManager.default.fileExists(atPath: published.path))
    }

    func testTwoConcurrentIngestsIntoOneCatalogLoseNothing() throws {
        let exe = try TestFiles.executable()
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        let db = dir.appendingPathComponent("seqcurate.db")
        // Two different files: the sample, and the sample with one byte appended (same frames, other content hash).
        let a = try TestFiles.asset("carphone_pristine.mp4")
        let b = dir.appendingPathComponent("carphone_copy.mp4")
        var data = try Data(contentsOf: a)
        data.append(0)
        try data.write(to: b)
        let p1 = try launch(exe, ["ingest", a.path, "--catalog", db.path, "--quiet"])
        let p2 = try launch(exe, ["ingest", b.path, "--catalog", db.path, "--quiet"])
        p1.waitUntilExit()
        p2.waitUntilExit()
        XCTAssertEqual(p1.terminationStatus, 0)
        XCTAssertEqual(p2.terminationStatus, 0)
        let catalog = try Catalog.open(at: db)
        XCTAssertEqual(try catalog.videos().filter { $0.status == .ok }.count, 2)
        XCTAssertEqual(try catalog.sequences().count, 2)
        XCTAssertEqual(try catalog.ingestRuns().count, 2)
        for q in try catalog.sequences() {
            for f in try catalog.sequenceFaces(sequenceID: q.id!) {
                XCTAssertTrue(FileManager.default.fileExists(atPath: catalog.resolve(f.cropPath!).path))
            }
        }
    }
}
