import Foundation
import XCTest
@testable import SeqCatalog
import SeqTestSupport

final class CrashTests: XCTestCase {
    /// Another process takes the write lock, inserts a video and is killed with SIGKILL before
    /// committing. Meanwhile our writer waits on the lock; after the kill it goes through, and
    /// the catalog holds no trace of the killed process's video.
    func testWriterKilledMidTransactionLeavesNoRowsAndUnblocksOthers() throws {
        let cli = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let cli else { return XCTFail("the sqlite3 command line tool is missing: run tools/setup.sh") }
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let url = dir.appendingPathComponent("c.db")
        try Catalog.open(at: url).close()

        let child = Process()
        child.executableURL = URL(fileURLWithPath: cli)
        child.arguments = [url.path]
        let input = Pipe(), output = Pipe()
        child.standardInput = input
        child.standardOutput = output
        try child.run()
        input.fileHandleForWriting.write(Data("""
            BEGIN IMMEDIATE;
            INSERT INTO videos (path, content_hash, status, ingested_at) VALUES ('/killed.mp4', 'killed', 'ok', 'now');
            SELECT 'holding the lock';

            """.utf8))
        var seen = ""
        while !seen.contains("holding the lock") {
            let chunk = output.fileHandleForReading.availableData
            XCTAssertFalse(chunk.isEmpty, "sqlite3 ended early")
            if chunk.isEmpty { return }
            seen += String(decoding: chunk, as: UTF8.self)
        }

        let done = expectation(description: "our write went through")
        let blocked = expectation(description: "our writer waits for the killed process's lock")
        blocked.assertForOverFulfill = false
        let errors = ErrorBox()
        Thread.detachNewThread {
            do {
                let catalog = try Catalog.open(at: url)
                catalog.observeLockWaits { _ in blocked.fulfill() }
                try addVideo(catalog, path: "/ours.mp4", hash: "ours", sequences: [5])
            } catch {
                errors.add(error)
            }
            done.fulfill()
        }
        // The kill comes once our writer is seen waiting on the lock, not after a guessed pause.
        wait(for: [blocked], timeout: 60)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        wait(for: [done], timeout: 60)
        XCTAssertEqual(errors.all.map { "\($0)" }, [])

        let catalog = try Catalog.open(at: url)
        XCTAssertEqual(try catalog.videos().map(\.contentHash), ["ours"])
        XCTAssertEqual(try catalog.queryFirst("PRAGMA integrity_check") { try $0["integrity_check"] as String }, "ok")
    }
}
