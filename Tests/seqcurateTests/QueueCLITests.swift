import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// `seqcurate queue` and `ingest --from-queue` on a throwaway PostgreSQL server: workers share
/// the queue, a worker killed with SIGKILL loses its video to the next one once its lease has
/// expired, and a bad video ends failed after --max-attempts with its reason in plain words.
final class QueueCLITests: XCTestCase {
    func testWorkersShareTheQueueAndAKilledWorkersVideoIsRedone() throws {
        let server = try TestPostgres.started(stoppedAfter: self)
        let url = try server.createDatabase("queue")
        let name = String(url.split(separator: "/").last!)
        let dir = try TestFiles.tempDirectory("pg-queue")
        let videos = dir.appendingPathComponent("videos"), crops = dir.appendingPathComponent("crops")
        try FileManager.default.createDirectory(at: videos, withIntermediateDirectories: true)
        let clip = try TestFiles.asset("carphone_pristine.mp4")
        try FileManager.default.copyItem(at: clip, to: videos.appendingPathComponent("a.mp4"))
        try FileManager.default.copyItem(at: try TestFiles.asset("Megamind.avi"), to: videos.appendingPathComponent("b.avi"))
        try Data("not a video".utf8).write(to: videos.appendingPathComponent("c.mp4"))

        let add = try TestCLI.run(["queue", "add", videos.path, "--catalog", url], in: dir)
        XCTAssertEqual(add.status, 0, add.err)
        XCTAssertTrue(add.out.hasPrefix("queued 3 of 3"), add.out)
        let again = try TestCLI.run(["queue", "add", videos.appendingPathComponent("a.mp4").path, "--catalog", url], in: dir)
        XCTAssertTrue(again.out.hasPrefix("queued 0 of 1"), again.out)

        let worker = ["ingest", "--from-queue", "--catalog", url, "--crops", crops.path, "--detect-every", "4", "--threads", "1",
                      "--max-attempts", "2", "--quiet"]
        // A worker is killed while it holds a video (polling the queue, no sleeping on time).
        let (victim, _, _) = try TestCLI.launch(worker, in: dir)
        var held = ""
        while victim.isRunning && held.isEmpty {
            held = try server.psql(name, "SELECT path FROM work_queue WHERE state = 'running' AND worker LIKE '%:\(victim.processIdentifier)'")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let stillHeld = try server.psql(name, "SELECT count(*) FROM work_queue WHERE state = 'running'").trimmingCharacters(in: .whitespacesAndNewlines)
        // Its lease would end within a second; end it now instead of waiting.
        try server.psql(name, "UPDATE work_queue SET lease_expires = '2000-01-01T00:00:00.000Z' WHERE state = 'running'")

        // Two workers finish the queue together.
        let (w1, _, e1) = try TestCLI.launch(worker, in: dir)
        let (w2, _, e2) = try TestCLI.launch(worker, in: dir)
        let r1 = PipeReader(e1.fileHandleForReading), r2 = PipeReader(e2.fileHandleForReading)
        w1.waitUntilExit(); w2.waitUntilExit()
        XCTAssertEqual(w1.terminationStatus, 0, r1.text())
        XCTAssertEqual(w2.terminationStatus, 0, r2.text())

        let rows = try server.psql(name, "SELECT path, state, attempts, coalesce(last_error, '') FROM work_queue ORDER BY path")
            .split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.map { $0[1] }, ["done", "done", "failed"], "\(rows)")
        if stillHeld == "1" {
            let redone = rows.first { $0[0] == held }
            XCTAssertEqual(redone?[2], "2", "the killed worker's video was claimed again: \(rows)")
        }
        XCTAssertEqual(rows[2][2], "2")
        XCTAssertTrue(rows[2][3].hasPrefix(videos.appendingPathComponent("c.mp4").path + ": "), rows[2][3])
        for raw in ["SELECT", "UPDATE", "INSERT", "ERROR:"] { XCTAssertFalse(rows[2][3].contains(raw), rows[2][3]) }

        // Each video once in the catalog, and no crop file without its row.
        XCTAssertEqual(try server.psql(name, "SELECT count(*) FROM videos WHERE status = 'ok'").trimmingCharacters(in: .whitespacesAndNewlines), "2")
        let cropRows = try server.psql(name, "SELECT crop_path FROM faces WHERE crop_path IS NOT NULL ORDER BY crop_path")
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(TestFiles.files(under: crops).filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted(), cropRows.sorted())

        let status = try TestCLI.run(["queue", "status", "--json", "--catalog", url], in: dir)
        XCTAssertEqual(status.status, 0, status.err)
        let json = try JSONValue.parse(Data(status.out.utf8))
        XCTAssertEqual(json["done"]?.int, 2)
        XCTAssertEqual(json["failed"]?.int, 1)
        XCTAssertEqual(json["queued"]?.int, 0)
        XCTAssertEqual(json["running"]?.int, 0)
        XCTAssertFalse(json["workers"]?.array?.isEmpty ?? true)
    }
}
