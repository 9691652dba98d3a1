import Foundation
import XCTest

/// The command-line tool as a user runs it.
final class CLITests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func executable() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("seqcurate"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("seqcurate"),
            Self.repoRoot.appendingPathComponent(".build/debug/seqcurate"),
        ]
        guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("seqcurate executable not built next to the tests")
        }
        return url
    }

    private func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = try executable()
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    private func asset(_ name: String) throws -> String {
        let url = Self.repoRoot.appendingPathComponent("assets/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("missing \(url.path): run tools/setup.sh")
            throw XCTSkip("asset missing")
        }
        return url.path
    }

    func testProbeJSONReportsTheSample() throws {
        let r = try run(["probe", "--json", try asset("carphone_pristine.mp4")])
        XCTAssertEqual(r.status, 0, r.err)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(obj["frames"] as? Int, 120)
        XCTAssertEqual(obj["width"] as? Int, 176)
        XCTAssertEqual(obj["height"] as? Int, 144)
        XCTAssertEqual(obj["codec"] as? String, "h264")
        XCTAssertEqual(try XCTUnwrap(obj["fps"] as? Double), 29.97, accuracy: 0.01)
        XCTAssertEqual(try XCTUnwrap(obj["duration"] as? Double), 4.0, accuracy: 0.05)
    }

    func testProbeGoesPastBadFilesAndFailsAtTheEnd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let text = dir.appendingPathComponent("notes.mp4")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        let empty = dir.appendingPathComponent("empty.mp4")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        let r = try run(["probe", "--json", text.path, try asset("carphone_pristine.mp4"), empty.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out.split(separator: "\n").count, 1, "the good file is still probed")
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
        let r = try run(["detect", try asset("messi5.jpg"), "--weights", "/nonexistent/mtcnn.safetensors"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("tools/setup.sh"), r.err)
    }
}
