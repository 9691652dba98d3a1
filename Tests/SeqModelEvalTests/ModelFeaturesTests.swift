import Foundation
import XCTest
import SeqCore
import SeqDetect
@testable import SeqEval
import SeqMedia
@testable import SeqModelEval
import SeqTestSupport
import SeqTrain

final class ModelFeaturesTests: XCTestCase {
    /// A random 36x36 JPEG at `root/relative`.
    func writeImage(_ root: URL, _ relative: String, rng: inout TestRandom) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try ImageIO.writeJPEG(Image(width: 36, height: 36, channels: 3, pixels: (0..<(36 * 36 * 3)).map { _ in rng.byte() }), to: url)
    }

    /// An LFW-layout dataset of four images and a run with one checkpoint of the tiny network.
    func datasetAndRun() throws -> (data: URL, run: URL) {
        let work = try TestFiles.tempDirectory("seqmodeleval-tests", removedAfter: self)
        let data = work.appendingPathComponent("data")
        var rng = TestRandom(seed: 7)
        let files = ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg", "B/B_0002.jpg"]
        for f in files { try writeImage(data, f, rng: &rng) }
        let list = data.appendingPathComponent("train.txt")
        try files.enumerated().map { "\($0.element) \($0.offset / 2)\n" }.joined().write(to: list, atomically: true, encoding: .utf8)
        var config = TrainConfig()
        config.network = .tiny
        config.solver.maxIter = 1
        config.solver.snapshot = 0
        config.data.identityBatch = 4
        config.data.sequenceBatch = 0
        config.data.imageSize = 36
        let run = work.appendingPathComponent("run")
        try Trainer(config: config, identity: try TrainingList(file: list, kind: .identity), sequence: nil,
                    options: .init(runDir: run, quiet: true)).run()
        return (data, run)
    }

    func pairs(_ keys: [(String, String)]) -> PairList {
        PairList(file: "pairs.txt", layout: .lfwSeqFace,
                 pairs: keys.enumerated().map { FacePair(first: $0.element.0, second: $0.element.1, same: $0.offset == 0, fold: 0, line: $0.offset + 1) })
    }

    func testExtractsOnceThenReadsTheCache() throws {
        let (data, run) = try datasetAndRun()
        var pipeline = ModelFeatures(root: data, run: run)
        pipeline.quiet = true
        let list = pairs([("A/A_0001.jpg", "A/A_0002.jpg"), ("A/A_0001.jpg", "B/B_0001.jpg")])
        let first = try pipeline.features(for: list)
        XCTAssertEqual(first.keys, ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg"])
        XCTAssertEqual(first.values.count, 3 * first.dimension)
        XCTAssertTrue(first.values.allSatisfy(\.isFinite))
        let cached = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("eval_cache").path)
        XCTAssertTrue(cached.contains { $0.hasPrefix("lfw-") && $0.hasSuffix(".npy") }, "\(cached)")

        // A changed image is not read again: the cache answers for its key.
        var rng = TestRandom(seed: 99)
        try writeImage(data, "A/A_0002.jpg", rng: &rng)
        let again = try pipeline.features(for: list)
        XCTAssertEqual(again.keys, first.keys)
        XCTAssertEqual(again.values, first.values)
    }

    func testMissingImagesAndRuns() throws {
        let (data, run) = try datasetAndRun()
        var pipeline = ModelFeatures(root: data, run: run)
        pipeline.quiet = true
        let list = pairs([("A/A_0001.jpg", "C/C_0001.jpg")])
        assertSeqError(try pipeline.features(for: list), contains: ["no image for 'C/C_0001.jpg'", "--skip-missing"])
        pipeline.skipMissing = true
        XCTAssertEqual(try pipeline.features(for: list).keys, ["A/A_0001.jpg"])

        let empty = try TestFiles.tempDirectory("seqmodeleval-tests", removedAfter: self)
        assertSeqError(try ModelFeatures(root: data, run: empty).features(for: list), contains: ["no checkpoint yet"])
    }

    /// `--detect`: images without a face (random noise) are used whole; the copies are cached
    /// under `eval_cache/aligned-*` and get their own feature cache.
    func testDetectionWritesAlignedCopies() throws {
        let (data, run) = try datasetAndRun()
        let weights = try TestFiles.asset("mtcnn.safetensors")
        var made = 0
        let detection = ModelFeatures.Detection(makeDetector: { made += 1; return try MTCNN(weights: weights) },
                                                cropper: { image, _ in image })
        var pipeline = ModelFeatures(root: data, run: run, detection: detection)
        pipeline.quiet = true
        let list = pairs([("A/A_0001.jpg", "B/B_0002.jpg")])
        XCTAssertEqual(try pipeline.features(for: list).keys, ["A/A_0001.jpg", "B/B_0002.jpg"])
        XCTAssertEqual(made, 1)
        let cache = run.appendingPathComponent("eval_cache")
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        let aligned = try XCTUnwrap(names.first { $0.hasPrefix("aligned-") }, "\(names)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache.appendingPathComponent("\(aligned)/B/B_0002.jpg").path))
        XCTAssertTrue(names.contains { $0.hasSuffix("-detect.npy") }, "\(names)")
        // Everything cached: the detector is not made again.
        _ = try pipeline.features(for: list)
        XCTAssertEqual(made, 1)
    }

    func testStableHashIsFNV1a() {
        XCTAssertEqual(ModelFeatures.stableHash(""), "cbf29ce484222325")
        XCTAssertEqual(ModelFeatures.stableHash("a"), "af63dc4c8601ec8c")
    }
}
