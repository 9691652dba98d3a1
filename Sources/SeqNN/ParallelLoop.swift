import Dispatch

/// Runs the memory-bound steps around the matrix products (im2col, col2im, the Winograd
/// transforms, copies) on as many threads as OpenBLAS uses.
///
/// Profiling the training step showed these steps running on one core while OpenBLAS's other
/// threads spun in `sched_yield` waiting for the next product (docs/performance.md,
/// "Engine profile"). Each caller splits its work by channel, so the threads write disjoint
/// memory and the result is bit-for-bit the same as the serial loop.
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
}
