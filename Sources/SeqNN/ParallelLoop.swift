import Dispatch
import Foundation

/// Spreads a convolution's work over as many threads as OpenBLAS uses: whole groups of images
/// (`overBatch`), or the memory-bound steps around the matrix products (im2col, col2im, the
/// Winograd transforms, copies, PReLU) split by channel (`split`).
///
/// Profiling the training step showed those steps running on one core while OpenBLAS's other
/// thread spun in `sched_yield` waiting for the next product (docs/performance.md, "Engine
/// profile"). `split`'s callers divide their work by channel, so the threads write disjoint
/// memory and the result is bit-for-bit the serial loop's.
enum ParallelLoop {
    /// Below this many floats touched, one thread is faster than waking another.
    /// (Tests lower it to 0 so small layers take the threaded path.)
    nonisolated(unsafe) static var minimumWork = 1 << 15
    /// Tests force a thread count here (1: the serial loop); nil follows OpenBLAS.
    nonisolated(unsafe) static var workerOverride: Int? = nil

    /// Threads to use: OpenBLAS's count, which is 1 where the caller already runs its own
    /// threads on every core (`BLASRuntime.yieldThreads`, ingest).
    static var workers: Int { workerOverride ?? BLASRuntime.threads }

    /// Calls `body` on contiguous pieces of `0..<count` that together cover it once, on up to
    /// `workers` threads when `work` (floats touched in all) is large enough, else on the caller's.
    static func split(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let threads = min(workers, count)
        guard threads > 1, work >= minimumWork else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            let lo = count * w / threads, hi = count * (w + 1) / threads
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(group, images)` on `groups` contiguous groups of a batch of `n` images
    /// concurrently, with OpenBLAS on one thread meanwhile, so each group's products run on its
    /// own core and nothing waits for another thread between products; `split` inside a group
    /// runs serially. With one group, `body(0, 0..<n)` runs on the caller's thread as it is.
    ///
    /// OpenBLAS's thread count is process-wide: callers that already run threads of their own
    /// (ingest, MTCNN) set it to 1 (`BLASRuntime.yieldThreads`), which also makes this one group.
    static func overBatch(_ n: Int, groups: Int, _ body: (_ group: Int, _ images: Range<Int>) -> Void) {
        let groups = min(groups, n)
        guard groups > 1 else {
            if n > 0 { body(0, 0..<n) }
            return
        }
        // Inside the groups OpenBLAS has one thread, so `workers` is 1 there and `split` serial.
        oneBLASThread.enter()
        defer { oneBLASThread.leave() }
        DispatchQueue.concurrentPerform(iterations: groups) { w in
            body(w, (n * w / groups)..<(n * (w + 1) / groups))
        }
    }

    /// Sets OpenBLAS to one thread while any `overBatch` runs and restores the count when the
    /// last one ends, so overlapping calls from several threads cannot leave it at 1.
    private static let oneBLASThread = OneThreadScope()

    private final class OneThreadScope: @unchecked Sendable {
        private let lock = NSLock()
        private var depth = 0
        private var saved = 1

        func enter() {
            lock.lock()
            defer { lock.unlock() }
            if depth == 0 {
                saved = BLASRuntime.threads
                BLASRuntime.threads = 1
            }
            depth += 1
        }

        func leave() {
            lock.lock()
            defer { lock.unlock() }
            depth -= 1
            if depth == 0 { BLASRuntime.threads = saved }
        }
    }
}
