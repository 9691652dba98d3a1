#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings for long runs that allocate and free large buffers all the time
/// (ingest: a decoded 720p frame is 2.7 MB, the pyramid levels and network activations of
/// every frame several more). By default glibc serves blocks over its mmap threshold with fresh
/// mappings and trims the heap top as soon as it is free, so those buffers came back as new
/// zero pages, page-faulted and cleared, frame after frame: up to 0.6 s of system time per 12 s
/// of 720p video (docs/performance.md). Kept in the heap instead, freed blocks are reused.
/// The cost is that memory freed inside the run is kept by the process until it exits.
public enum HeapTuning {
    /// Keeps blocks up to 256 MB in the heap and the heap's free top up to 1 GB; call once,
    /// early. Does nothing where glibc is not the allocator.
    public static func keepLargeBlocks() {
        #if canImport(Glibc)
        // <malloc.h> is not in Swift's Glibc module: look mallopt up by name.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and M_TOP_PAD of <malloc.h>.
        _ = mallopt(-3, 256 << 20)
        _ = mallopt(-1, 1 << 30)
        _ = mallopt(-2, 64 << 20)
        #endif
    }
}
