import COpenBLAS
import Foundation

/// Makes OpenBLAS use the fastest kernels this CPU supports.
///
/// Debian's OpenBLAS 0.3.21 may not recognise recent AVX-512 CPUs and fall back to generic
/// kernels (about a fifth of the sgemm speed). The library reads `OPENBLAS_CORETYPE` only when
/// it loads, so the fix is to set it and start the program again.
public enum BLASRuntime {
    /// Set in the re-executed process so a library that still ignores the variable cannot loop.
    static let reexecMarker = "SEQCURATE_BLAS_REEXEC"

    /// The kernel family OpenBLAS is using, e.g. "SkylakeX", "Haswell", "Prescott".
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// The core type this CPU should use, or nil when OpenBLAS's own choice is fine.
    public static var preferredCoreType: String? {
        if seq_cpu_has_avx512() != 0 { return "SkylakeX" }
        if seq_cpu_has_avx2() != 0 { return "Haswell" }
        return nil
    }

    /// Core names (lowercased) whose sgemm kernels are at least as good as `preferred`'s:
    /// later cores of the same family reuse or extend its kernels.
    static func acceptableCores(for preferred: String) -> Set<String> {
        let avx512: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
        switch preferred.lowercased() {
        case "skylakex": return avx512
        case "haswell": return avx512.union(["haswell", "zen"])
        default: return [preferred.lowercased()]
        }
    }

    /// If the user has not set `OPENBLAS_CORETYPE` and OpenBLAS picked weaker kernels than the
    /// CPU supports, sets the variable and re-executes the current program with the same
    /// arguments. It returns normally when nothing needs doing or when the re-exec fails.
    ///
    /// Call it once, first thing in the process (`Seqcurate.main` does): a re-exec restarts the
    /// whole program, so a later call would throw away work already done, and library code,
    /// which cannot know whether it runs first, does not call it.
    public static func ensureOptimalKernels() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env[reexecMarker] == nil,
              let wanted = preferredCoreType,
              !acceptableCores(for: wanted).contains(coreName.lowercased()) else { return }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        setenv(reexecMarker, "1", 1)
        fflush(nil)  // buffered output would otherwise be lost with the old process image
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if exec failed: carry on with the slower kernels.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(reexecMarker)
    }

    /// Ends the process with `code` without the libraries' exit-time shutdown. OpenBLAS 0.3.21
    /// can deadlock in its shutdown: a worker thread still spinning after a recent
    /// multi-threaded product can go to sleep just after the shutdown's wake-up and is then
    /// joined forever (seen as an `ingest --threads 1` whose work was done and committed but
    /// whose process never ended). Standard output and error are flushed first; everything a
    /// command writes (catalog, crops, checkpoints) is closed when its `run` has returned.
    public static func exitSkippingLibraryShutdown(_ code: Int32) -> Never {
        fflush(nil)
        _exit(code)
    }

    /// OpenBLAS's thread count for later calls.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// One OpenBLAS thread, for callers that already run threads of their own on every core
    /// (ingest detects several frames at once, MTCNN runs pyramid levels in parallel):
    /// OpenBLAS's threads would otherwise busy-wait against them, which profiling showed costs
    /// more than half of the CPU (docs/performance.md, "Ingest"). A count the user chose with
    /// `OPENBLAS_NUM_THREADS` is left alone.
    ///
    /// There is no worker-count argument: one BLAS thread is the right answer for any number of
    /// workers above one, and a caller with a single worker (`ingest --threads 1`) simply does
    /// not call this, leaving OpenBLAS its own threads.
    public static func yieldThreads() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil else { return }
        threads = 1
    }
}
