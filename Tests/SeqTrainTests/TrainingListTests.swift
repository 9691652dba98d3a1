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
}
