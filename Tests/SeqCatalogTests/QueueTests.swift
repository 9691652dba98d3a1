import Foundation
import SeqCore
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// The work queue on a PostgreSQL catalog (a throwaway server): claims under leases, expiry,
/// attempts, status.
final class QueueTests: XCTestCase {
    nonisolated(unsafe) static var server: TestPostgres?

    override class func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    private func database() throws -> String {
        if Self.server == nil { Self.server = try TestPostgres() }
        return try Self.server!.createDatabase("queue")
    }

    func testDuplicatesByPathAreIgnored() throws {
        let db = try Catalog.open(location: try database(), crops: NSTemporaryDirectory())
        defer { db.close() }
        XCTAssertEqual(try db.enqueue(["/v/a.mp4", "/v/b.mp4", "/v/a.mp4"]), 2)
        XCTAssertEqual(try db.enqueue(["/v/b.mp4", "/v/c.mp4"]), 1)
        XCTAssertEqual(try db.queueItems().map(\.path), ["/v/a.mp4", "/v/b.mp4", "/v/c.mp4"])
        XCTAssertEqual(try db.queueStatus().queued, 3)
    }

    /// Two workers on connections of their own claim at the same time: every video is claimed
    /// exactly once, and the queue ends with all done.
    func testTwoWorkersClaimEachVideoOnce() throws {
        let url = try database()
        let setup = try Catalog.open(location: url, crops: NSTemporaryDirectory())
        defer { setup.close() }
        let paths = (0..<40).map { "/v/\($0).mp4" }
        try setup.enqueue(paths)
        let a = try Catalog.open(location: url), b = try Catalog.open(location: url)
        defer { a.close(); b.close() }
        let lock = NSLock()
        var claimed: [String: [String]] = [:]
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let (db, name) = i == 0 ? (a, "A") : (b, "B")
            do {
                while let item = try db.claimQueued(worker: name, lease: 60, maxAttempts: 3) {
                    lock.lock(); claimed[item.path, default: []].append(name); lock.unlock()
                    try db.finishQueued(id: item.id, worker: name, videoID: nil)
                }
            } catch {
                lock.lock(); failures.append("\(error)"); lock.unlock()
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(claimed.keys.sorted(), paths.sorted())
        XCTAssertTrue(claimed.values.allSatisfy { $0.count == 1 }, "\(claimed.filter { $0.value.count != 1 })")
        let status = try setup.queueStatus()
        XCTAssertEqual(status.done, 40)
        XCTAssertEqual(status.queued + status.running + status.failed, 0)
        XCTAssertEqual(status.workers.map(\.worker), ["A", "B"])
        XCTAssertEqual(status.workers.reduce(0) { $0 + $1.done }, 40)
    }

    /// A lease that expires (its worker stopped renewing) returns the video to the next worker;
    /// the stale worker can neither renew nor finish it; once its attempts are used the video
    /// is failed with the reason.
    func testExpiredLeaseReturnsTheVideoAndAttemptsRunOut() throws {
        let db = try Catalog.open(location: try database(), crops: NSTemporaryDirectory())
        defer { db.close() }
        try db.enqueue(["/v/a.mp4"])
        let first = try XCTUnwrap(try db.claimQueued(worker: "A", lease: 60, maxAttempts: 2))
        XCTAssertEqual(first.attempts, 1)
        XCTAssertNil(try db.claimQueued(worker: "B", lease: 60, maxAttempts: 2), "held under A's lease")
        XCTAssertTrue(try db.renewLease(id: first.id, worker: "A", lease: 60))
        XCTAssertEqual(try db.queueStatus().running, 1)

        // A stops renewing: its lease ends (set in the table, no waiting).
        try db.run("UPDATE work_queue SET lease_expires = ? WHERE id = ?", [.text(CatalogTime.string(from: Date(timeIntervalSinceNow: -1))), .integer(first.id)])
        XCTAssertEqual(try db.queueStatus().queued, 1, "an expired lease counts as queued")
        let second = try XCTUnwrap(try db.claimQueued(worker: "B", lease: 60, maxAttempts: 2))
        XCTAssertEqual(second.id, first.id)
        XCTAssertEqual(second.attempts, 2)
        XCTAssertEqual(second.worker, "B")
        XCTAssertFalse(try db.renewLease(id: first.id, worker: "A", lease: 60), "A lost the lease")
        try db.finishQueued(id: first.id, worker: "A", videoID: nil)
        XCTAssertEqual(try db.queueItem(id: first.id)?.state, "running", "a stale worker cannot finish it")

        // B dies too: with 2 attempts used, the next claim marks it failed instead.
        try db.run("UPDATE work_queue SET lease_expires = ? WHERE id = ?", [.text(CatalogTime.string(from: Date(timeIntervalSinceNow: -1))), .integer(first.id)])
        XCTAssertNil(try db.claimQueued(worker: "C", lease: 60, maxAttempts: 2))
        let failed = try XCTUnwrap(try db.queueItem(id: first.id))
        XCTAssertEqual(failed.state, "failed")
        XCTAssertEqual(failed.lastError, "the worker stopped before finishing (its lease expired)")
    }

    /// A failure goes back to the queue until --max-attempts failures, then stays failed with
    /// the last error.
    func testFailuresRetryThenFail() throws {
        let db = try Catalog.open(location: try database(), crops: NSTemporaryDirectory())
        defer { db.close() }
        try db.enqueue(["/v/bad.mp4"])
        for attempt in 1...3 {
            let item = try XCTUnwrap(try db.claimQueued(worker: "W", lease: 60, maxAttempts: 3))
            XCTAssertEqual(item.attempts, attempt)
            try db.failQueued(id: item.id, worker: "W", error: "/v/bad.mp4: cannot decode (try \(attempt))", maxAttempts: 3)
        }
        XCTAssertNil(try db.claimQueued(worker: "W", lease: 60, maxAttempts: 3))
        let item = try XCTUnwrap(try db.queueItems().first)
        XCTAssertEqual(item.state, "failed")
        XCTAssertEqual(item.lastError, "/v/bad.mp4: cannot decode (try 3)")
        let status = try db.queueStatus()
        XCTAssertEqual([status.queued, status.running, status.done, status.failed], [0, 0, 0, 1])
        XCTAssertEqual(status.workers, [QueueStatus.Worker(worker: "W", done: 0, failed: 1, running: nil)])
    }
}
