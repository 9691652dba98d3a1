import Foundation
import SeqTestSupport
import XCTest

/// One behaviour across commands: errors reported once by the entry point, option checks in
/// `validate()` (exit 64 before any work), one vocabulary with the old names as hidden aliases,
/// and failed inputs listed rather than dropped.
final class CLIConsistencyTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("cli-consistency", removedAfter: self)
    }

    private typealias Result = CLIResult

    private func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let r = try TestCLI.run(args, in: dir, file: file, line: line)
        XCTAssertEqual(r.reason, .exit, "killed by a signal: \(args)", file: file, line: line)
        return r
    }

    private func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// Two unreadable "videos": a text file and a missing one.
    private func badVideos() throws -> (text: String, missing: String) {
        let text = dir.appendingPathComponent("notes.mp4")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        return (text.path, dir.appendingPathComponent("missing.mp4").path)
    }

    // MARK: errors are reported once

    func testASeqErrorIsOneLineWithExitCode1() throws {
        let missing = dir.appendingPathComponent("none.db").path
        for args in [["stats", "--catalog", missing], ["tracks", "--catalog", missing],
                     ["export", "--catalog", missing, "--out", dir.appendingPathComponent("lists").path]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            let lines = r.err.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(args): \(r.err)")
            XCTAssertTrue(lines.first?.hasPrefix("seqcurate: ") == true, "\(args): \(r.err)")
            XCTAssertFalse(r.err.contains("Error:"), "\(args): \(r.err)")
        }
    }

    func testEachFailureOfAMultiFileCommandIsPrintedOnce() throws {
        let (text, missing) = try badVideos()
        let good = try TestFiles.asset("carphone_pristine.mp4").path
        let probe = try run(["probe", text, good, missing])
        XCTAssertEqual(probe.status, 1, probe.err)
        XCTAssertEqual(occurrences(of: text, in: probe.err), 1, probe.err)
        XCTAssertEqual(occurrences(of: missing, in: probe.err), 1, probe.err)
        XCTAssertTrue(probe.err.hasSuffix("seqcurate: 2 of 3 files failed\n"), probe.err)

        let ingest = try run(["ingest", text, missing, "--catalog", dir.appendingPathComponent("c.db").path])
        XCTAssertEqual(ingest.status, 1, ingest.err)
        XCTAssertEqual(occurrences(of: text, in: ingest.err), 2, "once in progress ([1/2] path), once as the failure: \(ingest.err)")
        XCTAssertEqual(occurrences(of: "seqcurate: \(text): ", in: ingest.err), 1, ingest.err)
        XCTAssertEqual(occurrences(of: "seqcurate: \(missing): ", in: ingest.err), 1, ingest.err)
        XCTAssertFalse(ingest.err.contains("failed: "), ingest.err)
        XCTAssertTrue(ingest.err.hasSuffix("seqcurate: 2 of 2 videos failed\n"), ingest.err)
        XCTAssertTrue(ingest.out.contains("failed 2 of 2 videos"), ingest.out)

        let quiet = try run(["ingest", text, "--catalog", dir.appendingPathComponent("c.db").path, "--quiet"])
        XCTAssertEqual(quiet.status, 1, quiet.err)
        XCTAssertEqual(quiet.err.split(separator: "\n").count, 1, "one input: no count line: \(quiet.err)")

        let image = dir.appendingPathComponent("broken.jpg")
        try Data("not a jpeg".utf8).write(to: image)
        let messi = try TestFiles.asset("messi5.jpg").path
        for args in [["detect", image.path, messi], ["align", image.path, messi, "--out", dir.appendingPathComponent("crops").path]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            XCTAssertEqual(occurrences(of: image.path, in: r.err), 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.hasSuffix(" of 2 \(args[0] == "detect" ? "files" : "images") failed\n"), "\(args): \(r.err)")
        }
    }

    func testHelpIsStillArgumentParsers() throws {
        for args in [["--help"], ["help", "ingest"], ["ingest", "--help"]] {
            let r = try run(args)
            XCTAssertEqual(r.status, 0, "\(args): \(r.err)")
            XCTAssertTrue(r.out.contains("USAGE:"), "\(args)")
            XCTAssertEqual(r.err, "")
        }
        let unknown = try run(["probe", "--no-such-flag", "x.mp4"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.err.contains("Unknown option '--no-such-flag'"), unknown.err)
    }

    // MARK: validate()

    func testOptionChecksAreUsageErrorsBeforeAnyWork() throws {
        let catalog = dir.appendingPathComponent("never.db")
        let video = dir.appendingPathComponent("never.mp4").path
        let cases: [([String], String)] = [
            (["frames", video, "--out", "f", "--width", "0"], "--width must be at least 1, got 0"),
            (["probe", video, "--threads", "-1"], "--threads must be 0 (one per core) or more, got -1"),
            (["detect", video, "--detect-every", "0"], "--detect-every must be at least 1, got 0"),
            (["detect", video, "--min-face-size", "0"], "--min-face-size must be at least 1 (pixels)"),
            (["detect", video, "--thresholds", "0.6,0.7"], "--thresholds needs three numbers between 0 and 1"),
            (["align", video, "--out", "a", "--size", "4"], "--size must lie between 8 and 4096, got 4"),
            (["ingest", video, "--catalog", catalog.path, "--detect-every", "0"], "--detect-every must be at least 1, got 0"),
            (["ingest", video, "--catalog", catalog.path, "--min-sequence-faces", "6", "--max-sequence-faces", "5"],
             "--max-sequence-faces (5) must be at least --min-sequence-faces (6)"),
            (["ingest", video, "--catalog", catalog.path, "--threads", "0"], "--threads must be in 1…256, got 0"),
            (["ingest", video, "--catalog", catalog.path, "--max-gap", "-1"], "--max-gap must be 0 or more, got -1"),
            (["ingest", video, "--catalog", catalog.path, "--embed-settled-every", "0"], "--embed-settled-every must be at least 1, got 0"),
            (["report", "--catalog", catalog.path, "--out", "r", "--dropped-per-sequence", "-2"], "--dropped-per-sequence must be 0 or more"),
            (["import-identities", "root", "--catalog", catalog.path, "--commit-every", "0"], "--commit-every must be at least 1, got 0"),
            (["features", "--model", "m", "--list", "l", "--out", "o.npy", "--batch-size", "0"], "--batch-size must be in 1…"),
            (["features", "--model", "m", "--out", "o.npy"], "give exactly one of --list and --images"),
            (["features", "--model", "m", "--list", "l", "--out", "-"], "--out needs a file name"),
            (["export", "--catalog", catalog.path, "--out", "l", "--val-fraction", "1"], "--val-fraction must be in [0, 1)"),
            (["train", "--out", "r", "--identity-list", "id.txt", "--sequence-batch", "4"], "--sequence-batch > 0 needs --sequence-list"),
            (["train", "--out", "r"], "--identity-list is required"),
            (["loss", "dsa", "--features", "x", "--labels", "y", "--centers", "c", "--agent-order", "p", "--faceid-num", "2",
              "--seqid-num", "2", "--lambda", "2", "--dropout-ratio", "0.5", "--alpha", "2", "--beta", "1", "--out-dir", "o"],
             "lambda must be in [0, 1], got 2"),
            (["loss", "margin", "--type", "cosface", "--backward", "caffe", "--features", "x", "--weight", "w", "--labels", "y",
              "--top-diff", "g", "--iteration", "1", "--out-dir", "o"], "exists for sphereface only"),
            (["loss", "margin", "--features", "x", "--weight", "w", "--labels", "y", "--top-diff", "g", "--iteration", "-1", "--out-dir", "o"],
             "--iteration must be >= 0, got -1"),
        ]
        for (args, message) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(args): expected \"\(message)\" in \(r.err)")
            XCTAssertFalse(r.err.contains("Missing value"), "a negative number is a value: \(args): \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: catalog.path), "a usage mistake must not create the catalog")
    }

    func testTrainEnumsListTheirValues() throws {
        let help = try run(["help", "train"])
        XCTAssertTrue(help.out.contains("(values: face_res20net, tiny)"), help.out)
        XCTAssertTrue(help.out.contains("sphereface, cosface, arcface, none"), help.out)
        let bad = try run(["train", "--out", "r", "--identity-list", "id.txt", "--margin", "softmax"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.err.contains("'softmax' is invalid for '--margin"), bad.err)
    }

    // MARK: one vocabulary; the old names as hidden aliases

    /// (command, old name, new name) of every rename.
    private let renames: [([String], String, String)] = [
        (["detect"], "--every", "--detect-every"),
        (["align"], "--method", "--align"),
        (["detect"], "--min-face", "--min-face-size"),
        (["align"], "--min-face", "--min-face-size"),
        (["ingest"], "--min-face", "--min-face-size"),
        (["import-identities"], "--min-face", "--min-face-size"),
        (["eval"], "--min-face", "--min-face-size"),
        (["ingest"], "--min-faces", "--min-sequence-faces"),
        (["ingest"], "--max-faces", "--max-sequence-faces"),
        (["features"], "--batch", "--batch-size"),
        (["import-identities"], "--batch", "--commit-every"),
    ]

    func testOldNamesAreHiddenFromHelpButListedInTheRootHelp() throws {
        for (command, old, new) in renames {
            let help = try run(["help"] + command)
            XCTAssertTrue(help.out.contains("\(new) <"), "\(command) --help lacks \(new)")
            XCTAssertFalse(help.out.contains("\(old) <"), "\(command) --help shows the old \(old)")
            let hidden = try run(command + ["--help-hidden"])
            XCTAssertTrue(hidden.out.contains("\(old) <"), "\(command) --help-hidden lacks \(old)")
        }
        let root = try run(["--help"])
        for (_, old, new) in renames {
            XCTAssertNotNil(root.out.range(of: "\(old) +-> \(new)", options: .regularExpression), "root help lacks \(old) -> \(new)")
        }
        for command in ["frames", "ingest", "import-identities", "train", "features", "eval", "report"] {
            XCTAssertTrue(try run(["help", command]).out.contains("--quiet"), "\(command) prints progress but has no --quiet")
        }
    }

    func testOldNamesStillWork() throws {
        // Each old spelling reaches the same value as the new one (shown by the check of that value).
        let catalog = dir.appendingPathComponent("never.db").path
        let cases: [([String], String)] = [
            (["detect", "x.mp4", "--every", "0"], "--every must be at least 1, got 0"),
            (["detect", "x.mp4", "--min-face", "0"], "--min-face-size must be at least 1 (pixels), got 0"),
            (["ingest", "x.mp4", "--catalog", catalog, "--min-faces", "6", "--max-faces", "5"],
             "--max-sequence-faces (5) must be at least --min-sequence-faces (6)"),
            (["import-identities", "root", "--catalog", catalog, "--batch", "0"], "--commit-every must be at least 1, got 0"),
            (["features", "--model", "m", "--list", "l", "--out", "o.npy", "--batch", "0"], "--batch must be in 1…"),
            (["align", "x.jpg", "--out", "a", "--method", "bogus"], "'bogus' is invalid for '--method"),
            (["detect", "x.mp4", "--every", "2", "--detect-every", "3"], "--every is the old name of --detect-every: give only --detect-every"),
        ]
        for (args, message) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains(message), "\(args): expected \"\(message)\" in \(r.err)")
        }
        // And end to end: every 60th of 120 frames is 2 records, with either spelling.
        let video = try TestFiles.asset("carphone_pristine.mp4").path
        for flag in ["--every", "--detect-every"] {
            let r = try run(["detect", "--json", flag, "60", video])
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertEqual(r.out.split(separator: "\n").count, 2, "\(flag): \(r.out)")
        }
        let crops = dir.appendingPathComponent("crops")
        let aligned = try run(["align", try TestFiles.asset("messi5.jpg").path, "--out", crops.path, "--method", "similarity"])
        XCTAssertEqual(aligned.status, 0, aligned.err)
        XCTAssertTrue(aligned.out.contains("wrote 1 crop"), aligned.out)
    }

    // MARK: failed inputs are listed, units are stated

    func testProbeJSONListsFailedFilesWithTheirError() throws {
        let (text, missing) = try badVideos()
        let good = try TestFiles.asset("carphone_pristine.mp4").path
        let r = try run(["probe", "--json", text, good, missing])
        XCTAssertEqual(r.status, 1, r.err)
        let objects = try r.out.split(separator: "\n").map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.count, 3, r.out)
        XCTAssertEqual(objects.map { $0["path"] as? String }, [text, good, missing], "in the order given")
        XCTAssertEqual(Set(objects[0].keys), ["path", "error"])
        XCTAssertEqual(objects[0]["error"] as? String, "not a readable video (Invalid data found when processing input)")
        XCTAssertEqual(objects[2]["error"] as? String, "no such file")
        XCTAssertEqual(objects[1]["frames"] as? Int, 120)
        XCTAssertNil(objects[1]["error"])
        XCTAssertTrue(r.err.contains("seqcurate: \(missing): no such file"), r.err)
    }

    func testTracksTableStatesTheJumpUnit() throws {
        let catalog = dir.appendingPathComponent("c.db").path
        let ingest = try run(["ingest", try TestFiles.asset("carphone_pristine.mp4").path, "--catalog", catalog,
                              "--detect-every", "4", "--threads", "2", "--quiet"])
        XCTAssertEqual(ingest.status, 0, ingest.err)
        let r = try run(["tracks", "--catalog", catalog])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n")
        XCTAssertTrue(lines.first?.contains("jump px") == true, r.out)
        // The value sits under its header.
        let header = String(lines[0]), row = String(lines[1])
        let end = header.distance(from: header.startIndex, to: header.range(of: "jump px")!.upperBound)
        XCTAssertEqual(Array(row)[end - 1].isNumber, true, "\(header)\n\(row)")
    }
}
