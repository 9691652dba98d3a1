import ArgumentParser
import Foundation
import SeqCore
import SeqNN

/// The one place where errors become what the user sees; `Seqcurate.main` calls it for
/// everything a command's `run()` throws. Commands only throw.
///
/// - `SeqError`: `seqcurate: <message>` on standard error, exit code 1.
/// - `InputFailures` (a command that went on past bad inputs): each failure once, then
///   `seqcurate: N of M files failed` when there were several inputs; exit code 1.
/// - ArgumentParser's own errors (`ExitCode`, `CleanExit`, `ValidationError`, and the internal
///   ones its `help` command throws): as ArgumentParser reports them.
/// - Anything else: `seqcurate: <description>`, exit code 1.
enum ErrorReport {
    static func exit(for error: Error) -> Never {
        switch error {
        case let failure as SeqError:
            printError("seqcurate: \(failure)")
        case let failures as InputFailures:
            for message in failures.messages { printError("seqcurate: \(message)") }
            if failures.total > 1 {
                printError("seqcurate: \(failures.messages.count) of \(failures.total) \(failures.noun) failed")
            }
        case _ where isArgumentParserError(error):
            Seqcurate.exit(withError: error)
        default:
            printError("seqcurate: \(error.localizedDescription)")
        }
        BLASRuntime.exitSkippingLibraryShutdown(1)
    }

    /// True for the errors ArgumentParser throws and reports itself: the public `ExitCode`,
    /// `CleanExit` and `ValidationError`, and its internal types (`help` runs by throwing one).
    static func isArgumentParserError(_ error: Error) -> Bool {
        error is ExitCode || error is CleanExit || error is ValidationError
            || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}

/// The failures of a command that goes on past bad inputs (probe, detect, align, ingest): kept
/// while the rest are done, then thrown by `throwIfAny(of:)` so that the entry point lists each
/// once, at the end, and the exit code is 1.
struct InputFailures: Error {
    /// What the inputs are, plural: "files", "images", "videos".
    let noun: String
    private(set) var messages: [String] = []
    /// How many inputs there were (set by `throwIfAny(of:)`).
    private(set) var total = 0

    init(of noun: String) { self.noun = noun }

    var isEmpty: Bool { messages.isEmpty }

    /// Records the failure of `input`: a `SeqError` as it is (it names its file), another
    /// error prefixed with the input.
    mutating func record(_ error: Error, input: String) {
        messages.append((error as? SeqError ?? SeqError("\(error.localizedDescription)", file: input)).description)
    }

    /// Records a failure already worded, such as `path: reason`.
    mutating func record(message: String) { messages.append(message) }

    /// Throws the failures, if any, out of `total` inputs.
    func throwIfAny(of total: Int) throws {
        guard !messages.isEmpty else { return }
        var copy = self
        copy.total = total
        throw copy
    }
}
