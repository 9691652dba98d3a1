import XCTest
@testable import SeqEval
import SeqCore
import SeqTestSupport

final class FeatureScoringTests: XCTestCase {
    /// Three LFW images: cos(A1, A2) = 0.6, cos(A1, B1) = 0, cos(A2, B1) = 0.8 (features need not be unit length).
    func lfwFeatures() throws -> FeatureFile {
        try FeatureFile(keys: ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg"],
                        values: [2, 0, 0.6, 0.8, 0, 5], dimension: 2, featuresPath: "F.npy", keysPath: "K.txt")
    }

    func lfwPairs() throws -> PairList {
        try PairFileReader.parse("A/A_0001.jpg A/A_0002.jpg 1\nA/A_0001.jpg B/B_0001.jpg 0\nA/A_0002.jpg B/B_0001.jpg 0\n",
                                 file: "pairs.txt")
    }

    func testLFWCosineSimilarities() throws {
        let scores = try PairScorer.score(try lfwPairs(), with: try lfwFeatures().source(for: .lfw))
        XCTAssertEqual(scores.similarities[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(scores.similarities[1], 0.0, accuracy: 1e-6)
        XCTAssertEqual(scores.similarities[2], 0.8, accuracy: 1e-6)
        XCTAssertEqual(scores.labels, [true, false, false])
        XCTAssertTrue(scores.skipped.isEmpty)
    }

    func testVideoFeatureIsTheNormalisedSumOfNormalisedFrames() throws {
        // (3,4)/5 + (0,2)/2 = (0.6, 1.8), normalised: (1, 3)/sqrt(10).
        let v = try XCTUnwrap(try VideoFeature.aggregate([[3, 4], [0, 2]]))
        XCTAssertEqual(Double(v[0]), 1 / 10.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(Double(v[1]), 3 / 10.0.squareRoot(), accuracy: 1e-6)
        XCTAssertNil(try VideoFeature.aggregate([]))
        XCTAssertNil(try VideoFeature.aggregate([[1, 0], [-2, 0]]))
    }

    func testYTFVideosCollectTheirFramesOnly() throws {
        // A/1 = (1, 3)/sqrt(10); A/10 must not leak into A/1 although "A/10" starts with "A/1".
        let file = try FeatureFile(keys: ["A/1/f1.jpg", "A/10/f1.jpg", "A/1/f2.jpg", "B/0/x.jpg", "C/0/a/b.jpg"],
                                   values: [3, 4, 0, -5, 0, 2, 2, 0, 1, 1], dimension: 2)
        let pairs = try PairFileReader.parse("1 1 A/1 B/0 0\n1 2 A/1 A/10 1\n2 1 B/0 C/0 0\n", file: "ytf.txt")
        let scores = try PairScorer.score(pairs, with: try file.source(for: .ytf))
        XCTAssertEqual(scores.similarities[0], 1 / 10.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(scores.similarities[1], -3 / 10.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(scores.similarities[2], 1 / 2.0.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(scores.folds, [1, 1, 2])
    }

    func testMissingKeyIsNamedAndStops() throws {
        let pairs = try PairFileReader.parse("A/A_0001.jpg A/A_0002.jpg 1\nA/A_0001.jpg Z/Z_0001.jpg 0\n", file: "pairs.txt")
        let source = try lfwFeatures().source(for: .lfw)
        assertSeqError(try PairScorer.score(pairs, with: source),
                       contains: ["pairs.txt:2:", "'Z/Z_0001.jpg'", "K.txt", "--skip-missing"])
        let scores = try PairScorer.score(pairs, with: source, skipMissing: true)
        XCTAssertEqual(scores.pairs.count, 1)
        XCTAssertEqual(scores.skipped.map(\.line), [2])
        XCTAssertEqual(scores.missingKeys, ["Z/Z_0001.jpg"])
    }

    func testMissingVideoIsNamed() throws {
        let file = try FeatureFile(keys: ["A/1/f.jpg"], values: [1, 0], dimension: 2, keysPath: "K.txt")
        let pairs = try PairFileReader.parse("split number, pair number, first name, second name, is same person\n1, 1, A/1, A/2, 1\n", file: "splits.txt")
        assertSeqError(try PairScorer.score(pairs, with: try file.source(for: .ytf)), contains: ["splits.txt:2:", "'A/2'"])
    }

    func testNaNAndZeroNormFeatures() throws {
        let pairs = try lfwPairs()
        let nan = try FeatureFile(keys: ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg"],
                                  values: [1, 0, .nan, 1, 0, 1], dimension: 2, keysPath: "K.txt")
        assertSeqError(try PairScorer.score(pairs, with: try nan.source(for: .lfw)), contains: ["K.txt:2:", "A/A_0002.jpg", "NaN"])
        let zero = try FeatureFile(keys: ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg"],
                                   values: [1, 0, 0, 1, 0, 0], dimension: 2, keysPath: "K.txt")
        assertSeqError(try PairScorer.score(pairs, with: try zero.source(for: .lfw)), contains: ["K.txt:3:", "B/B_0001.jpg", "zero norm"])
        let inf = try FeatureFile(keys: ["A/1/a.jpg", "A/2/a.jpg"], values: [1, 0, .infinity, 1], dimension: 2, keysPath: "K.txt")
        let ytf = try PairFileReader.parse("1 1 A/1 A/2 1\n", file: "y.txt")
        assertSeqError(try PairScorer.score(ytf, with: try inf.source(for: .ytf)), contains: ["K.txt:2:", "A/2/a.jpg", "infinite"])
        let opposite = try FeatureFile(keys: ["A/1/a.jpg", "A/2/a.jpg", "A/2/b.jpg"], values: [1, 0, 1, 0, -3, 0], dimension: 2)
        assertSeqError(try PairScorer.score(ytf, with: try opposite.source(for: .ytf)), contains: ["'A/2'", "sum to zero"])
    }

    func testDuplicateImageKey() {
        assertSeqError(try FeatureFile(keys: ["A/A_0001.jpg", "A/A_0001.jpg"], values: [1, 0, 0, 1], dimension: 2,
                                       keysPath: "K.txt").source(for: .lfw),
                       contains: ["K.txt:2:", "appears twice", "line 1"])
    }

    func testLoadingFilesAndRowCountMismatch() throws {
        let dir = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self)
        let f = dir.appendingPathComponent("F.npy"), k = dir.appendingPathComponent("K.txt")
        try NPYArray<Float>(shape: [3, 2], values: [2, 0, 0.6, 0.8, 0, 5]).write(to: f)
        try "./A/A_0001.jpg\r\nA/A_0002.jpg\nB/B_0001.jpg\n".write(to: k, atomically: true, encoding: .utf8)
        let file = try FeatureFile.load(features: f, keys: k)
        XCTAssertEqual(file.keys, ["A/A_0001.jpg", "A/A_0002.jpg", "B/B_0001.jpg"])
        XCTAssertEqual(file.dimension, 2)
        let scores = try PairScorer.score(try lfwPairs(), with: try file.source(for: .lfw))
        XCTAssertEqual(scores.similarities[2], 0.8, accuracy: 1e-6)

        try "A/A_0001.jpg\nA/A_0002.jpg\n".write(to: k, atomically: true, encoding: .utf8)
        assertSeqError(try FeatureFile.load(features: f, keys: k), contains: ["F.npy has 3 rows", "K.txt has 2 keys"])
        try "A/A_0001.jpg\n\nB/B_0001.jpg\n".write(to: k, atomically: true, encoding: .utf8)
        assertSeqError(try FeatureFile.load(features: f, keys: k), contains: ["K.txt:2:", "empty key"])
        try NPYArray<Float>(shape: [6], values: [2, 0, 0.6, 0.8, 0, 5]).write(to: f)
        assertSeqError(try FeatureFile.load(features: f, keys: k), contains: ["F.npy", "2-D"])
    }

    /// keys × dimension is overflow-checked rather than trapping on a hostile dimension.
    func testHugeDimensionIsAnError() {
        assertSeqError(try FeatureFile(keys: ["a", "b"], values: [1, 2], dimension: Int.max),
                       contains: ["has 0 rows", "has 2 keys"])
    }

    /// A features file whose shape product overflows (C3) is an error from `load`, naming it.
    func testOverflowingFeatureShapeIsAnError() throws {
        let dir = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self)
        let f = dir.appendingPathComponent("F.npy"), k = dir.appendingPathComponent("K.txt")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"
        header += String(repeating: " ", count: 117 - header.utf8.count) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0])
        data.append(contentsOf: Array(header.utf8))
        try data.write(to: f)
        try "a\n".write(to: k, atomically: true, encoding: .utf8)
        assertSeqError(try FeatureFile.load(features: f, keys: k), contains: [f.path + ":", "too large"])
    }
}
