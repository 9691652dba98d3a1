import XCTest
import SeqCore
@testable import SeqTrain

final class TrainingListTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("seqlist-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["a.jpg", "b c.jpg", "d.jpg"] { try Data([1]).write(to: dir.appendingPathComponent(name)) }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func list(_ text: String) throws -> URL {
        let url = dir.appendingPathComponent("list.txt")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func assertError(_ text: String, _ kind: TrainingList.Kind, classCount: Int? = nil, line: Int, contains: String,
                             file: StaticString = #filePath, fileLine: UInt = #line) throws {
        let url = try list(text)
        XCTAssertThrowsError(try TrainingList(file: url, kind: kind, classCount: classCount), file: file, line: fileLine) { e in
            guard let e = e as? SeqError else { return XCTFail("not a SeqError: \(e)", file: file, line: fileLine) }
            XCTAssertEqual(e.file, url.path, file: file, line: fileLine)
            XCTAssertEqual(e.line, line, "\(e)", file: file, line: fileLine)
            XCTAssertTrue(e.description.contains(contains), "\(e)", file: file, line: fileLine)
        }
    }

    func testReadsListsAndCountsClasses() throws {
        let ids = try TrainingList(file: try list("a.jpg 0\n\n# comment\nb c.jpg 2\n"), kind: .identity)
        XCTAssertEqual(ids.entries.map(\.path), ["a.jpg", "b c.jpg"])
        XCTAssertEqual(ids.entries.map(\.line), [1, 4])
        XCTAssertEqual(ids.classCount, 3)
        let seqs = try TrainingList(file: try list("a.jpg -1\nd.jpg -4\n"), kind: .sequence)
        XCTAssertEqual(seqs.classCount, 4)
    }

    func testExportManifestGivesRootAndClassCounts() throws {
        let lists = dir.appendingPathComponent("lists")
        try FileManager.default.createDirectory(at: lists, withIntermediateDirectories: true)
        let manifest = #"{"format_version": 1, "faceid_num": 7, "seqid_num": 9, "filters": {"paths": "relative", "root": "\#(dir.path)"}}"#
        try manifest.write(to: lists.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        let url = lists.appendingPathComponent("image_train_part1.txt")
        try "a.jpg 0\nd.jpg 6\n".write(to: url, atomically: true, encoding: .utf8)
        let ids = try TrainingList(file: url, kind: .identity)
        XCTAssertEqual(ids.root.standardizedFileURL.path, dir.standardizedFileURL.path)
        XCTAssertEqual(ids.classCount, 7)
        try "a.jpg 7\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingList(file: url, kind: .identity), "label 7 is outside the manifest's 0…6")
    }

    func testBadListsNameFileAndLine() throws {
        try assertError("a.jpg 0\nmissing.jpg 1\n", .identity, line: 2, contains: "does not exist")
        try assertError("a.jpg 0\nd.jpg x1\n", .identity, line: 2, contains: "not an integer")
        try assertError("a.jpg 0\nd.jpg 5\n", .identity, classCount: 5, line: 2, contains: "outside 0…4")
        try assertError("a.jpg -1\n", .identity, line: 1, contains: "negative")
        try assertError("a.jpg -1\nd.jpg -3\n", .sequence, classCount: 2, line: 2, contains: "outside -1…-2")
        try assertError("a.jpg 0\n", .sequence, line: 1, contains: "not negative")
        try assertError("\n# only a comment\n", .identity, line: 3, contains: "empty")
        try assertError("a.jpg\n", .identity, line: 1, contains: "path label")
    }

    func testConfigFileRejectsUnknownKeysAtEveryLevel() throws {
        let url = dir.appendingPathComponent("config.json")
        for (json, key) in [(#"{"solver": {"base_lr": 0.1, "momentun": 0.9}}"#, "momentun"),
                            (#"{"head": {"kind": "cosface", "margin": 0.3}}"#, "margin"),
                            (#"{"dsa": {"lamda": 0.5}}"#, "lamda"),
                            (#"{"data": {"batch": 4}}"#, "batch"),
                            (#"{"nets": {}}"#, "nets")] {
            try json.write(to: url, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try TrainConfig.load(from: url)) { e in
                XCTAssertTrue("\(e)".contains("\"\(key)\""), "\(e)")
            }
        }
        try #"{"network": {"channels": [8, 8], "units": [1, 0], "input_size": 16}, "head": {"kind": "arcface"}, "solver": {"lr_policy": "multistep", "stepvalues": [10, 20]}}"#
            .write(to: url, atomically: true, encoding: .utf8)
        let config = try TrainConfig.load(from: url)
        XCTAssertEqual(config.head.m, 0.5)
        XCTAssertEqual(config.solver.learningRate(at: 9), 0.01, accuracy: 1e-9)
        XCTAssertEqual(config.solver.learningRate(at: 10), 0.001, accuracy: 1e-9)
        XCTAssertEqual(config.solver.learningRate(at: 25), 0.0001, accuracy: 1e-9)
        // What is saved reads back to the same config.
        try config.jsonData().write(to: url)
        XCTAssertEqual(try TrainConfig.load(from: url), config)
    }

    /// Swift reads "\r\n" as one character, so splitting on "\n" kept a CRLF list as one line
    /// (and its error printed the whole file).
    func testCRLFListsAreReadLineByLine() throws {
        let ids = try TrainingList(file: try list("a.jpg 0\r\nb c.jpg 1\r\n\r\nd.jpg 2\r\n"), kind: .identity)
        XCTAssertEqual(ids.entries.map(\.path), ["a.jpg", "b c.jpg", "d.jpg"])
        XCTAssertEqual(ids.entries.map(\.line), [1, 2, 4])
        try assertError("a.jpg 0\r\nd.jpg x\r\na.jpg 1\r\n", .identity, line: 2, contains: "label \"x\" is not an integer")
        let url = try list("a.jpg 0\r\nd.jpg 1\r\n")
        XCTAssertEqual(try ImageSet.list(url).keys, ["a.jpg", "d.jpg"])
    }

    /// `export --paths absolute` writes absolute paths; they were joined under the root and
    /// reported missing.
    func testAbsolutePathsAreUsedAsWritten() throws {
        let elsewhere = dir.appendingPathComponent("lists")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let url = elsewhere.appendingPathComponent("abs.txt")
        let a = dir.appendingPathComponent("a.jpg").path, bc = dir.appendingPathComponent("b c.jpg").path
        try "\(a) 0\n\(bc) 1\nd.jpg 1\n".write(to: url, atomically: true, encoding: .utf8)
        let ids = try TrainingList(file: url, kind: .identity, root: dir)
        XCTAssertEqual(ids.entries.map { ids.url(of: $0).path }, [a, bc, dir.appendingPathComponent("d.jpg").path])
        let set = try ImageSet.list(url, root: dir)
        XCTAssertEqual(set.urls.map(\.path), [a, bc, dir.appendingPathComponent("d.jpg").path])
        try "\(a) 0\n/no/such/image.jpg 1\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingList(file: url, kind: .identity, root: dir)) { e in
            XCTAssertEqual("\(e)", "\(url.path):2: image /no/such/image.jpg does not exist")
        }
    }

    /// A label of 2000000000 made a head of 2e9 rows and the process aborted in the allocator.
    func testHugeLabelsAndClassCountsAreErrorsNamingTheLine() throws {
        try assertError("a.jpg 0\nd.jpg 1\nb c.jpg 2000000000\n", .identity, line: 3, contains: "far beyond the 3 distinct identities")
        try assertError("a.jpg -1\nd.jpg -2000000000\n", .sequence, line: 2, contains: "far beyond the 2 distinct sequences")
        try assertError("a.jpg 0\nd.jpg 9223372036854775807\n", .identity, line: 2, contains: "label 9223372036854775807 is out of range")
        try assertError("a.jpg -9223372036854775808\n", .sequence, line: 1, contains: "is out of range")
        try assertError("a.jpg 0\nd.jpg 5\n", .identity, classCount: 3, line: 2, contains: "outside 0…2 (the given faceid_num is 3)")
        // Small gaps are normal (a list filtered by hand); the count still comes from the labels.
        XCTAssertEqual(try TrainingList(file: try list("a.jpg 0\nd.jpg 500\n"), kind: .identity).classCount, 501)
        // A given count is checked against the bound, not against the labels' spread.
        XCTAssertEqual(try TrainingList(file: try list("a.jpg 0\n"), kind: .identity, classCount: 50_000).classCount, 50_000)
        for bad in [0, -1, 2_000_000_000] {
            XCTAssertThrowsError(try TrainingList(file: try list("a.jpg 0\n"), kind: .identity, classCount: bad)) { e in
                XCTAssertTrue("\(e)".contains("faceid_num is \(bad); it must be in 1…\(TrainLimits.maxClasses)"), "\(e)")
            }
        }
        // The same bound applies to an export manifest's count, naming the manifest.
        let lists = dir.appendingPathComponent("m")
        try FileManager.default.createDirectory(at: lists, withIntermediateDirectories: true)
        let manifest = lists.appendingPathComponent("manifest.json")
        try #"{"format_version": 1, "faceid_num": 2000000000, "seqid_num": 1e300}"#.write(to: manifest, atomically: true, encoding: .utf8)
        let url = lists.appendingPathComponent("ids.txt")
        try "\(dir.appendingPathComponent("a.jpg").path) 0\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingList(file: url, kind: .identity)) { e in
            XCTAssertTrue("\(e)".contains("faceid_num in \(manifest.path) is 2000000000"), "\(e)")
        }
        // seqid_num 1e300 is no integer: ignored (the labels give S) rather than a trap.
        try "\(dir.appendingPathComponent("a.jpg").path) -2\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TrainingList(file: url, kind: .sequence).classCount, 2)
    }
}
