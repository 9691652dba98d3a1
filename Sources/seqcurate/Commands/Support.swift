import ArgumentParser
import Dispatch
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqEval

enum WeightsLocator {
    /// The MTCNN weights: the given path, else `assets/mtcnn.safetensors` in the current folder,
    /// else beside the repository the executable was built in (`.build/<config>/seqcurate`).
    static func mtcnn(_ explicit: String?) -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let env = ProcessInfo.processInfo.environment["SEQCURATE_MTCNN_WEIGHTS"] { return URL(fileURLWithPath: env) }
        let local = URL(fileURLWithPath: MTCNN.defaultWeightsPath)
        if FileManager.default.fileExists(atPath: local.path) { return local }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent(MTCNN.defaultWeightsPath)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return local
    }
}

/// Ends an ingest or import run cleanly on SIGINT (Ctrl-C) or SIGTERM: the run is marked
/// `interrupted` in the catalog and the process exits with 128 + the signal number, instead of
/// dying with the run left `running` for ever. The work of the video or batch in progress is
/// in an open transaction, which SQLite rolls back when the process ends; its staged crops are
/// removed by the next run's recovery.
enum RunInterruption {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var run: (catalog: URL, id: Int64)?

    /// Starts catching SIGINT and SIGTERM; call before the catalog is opened, so that a signal
    /// that comes before the run is recorded also ends the process cleanly.
    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            // The dispatch source sees the signal; the default action (death) must not.
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { interrupted(by: sig) }
            source.resume()
            sources.append(source)
        }
    }

    /// The run to mark when a signal comes.
    static func track(catalog: URL, runID: Int64) {
        lock.lock()
        run = (catalog, runID)
        lock.unlock()
    }

    private static func interrupted(by sig: Int32) {
        lock.lock()
        let current = run
        lock.unlock()
        var note = ""
        if let current {
            // A connection of its own: the main thread's may be inside a transaction. SQLite
            // queues this write behind it (busy timeout), so the mark is never lost.
            do {
                let db = try Catalog.open(at: current.catalog)
                try db.markRunInterrupted(id: current.id)
                db.close()
                note = "; run \(current.id) is marked interrupted in the catalog. Run the same command again to resume (finished work is kept)"
            } catch {
                note = "; could not mark run \(current.id) interrupted: \(IOFailure.reason(of: error))"
            }
        }
        printError("seqcurate: interrupted by \(sig == SIGINT ? "SIGINT" : "SIGTERM")\(note)")
        fflush(stdout)
        // _exit: the main thread is still working; exit() would run teardown under its feet.
        _exit(128 + sig)
    }
}

/// Tells the user, once per wait, when the catalog has been locked by another process for a
/// while, so a stalled progress bar has a reason on screen.
final class LockWaitNotice: @unchecked Sendable {
    private let lock = NSLock()
    private var told = false
    /// Seconds of waiting before the notice: short waits between concurrent writers are normal.
    let after: TimeInterval = 2

    func callAsFunction(_ waited: TimeInterval) {
        lock.lock(); defer { lock.unlock() }
        if waited == 0 { told = false; return }
        guard !told, waited >= after else { return }
        told = true
        printError("waiting for the catalog: another process is writing it")
    }
}

/// `lfw` or `ytf` on the command line, for `eval` and `exclude --protocol` alike.
extension Benchmark: ExpressibleByArgument {}
