import ArgumentParser
import Foundation
import SeqCore
import SeqMedia

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Report container, codec, size, fps, duration and decoded frame count of videos.",
        discussion: """
        Every frame is decoded, so the count is what a reader really gets.
        A bad file does not stop the others; the failures are listed at the end and
        the exit code is then 1. With --json a failed file is one object with the
        keys path and error.

        Examples:
          seqcurate probe assets/carphone_pristine.mp4
          seqcurate probe --json videos/*.mp4
        """)

    @Argument(help: "Video files.") var files: [String]
    @Flag(help: "One JSON object per file (keys: path, container, codec, width, height, fps, duration, rotation, frames; for a file that failed: path, error).")
    var json = false
    @Option(parsing: .unconditional, help: "Decoder threads (0 = one per core).") var threads = 0

    func validate() throws {
        if threads < 0 { throw ValidationError("--threads must be 0 (one per core) or more, got \(threads)") }
    }

    /// The JSON line of a file that could not be probed.
    struct Failure: Encodable {
        var path: String
        var error: String
    }

    func run() throws {
        var failures = InputFailures(of: "files")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for file in files {
            do {
                let r = try MediaProbe.probe(URL(fileURLWithPath: file), threads: threads)
                if json {
                    print(String(decoding: try encoder.encode(r), as: UTF8.self))
                } else {
                    print("\(file): \(r.container), \(r.codec), \(r.width)x\(r.height), "
                          + String(format: "%.3f fps, %.3f s, ", r.fps, r.duration) + "\(r.frames) frames"
                          + (r.rotation != 0 ? ", rotated \(r.rotation)°" : ""))
                }
            } catch {
                failures.record(error, input: file)
                if json {
                    let reason = (error as? SeqError)?.reason ?? error.localizedDescription
                    print(String(decoding: try encoder.encode(Failure(path: URL(fileURLWithPath: file).path, error: reason)), as: UTF8.self))
                }
            }
        }
        try failures.throwIfAny(of: files.count)
    }
}
