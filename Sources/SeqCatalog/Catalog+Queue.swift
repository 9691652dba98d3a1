import Foundation
import SeqCore

/// One video of the work queue (`work_queue`).
public struct QueueItem: Sendable, Equatable {
    public var id: Int64
    public var path: String
    public var state: String
    public var attempts: Int
    public var worker: String?
    public var leaseExpires: String?
    public var lastError: String?
}

/// Counts by state and what each worker did, for `seqcurate queue status`.
public struct QueueStatus: Sendable, Equatable {
    public struct Worker: Sendable, Equatable {
        public var worker: String
        public var done: Int
        public var failed: Int
        /// The video it holds now, if any.
        public var running: String?
    }
    public var queued = 0
    public var running = 0
    public var done = 0
    public var failed = 0
    public var workers: [Worker] = []
}

extension Catalog {
    /// Enqueues `paths` (absolute paths or URLs); a path already in the queue, in any state,
    /// is left as it is. Returns how many were new.
    @discardableResult
    public func enqueue(_ paths: [String]) throws -> Int {
        let now = CatalogTime.now()
        return try transaction {
            let stmt = try db.statement("INSERT INTO work_queue (path, added_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (path) DO NOTHING")
            var added = 0
            for path in paths {
                stmt.reset()
                stmt.bind(1, path); stmt.bind(2, now); stmt.bind(3, now)
                try stmt.run()
                added += db.changes
            }
            return added
        }
    }

    /// Claims the next video for `worker` under a lease that ends after `lease` seconds: a queued
    /// one, or one whose lease expired. First, videos whose expired lease used the last of
    /// `maxAttempts` are marked failed. Nil when nothing is left to claim.
    ///
    /// On PostgreSQL the row is picked `FOR UPDATE SKIP LOCKED`, so workers never wait for
    /// each other's claim nor claim the same video; SQLite serialises writers instead.
    public func claimQueued(worker: String, lease: TimeInterval, maxAttempts: Int, now: Date = Date()) throws -> QueueItem? {
        let nowText = CatalogTime.string(from: now)
        let until = CatalogTime.string(from: now.addingTimeInterval(lease))
        return try transaction {
            try run("""
                UPDATE work_queue SET state = 'failed', lease_expires = NULL, updated_at = ?,
                    last_error = COALESCE(last_error, 'the worker stopped before finishing (its lease expired)')
                WHERE state = 'running' AND lease_expires < ? AND attempts >= ?
                """, [.text(nowText), .text(nowText), .int(maxAttempts)])
            let lock = isPostgres ? " FOR UPDATE SKIP LOCKED" : ""
            let picked: Int64? = try queryFirst("""
                SELECT id FROM work_queue WHERE state = 'queued' OR (state = 'running' AND lease_expires < ?)
                ORDER BY id LIMIT 1\(lock)
                """, [.text(nowText)]) { try $0["id"] }
            guard let id = picked else { return nil }
            try run("""
                UPDATE work_queue SET state = 'running', attempts = attempts + 1, worker = ?, lease_expires = ?, updated_at = ?
                WHERE id = ?
                """, [.text(worker), .text(until), .text(nowText), .integer(id)])
            return try queueItem(id: id)
        }
    }

    /// Extends the lease of `id` held by `worker`; false when the worker no longer holds it
    /// (it expired and another worker claimed the video).
    public func renewLease(id: Int64, worker: String, lease: TimeInterval, now: Date = Date()) throws -> Bool {
        try withLock {
            try run("UPDATE work_queue SET lease_expires = ?, updated_at = ? WHERE id = ? AND worker = ? AND state = 'running'",
                    [.text(CatalogTime.string(from: now.addingTimeInterval(lease))), .text(CatalogTime.string(from: now)), .integer(id), .text(worker)])
            return db.changes > 0
        }
    }

    /// Marks `id` done (with the catalog video it gave, if any).
    public func finishQueued(id: Int64, worker: String, videoID: Int64?) throws {
        try run("""
            UPDATE work_queue SET state = 'done', video_id = ?, lease_expires = NULL, last_error = NULL, updated_at = ?
            WHERE id = ? AND worker = ?
            """, [.int64(videoID), .text(CatalogTime.now()), .integer(id), .text(worker)])
    }

    /// Records a failure of `id`: back to the queue, or failed once `maxAttempts` claims are used.
    public func failQueued(id: Int64, worker: String, error: String, maxAttempts: Int) throws {
        try run("""
            UPDATE work_queue SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued' END,
                last_error = ?, lease_expires = NULL, updated_at = ?
            WHERE id = ? AND worker = ?
            """, [.int(maxAttempts), .text(error), .text(CatalogTime.now()), .integer(id), .text(worker)])
    }

    /// One queue row.
    public func queueItem(id: Int64) throws -> QueueItem? {
        try queryFirst("SELECT id, path, state, attempts, worker, lease_expires, last_error FROM work_queue WHERE id = ?", [.integer(id)], Self.queueItem)
    }

    /// Every queue row in order.
    public func queueItems() throws -> [QueueItem] {
        try query("SELECT id, path, state, attempts, worker, lease_expires, last_error FROM work_queue ORDER BY id", [], Self.queueItem)
    }

    static func queueItem(_ r: SQLiteRow) throws -> QueueItem {
        try QueueItem(id: r["id"], path: r["path"], state: r["state"], attempts: r["attempts"], worker: r["worker"],
                      leaseExpires: r["lease_expires"], lastError: r["last_error"])
    }

    /// Counts by state and per-worker progress. A running video whose lease expired counts
    /// as queued: it goes back to the next worker that asks.
    public func queueStatus(now: Date = Date()) throws -> QueueStatus {
        let nowText = CatalogTime.string(from: now)
        var status = QueueStatus()
        for (state, n) in try query("""
            SELECT CASE WHEN state = 'running' AND lease_expires < ? THEN 'queued' ELSE state END AS state, count(*) AS n
            FROM work_queue GROUP BY 1
            """, [.text(nowText)], { (try $0["state"] as String, try $0["n"] as Int) }) {
            switch state {
            case "queued": status.queued += n
            case "running": status.running += n
            case "done": status.done += n
            default: status.failed += n
            }
        }
        status.workers = try query("""
            SELECT worker, SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done,
                   SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed,
                   MAX(CASE WHEN state = 'running' AND lease_expires >= ? THEN path END) AS running
            FROM work_queue WHERE worker IS NOT NULL GROUP BY worker ORDER BY worker
            """, [.text(nowText)]) {
            try QueueStatus.Worker(worker: $0["worker"], done: $0["done"], failed: $0["failed"], running: $0["running"])
        }
        return status
    }
}
