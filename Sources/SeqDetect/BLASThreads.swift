import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS's process-wide thread count, reached through the dynamic linker so that SeqDetect
/// needs no BLAS import of its own. (Its natural home is SeqNN's `BLASRuntime`.)
///
/// MTCNN runs many small and mid-sized products. OpenBLAS threads busy-wait between them, and on a
/// shared or loaded machine they lose their cores to other work while the caller spins: measured
/// on carphone (640x360), `seqcurate detect` ran at about 35 frames/s with OpenBLAS's default
/// 2 threads and about 57-80 with 1 thread plus MTCNN's own parallelism (pyramid levels and
/// R-/O-Net batches on both cores). See docs/performance.md, "MTCNN detection".
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for later calls. Returns false when the
    /// running BLAS has no `openblas_set_num_threads` (then nothing changes).
    @discardableResult
    public static func set(_ count: Int) -> Bool {
        typealias SetThreads = @convention(c) (Int32) -> Void
        // A null handle is RTLD_DEFAULT on glibc: search every loaded library.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_set_num_threads") else { return false }
        unsafeBitCast(symbol, to: SetThreads.self)(Int32(max(1, count)))
        return true
    }

    /// OpenBLAS's current thread count, or nil when the running BLAS is not OpenBLAS.
    public static var count: Int? {
        typealias GetThreads = @convention(c) () -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "openblas_get_num_threads") else { return nil }
        return Int(unsafeBitCast(symbol, to: GetThreads.self)())
    }

    /// Single-threaded BLAS for a process that only detects faces (`seqcurate detect`, `align`),
    /// unless the user chose a count with `OPENBLAS_NUM_THREADS`.
    public static func preferSingleThreadForDetection() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }
        set(1)
    }
}
