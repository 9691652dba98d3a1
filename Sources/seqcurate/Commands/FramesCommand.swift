import ArgumentParser
import Foundation
import SeqCore
import SeqMedia

struct FramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Decode a video's frames to image files or to a raw RGB24 stream.",
        discussion: """
        Reports decoded frames per second on standard error when done.

        Examples:
          seqcurate frames assets/carphone_pristine.mp4 --out frames/ --every 10
          seqcurate frames clip.mp4 --raw /dev/null --threads 2      # decode speed
          seqcurate frames clip.mp4 --out small/ --width 320 --gray --start 1 --end 3
        """)

    @Argument(help: "A video file.") var file: String
    @Option(help: "Folder for one image per frame (frame_000123.jpg).") var out: String?
    @Option(help: "Write all frames as packed RGB24 (or GRAY8) to this file ('-' = standard output).") var raw: String?
    @Option(parsing: .unconditional, help: "Keep every Nth frame.") var every = 1
    @Option(parsing: .unconditional, help: "Output width (height follows the aspect ratio unless given).") var width: Int?
    @Option(parsing: .unconditional, help: "Output height.") var height: Int?
    @Flag(help: "Grayscale instead of RGB.") var gray = false
    @Option(parsing: .unconditional, help: "Start time in seconds.") var start: Double?
    @Option(parsing: .unconditional, help: "End time in seconds.") var end: Double?
    @Option(parsing: .unconditional, help: "Decoder threads (0 = one per core).") var threads = 0
    @Option(help: "Image format for --out: jpg or png.") var format = "jpg"
    @Flag(help: "No progress output (also when --raw is '-').") var quiet = false

    func validate() throws {
        if out == nil && raw == nil { throw ValidationError("give --out DIR or --raw FILE") }
        if every < 1 { throw ValidationError("--every must be at least 1") }
        if let width, width < 1 { throw ValidationError("--width must be at least 1, got \(width)") }
        if let height, height < 1 { throw ValidationError("--height must be at least 1, got \(height)") }
        if threads < 0 { throw ValidationError("--threads must be 0 (one per core) or more, got \(threads)") }
        if !["jpg", "png"].contains(format) { throw ValidationError("--format must be jpg or png, got \(format)") }
    }

    func run() throws {
        let reader = try VideoReader(url: URL(fileURLWithPath: file), options: VideoReaderOptions(
            width: width, height: height, grayscale: gray, stride: every, startTime: start, endTime: end, threads: threads))
        // OutputFile writes into /dev/null, a FIFO or standard output, and replaces only a
        // regular file (atomically, at commit): the target is never swapped for another kind.
        let sink = try raw.map { try OutputFile(path: $0) }
        defer { sink?.discard() }
        let dir = out.map { URL(fileURLWithPath: $0) }
        if let dir { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        let expected = reader.info.declaredFrames.map { $0 / every }
        let progress = ProgressReporter("frames", total: expected, unit: "frames", quiet: quiet || raw == "-")
        let clock = Date()
        var count = 0
        while let frame = try reader.nextFrame() {
            if let sink { try frame.image.pixels.withUnsafeBytes { try sink.write($0) } }
            if let dir {
                let name = String(format: "frame_%06d.%@", frame.index, format)
                try ImageIO.write(frame.image, to: dir.appendingPathComponent(name))
            }
            count += 1
            progress.advance()
        }
        try sink?.commit()
        progress.finish()
        let seconds = Date().timeIntervalSince(clock)
        printError(String(format: "seqcurate: %d frames in %.3f s (%.1f frames/s)", count, seconds, Double(count) / max(seconds, 1e-9)))
    }
}
