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
        A bad file is reported and the rest are still probed; the exit code is then 1.

        Examples:
          seqcurate probe assets/carphone_pristine.mp4
          seqcurate probe --json videos/*.mp4
        """)

    @Argument(help: "Video files.") var files: [String]
    @Flag(help: "One JSON object per file (keys: path, container, codec, width, height, fps, duration, rotation, frames).")
    var json = false
    @Option(help: "Decoder threads (0 = one per core).") var threads = 0

    func run() throws {
        var failures: [SeqError] = []
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
                let e = error as? SeqError ?? SeqError("\(error)", file: file)
                printError("seqcurate: \(e)")
                failures.append(e)
            }
        }
        if !failures.isEmpty {
            if files.count > 1 {
                printError("seqcurate: \(failures.count) of \(files.count) files failed:")
                for f in failures { printError("  \(f)") }
            }
            throw ExitCode(1)
        }
    }
}
