import Dispatch
import Foundation
import SeqCore
import SeqMedia

/// Perceptual hashes of many image files at once, for near-duplicate checks against the
/// catalog (`seqcurate exclude` hashes test images and catalog crops with it).
public enum ImageHashing {
    /// The `PerceptualHash.dHash` of every file (read as grey), on all cores, in `files` order;
    /// nil where a file cannot be read, with the reason in `failures`. Progress is reported
    /// under `label` unless `quiet`.
    public static func dHashAll(_ files: [URL], label: String, quiet: Bool = false) -> (hashes: [UInt64?], failures: [(URL, SeqError)]) {
        guard !files.isEmpty else { return ([], []) }
        let progress = ProgressReporter(label, total: files.count, unit: "images", quiet: quiet)
        let results = UnsafeMutableBufferPointer<Result<UInt64, SeqError>?>.allocate(capacity: files.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var i = w
            while i < files.count {
                do {
                    let image = try ImageIO.read(files[i], grayscale: true)
                    results[i] = .success(PerceptualHash.dHash(image))
                } catch {
                    results[i] = .failure(error as? SeqError ?? SeqError("\(error)", file: files[i].path))
                }
                progress.advance()
                i += workers
            }
        }
        progress.finish()
        var hashes: [UInt64?] = []
        var failures: [(URL, SeqError)] = []
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let h)?: hashes.append(h)
            case .failure(let e)?: hashes.append(nil); failures.append((files[i], e))
            case nil: hashes.append(nil)
            }
        }
        return (hashes, failures)
    }
}
