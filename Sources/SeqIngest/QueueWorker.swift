import Foundation
import SeqCatalog
import SeqCore

/// A worker of the catalog's work queue (`seqcurate ingest --from-queue`): claims one video at
/// a time under a lease, renews the lease on a thread of its own while the video is worked on,
/// and records the outcome. A worker that dies stops renewing; once its lease expires the video
/// goes to the next worker that asks, and after `maxAttempts` claims it is marked failed.
///
/// `queue` should be a connection of its own (not the one ingesting): a long commit of the
/// ingest holds its catalog's lock, and the lease must still be renewed meanwhile.
public final class QueueWorker: @unchecked Sendable {
    /// How this worker is named in the queue: host:pid.
    public let name: String
    public let lease: TimeInterval
    public let maxAttempts: Int
    private let queue: Catalog

    public init(queue: Catalog, lease: TimeInterval = 60, maxAttempts: Int = 3, name: String? = nil) {
        self.queue = queue
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.name = name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    /// What one worker did.
    public struct Summary: Sendable, Equatable {
        public var done = 0
        public var failed = 0
    }

    /// Claims and works videos until the queue has none left for it. `work` ingests one and
    /// returns its catalog video id; a thrown error is recorded as the video's last error
    /// (it goes back to the queue until its attempts are used up).
    public func run(_ work: (QueueItem) throws -> Int64?) throws -> Summary {
        var summary = Summary()
        while let item = try queue.claimQueued(worker: name, lease: lease, maxAttempts: maxAttempts) {
            let keeper = LeaseKeeper(queue: queue, id: item.id, worker: name, lease: lease)
            do {
                let videoID = try work(item)
                keeper.stop()
                try queue.finishQueued(id: item.id, worker: name, videoID: videoID)
                summary.done += 1
            } catch {
                keeper.stop()
                let message = (error as? SeqError).map { $0.description } ?? "\(error)"
                try queue.failQueued(id: item.id, worker: name, error: message, maxAttempts: maxAttempts)
                summary.failed += 1
            }
        }
        return summary
    }
}

/// Renews one lease every third of its length until stopped.
private final class LeaseKeeper: @unchecked Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(queue: Catalog, id: Int64, worker: String, lease: TimeInterval) {
        let thread = Thread { [stopped, finished] in
            while stopped.wait(timeout: .now() + lease / 3) == .timedOut {
                // A failed renewal (server briefly away) is retried at the next turn; a lease
                // lost for good shows when the worker records its outcome.
                _ = try? queue.renewLease(id: id, worker: worker, lease: lease)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops renewing and waits for the renewing thread to end.
    func stop() {
        stopped.signal()
        finished.wait()
    }
}
