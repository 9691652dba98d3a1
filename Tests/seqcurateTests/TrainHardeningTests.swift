import Foundation
import SeqTestSupport
import XCTest

/// `seqcurate train` as a user runs it on bad input: every failure is a one-line message and
/// a non-zero exit, never a signal.
final class TrainHardeningTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("train-hardening", removedAfter: self)
        try writeImages()
    }

    private typealias Result = CLIResult

    private func run(_ args: [String]) throws -> Result { try TestCLI.run(args, in: dir) }

    /// Asserts the command failed by exiting (not by a signal) with `status` and says `message`.
    private func assertFails(_ r: Result, status: Int32 = 1, saying message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(r.exited, "killed by signal \(r.status): \(r.err)", file: file, line: line)
        XCTAssertEqual(r.status, status, r.err, file: file, line: line)
        XCTAssertTrue(r.err.contains(message), "expected \"\(message)\" in: \(r.err)", file: file, line: line)
    }

    // MARK: data

    /// 3 identities x 3 images and 2 sequences x 2 images, 36x36 24-bit BMPs of distinct colours,
    /// in lists `id.txt` and `seq.txt` (relative paths).
    private func writeImages() throws {
        var idLines: [String] = [], seqLines: [String] = []
        for k in 0..<5 {
            let folder = dir.appendingPathComponent("img/\(k)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0..<(k < 3 ? 3 : 2) {
                let rel = "img/\(k)/\(i).bmp"
                try bmp(side: 36, seed: k * 10 + i, base: k).write(to: dir.appendingPathComponent(rel))
                if k < 3 { idLines.append("\(rel) \(k)") } else { seqLines.append("\(rel) -\(k - 2)") }
            }
        }
        try (idLines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("id.txt"), atomically: true, encoding: .utf8)
        try (seqLines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("seq.txt"), atomically: true, encoding: .utf8)
    }

    /// An uncompressed bottom-up 24-bit BMP: a colour per class with a little per-image noise.
    private func bmp(side: Int, seed: Int, base: Int) -> Data {
        let rowBytes = (side * 3 + 3) / 4 * 4
        let pixelBytes = rowBytes * side
        var d = Data()
        func u16(_ v: Int) { d.append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)]) }
        func u32(_ v: Int) { u16(v & 0xFFFF); u16(v >> 16 & 0xFFFF) }
        d.append(contentsOf: Array("BM".utf8)); u32(54 + pixelBytes); u32(0); u32(54)
        u32(40); u32(side); u32(side); u16(1); u16(24); u32(0); u32(pixelBytes); u32(2835); u32(2835); u32(0); u32(0)
        var state = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 1)
        for y in 0..<side {
            var row = [UInt8](repeating: 0, count: rowBytes)
            for x in 0..<side {
                state = state &* 1_664_525 &+ 1_013_904_223
                let noise = Int(state >> 28)
                let tone = (x < side / 2) == (y < side / 2) ? 60 : 180
                row[x * 3] = UInt8((tone + base * 37 + noise) % 256)
                row[x * 3 + 1] = UInt8((255 - tone + base * 11 + noise) % 256)
                row[x * 3 + 2] = UInt8((base * 53 + noise) % 256)
            }
            d.append(contentsOf: row)
        }
        return d
    }

    /// A small, fast training command on the test images.
    private func train(_ extra: [String], out: String = "run") -> [String] {
        ["train", "--network", "tiny", "--identity-batch", "4", "--max-iter", "2", "--quiet", "--out", out] + extra
    }

    // MARK: tests

    /// C1: a list line `... 2000000000` aborted with "failed to allocate 512000000288 bytes".
    func testHugeLabelOrClassCountIsAMessageNotAnAbort() throws {
        let list = dir.appendingPathComponent("big.txt")
        try (try String(contentsOf: dir.appendingPathComponent("id.txt"), encoding: .utf8) + "img/0/0.bmp 2000000000\n")
            .write(to: list, atomically: true, encoding: .utf8)
        assertFails(try run(train(["--identity-list", list.path])),
                    saying: "\(list.path):10: identity label 2000000000 is far beyond the 4 distinct identities")
        assertFails(try run(train(["--identity-list", "id.txt", "--faceid-num", "2000000000"])), status: 64,
                    saying: "--faceid-num must be at most 10000000")
        assertFails(try run(train(["--identity-list", "id.txt", "--faceid-num", "2"])),
                    saying: "identity label 2 is outside 0…1")
        // A batch no machine can hold is refused before anything is allocated.
        assertFails(try run(train(["--identity-list", "id.txt", "--network", "face_res20net", "--input", "1024", "--identity-batch", "4096"])),
                    saying: "training needs about")
        try "img/0/0.bmp 0\nimg/0/1.bmp 9223372036854775807\n".write(to: list, atomically: true, encoding: .utf8)
        assertFails(try run(train(["--identity-list", list.path])), saying: "\(list.path):2: label 9223372036854775807 is out of range")
    }

    /// Item 7: 0 read as "outside 0…-1", -1 as "Missing value".
    func testClassCountFlagsAreValidated() throws {
        for value in ["0", "-1"] {
            let r = try run(train(["--identity-list", "id.txt", "--faceid-num", value]))
            assertFails(r, status: 64, saying: "--faceid-num must be at least 1")
            XCTAssertFalse(r.err.contains("Missing value"), r.err)
        }
        assertFails(try run(train(["--identity-list", "id.txt", "--seqid-num", "-5"])), status: 64, saying: "--seqid-num must be at least 1")
        assertFails(try run(train(["--identity-list", "id.txt", "--identity-batch", "-4"])), status: 64, saying: "--identity-batch must be at least 1")
    }

    /// C2: the SphereFace head trapped on NaN ("Float value cannot be converted to Int").
    func testDivergenceStopsNamingTheIteration() throws {
        for lr in ["10", "1e30"] {
            let r = try run(["train", "--network", "tiny", "--identity-list", "id.txt", "--sequence-list", "seq.txt",
                             "--identity-batch", "8", "--sequence-batch", "4", "--max-iter", "40", "--base-lr", lr,
                             "--quiet", "--out", "div-\(lr)"])
            assertFails(r, saying: "seqcurate: iteration ")
            XCTAssertTrue(r.err.contains("training stopped"), r.err)
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        }
    }

    /// Items 3 and 4: CRLF lines, and absolute paths as `export --paths absolute` writes them.
    func testCRLFListsWithAbsolutePathsTrain() throws {
        let text = try String(contentsOf: dir.appendingPathComponent("id.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { dir.appendingPathComponent(String($0)).path }
        let list = dir.appendingPathComponent("lists/abs.txt")
        try FileManager.default.createDirectory(at: list.deletingLastPathComponent(), withIntermediateDirectories: true)
        try (lines.joined(separator: "\r\n") + "\r\n").write(to: list, atomically: true, encoding: .utf8)
        let r = try run(train(["--identity-list", list.path]))
        XCTAssertTrue(r.exited)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("\"iterations\":2"), r.out)
        try "img/0/0.bmp 0\r\nimg/0/1.bmp zero\r\n".write(to: list, atomically: true, encoding: .utf8)
        let bad = try run(train(["--identity-list", list.path, "--root", dir.path], out: "bad"))
        assertFails(bad, saying: "\(list.path):2: label \"zero\" is not an integer")
        XCTAssertEqual(bad.err.split(separator: "\n").count, 1, bad.err)
    }

    /// Item 5: changed settings were ignored silently on --resume.
    func testResumeRefusesChangedSettingsByName() throws {
        let start = try run(train(["--identity-list", "id.txt", "--base-lr", "0.01", "--snapshot", "1", "--seed", "3"]))
        XCTAssertEqual(start.status, 0, start.err)
        assertFails(try run(["train", "--out", "run", "--resume", "--base-lr", "0.1"]),
                    saying: "--base-lr 0.1 differs from the run's 0.01; only --max-iter, --snapshot, --threads and --root may change")
        let several = try run(["train", "--out", "run", "--resume", "--seed", "4", "--identity-batch", "8", "--margin", "cosface"])
        assertFails(several, saying: "--seed 4 differs from the run's 3")
        XCTAssertTrue(several.err.contains("--identity-batch 8 differs from the run's 4"), several.err)
        XCTAssertTrue(several.err.contains("--margin cosface differs from the run's sphereface"), several.err)
        let config = dir.appendingPathComponent("other.json")
        try #"{"network": {"channels": [8, 16, 24, 32], "units": [1, 1, 1, 1], "input_size": 32, "feature_dim": 64}, "data": {"image_size": 36, "identity_batch": 4, "sequence_batch": 0}, "solver": {"base_lr": 0.01, "seed": 3, "momentum": 0.5}}"#
            .write(to: config, atomically: true, encoding: .utf8)
        assertFails(try run(["train", "--out", "run", "--resume", "--config", config.path]),
                    saying: "differs from the run's settings in solver.momentum 0.5 (was 0.9")
        // Giving the run's own values, or the settings that may change, continues the run.
        let ok = try run(["train", "--out", "run", "--resume", "--base-lr", "0.01", "--network", "tiny", "--seed", "3",
                          "--max-iter", "3", "--threads", "1", "--quiet"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertTrue(ok.out.contains("\"iterations\":3"), ok.out)
    }

    /// Item 6: a damaged newest checkpoint blocked --resume.
    func testResumeSkipsACorruptNewestCheckpoint() throws {
        XCTAssertEqual(try run(train(["--identity-list", "id.txt", "--snapshot", "1"])).status, 0)
        let newest = dir.appendingPathComponent("run/checkpoints/iter_00000002.safetensors")
        try Data("junk".utf8).write(to: newest)
        let r = try run(["train", "--out", "run", "--resume", "--max-iter", "3", "--quiet"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("resume: skipped checkpoint \(newest.path)"), r.err)
        XCTAssertTrue(r.err.contains("resume: using the newest good checkpoint, iteration 1"), r.err)
        XCTAssertTrue(r.out.contains("\"iterations\":3"), r.out)
        for name in try FileManager.default.contentsOfDirectory(atPath: newest.deletingLastPathComponent().path) where name.hasSuffix(".safetensors") {
            try Data("junk".utf8).write(to: newest.deletingLastPathComponent().appendingPathComponent(name))
        }
        assertFails(try run(["train", "--out", "run", "--resume", "--max-iter", "4"]), saying: "no good checkpoint to resume from")
    }

    /// Items 7 and 8: config messages name the key; a repeated key is refused.
    func testConfigMistakesNameTheKey() throws {
        let config = dir.appendingPathComponent("c.json")
        try #"{"solver": {"max_iter": 2.5}}"#.write(to: config, atomically: true, encoding: .utf8)
        assertFails(try run(train(["--identity-list", "id.txt", "--config", config.path])),
                    saying: "\(config.path): key solver.max_iter must be an integer, got 2.5")
        try "{\"solver\": {\"base_lr\": 0.1,\n \"base_lr\": 0.2}}".write(to: config, atomically: true, encoding: .utf8)
        assertFails(try run(train(["--identity-list", "id.txt", "--config", config.path])),
                    saying: "\(config.path):2: key \"base_lr\" appears twice in solver")
    }
}
