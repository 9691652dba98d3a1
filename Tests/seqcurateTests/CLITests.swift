import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// The command-line tool as a user runs it.
final class CLITests: XCTestCase {
    private func run(_ args: [String]) throws -> CLIResult { try TestCLI.run(args) }

    func testProbeJSONReportsTheSample() throws {
        let r = try run(["probe", "--json", try TestFiles.asset("carphone_pristine.mp4").path])
        XCTAssertEqual(r.status, 0, r.err)
        let obj = try JSONValue.parse(r.out)
        XCTAssertEqual(obj["frames"]?.int, 120)
        XCTAssertEqual(obj["width"]?.int, 176)
        XCTAssertEqual(obj["height"]?.int, 144)
        XCTAssertEqual(obj["codec"]?.string, "h264")
        XCTAssertEqual(try XCTUnwrap(obj["fps"]?.number), 29.97, accuracy: 0.01)
        XCTAssertEqual(try XCTUnwrap(obj["duration"]?.number), 4.0, accuracy: 0.05)
    }

    func testProbeGoesPastBadFilesAndFailsAtTheEnd() throws {
        let dir = try TestFiles.tempDirectory("cli")
        let text = dir.appendingPathComponent("notes.mp4")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        let empty = dir.appendingPathComponent("empty.mp4")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        let r = try run(["probe", "--json", text.path, try TestFiles.asset("carphone_pristine.mp4").path, empty.path])
        XCTAssertEqual(r.status, 1)
        let lines = r.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "the good file is still probed, the bad ones are listed with their error")
        XCTAssertEqual(lines.filter { $0.contains("\"error\"") }.count, 2, r.out)
        XCTAssertTrue(r.err.contains("\(text.path): not a readable video"), r.err)
        XCTAssertTrue(r.err.contains("\(empty.path): empty file"), r.err)
        XCTAssertTrue(r.err.contains("2 of 3 files failed"), r.err)
    }

    func testEveryCommandHasHelpWithExamples() throws {
        let top = try run(["--help"])
        XCTAssertEqual(top.status, 0)
        var commands: [String] = []
        var inList = false
        for line in top.out.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") { inList = true; continue }
            if inList && line.isEmpty { break }
            if inList, line.hasPrefix("  "), let first = line.split(separator: " ").first, line.dropFirst(2).first?.isLetter == true {
                commands.append(String(first))
            }
        }
        XCTAssertTrue(commands.contains("ingest") && commands.contains("eval") && commands.contains("report"), "\(commands)")
        for c in commands {
            let h = try run(["help", c])
            XCTAssertEqual(h.status, 0, c)
            XCTAssertTrue(h.out.contains("Examples:"), "\(c) --help has no examples")
        }
        let v = try run(["--version"])
        XCTAssertEqual(v.out.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0")
    }

    func testMissingWeightsSayHowToFetchThem() throws {
        let r = try run(["detect", try TestFiles.asset("messi5.jpg").path, "--weights", "/nonexistent/mtcnn.safetensors"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("tools/setup.sh"), r.err)
    }
}
