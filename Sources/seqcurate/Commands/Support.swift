import ArgumentParser
import Dispatch
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqEmbed
import SeqEval

/// Where the MTCNN weights (and, the same way, the dlib face embedding's) are found;
/// docs/install.md documents the order:
///
/// 1. `--weights FILE`, used as given;
/// 2. `$SEQCURATE_MTCNN_WEIGHTS` (`$SEQCURATE_DLIB_WEIGHTS`), the file itself, used as given;
/// 3. `$SEQCURATE_HOME/mtcnn.safetensors` (SEQCURATE_HOME is the folder holding the models);
/// 4. `<exe>/../share/seqcurate/mtcnn.safetensors`, beside an installed binary (tools/install.sh);
/// 5. `assets/mtcnn.safetensors` in the current folder;
/// 6. `assets/mtcnn.safetensors` of the repository the executable was built in
///    (`<repo>/.build/…/seqcurate`).
///
/// 1 and 2 are not searched past: a file named there that is missing is an error naming it.
/// 3 to 6 are searched in order; when none holds the file, the error lists them all.
enum WeightsLocator {
    static let fileName = "mtcnn.safetensors"

    static func mtcnn(_ explicit: String?) throws -> URL {
        try locate(explicit, variable: "SEQCURATE_MTCNN_WEIGHTS", fileName: fileName, what: "MTCNN weights")
    }

    /// The dlib face embedding (`dlib_face_resnet.safetensors`, tools/convert_dlib.py).
    static func dlibFace(_ explicit: String?) throws -> URL {
        try locate(explicit, variable: "SEQCURATE_DLIB_WEIGHTS", fileName: FaceEmbedder.weightsFileName,
                   what: "dlib face embedding weights")
    }

    private static func locate(_ explicit: String?, variable: String, fileName: String, what: String) throws -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        let env = ProcessInfo.processInfo.environment
        if let path = env[variable], !path.isEmpty { return URL(fileURLWithPath: path) }
        let places = searchPath(home: env["SEQCURATE_HOME"], executable: executableURL(),
                                currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                fileName: fileName)
        if let found = places.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw SeqError("\(what) not found; looked in: \(places.map(\.path).joined(separator: ", ")); "
            + "run tools/setup.sh or tools/install.sh, or set SEQCURATE_HOME to a folder holding \(fileName) "
            + "(or \(variable) to the file)")
    }

    /// Places 3 to 6 of the order above, without duplicates.
    static func searchPath(home: String?, executable: URL?, currentDirectory: URL,
                           fileName: String = WeightsLocator.fileName) -> [URL] {
        let assetPath = "assets/\(fileName)"
        var places: [URL] = []
        if let home, !home.isEmpty { places.append(URL(fileURLWithPath: home).appendingPathComponent(fileName)) }
        if let executable {
            let bin = executable.deletingLastPathComponent()
            places.append(bin.deletingLastPathComponent().appendingPathComponent("share/seqcurate/\(fileName)"))
        }
        places.append(currentDirectory.appendingPathComponent(assetPath))
        if let executable {
            // The build tree: <repo>/.build/<config>/seqcurate or <repo>/.build/<triple>/<config>/seqcurate.
            var dir = executable.deletingLastPathComponent()
            while dir.path != "/" && !dir.path.isEmpty {
                if dir.lastPathComponent == ".build" {
                    places.append(dir.deletingLastPathComponent().appendingPathComponent(assetPath))
                    break
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        var seen = Set<String>()
        return places.map { $0.standardizedFileURL }.filter { seen.insert($0.path).inserted }
    }

    /// The running executable, symbolic links resolved: /proc/self/exe, since argv[0] is only
    /// `seqcurate` when the binary was found through PATH.
    static func executableURL() -> URL? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path).resolvingSymlinksInPath()
        }
        if let url = Bundle.main.executableURL { return url.resolvingSymlinksInPath() }
        let arg0 = CommandLine.arguments.first ?? ""
        guard arg0.contains("/") else { return nil }
        return URL(fileURLWithPath: arg0).resolvingSymlinksInPath()
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
