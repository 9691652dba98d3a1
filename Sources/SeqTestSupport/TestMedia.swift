import Foundation
import XCTest

/// Broken media that several test targets make from the sample video with the ffmpeg CLI.
public enum TestMedia {
    /// The ffmpeg command line tool (tools/setup.sh installs it); its absence fails the test.
    public static func ffmpeg(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard let path = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            XCTFail("the ffmpeg command line tool is missing: run tools/setup.sh", file: file, line: line)
            throw XCTSkip("ffmpeg missing")
        }
        return URL(fileURLWithPath: path)
    }

    /// The sample re-muxed (mkv) or re-encoded (webm, VP8) by the ffmpeg CLI, then cut a few bytes
    /// into its first Matroska cluster: the header is whole, no frame is.
    public static func truncatedMatroska(_ ext: String, in dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let full = dir.appendingPathComponent("full.\(ext)")
        let p = Process()
        p.executableURL = try ffmpeg(file: file, line: line)
        let codec = ext == "webm" ? ["-c:v", "libvpx", "-b:v", "200k", "-deadline", "realtime"] : ["-c:v", "copy"]
        p.arguments = ["-v", "error", "-i", try TestFiles.asset("carphone_pristine.mp4", file: file, line: line).path, "-t", "0.5", "-an"]
            + codec + ["-y", full.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "ffmpeg could not write .\(ext)", file: file, line: line)
        let data = try Data(contentsOf: full)
        let cluster = try XCTUnwrap(data.firstRange(of: Data([0x1F, 0x43, 0xB6, 0x75])), "no cluster in \(ext)", file: file, line: line)
        let cut = dir.appendingPathComponent("cut.\(ext)")
        try data.prefix(cluster.lowerBound + 8).write(to: cut)
        return cut
    }
}
