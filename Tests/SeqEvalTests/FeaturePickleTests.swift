import Foundation
import XCTest
@testable import SeqEval
import SeqCore
import SeqTestSupport

/// SeqFace's published feature pickles (FeaturePickle, FeatureFile.loadPickle). The fixtures
/// come from tools/make_pickle_fixtures.py; expected.json holds their items as Python wrote them.
final class FeaturePickleTests: XCTestCase {
    struct ExpectedItem: Decodable { var key: String; var values: [Double]? }

    func expected() throws -> [String: [ExpectedItem]] {
        let data = try Data(contentsOf: try TestFiles.fixture("pickles/expected.json"))
        return try JSONDecoder().decode([String: [ExpectedItem]].self, from: data)
    }

    func testEveryFixtureReadsAsPythonWroteIt() throws {
        let all = try expected()
        XCTAssertEqual(Set(all.keys), ["lfw_p0_py2.pkl", "ytf_p2_py2.pkl", "lfw_p1_abs_py2.pkl", "lfw_p2_py3.pkl"])
        for (name, items) in all {
            let entries = try FeaturePickle.read(try TestFiles.fixture("pickles/\(name)"))
            XCTAssertEqual(entries.map(\.key), items.map(\.key), name)
            for (e, x) in zip(entries, items) {
                // The values are float32 in Python too, so they match exactly.
                XCTAssertEqual(e.values, x.values.map { $0.map(Float.init) }, "\(name) \(e.key)")
            }
        }
    }

    func testKeysBecomePairKeysAsEvaluatePyLooksThemUp() {
        let cases = [
            ("data/LFW/images/Ann_Ames/Ann_Ames_0001.jpg", "Ann_Ames/Ann_Ames_0001.jpg"),
            ("/data/image_server/user/x/SeqFace/data/LFW/images/Ann_Ames/Ann_Ames_0001.jpg", "Ann_Ames/Ann_Ames_0001.jpg"),
            ("data/YTF/images/Ann_Ames/3/", "Ann_Ames/3"),
            ("/abs/code/YTF/../../data/YTF/images/Ann_Ames/3/", "Ann_Ames/3"),
            ("images/Bo/Bo_0002.jpg", "Bo/Bo_0002.jpg"),
            ("./Bo/Bo_0002.jpg", "Bo/Bo_0002.jpg"),
            ("Bo/Bo_0002.jpg", "Bo/Bo_0002.jpg"),
        ]
        for (key, pairKey) in cases { XCTAssertEqual(FeatureFile.pairKey(fromPickleKey: key), pairKey, key) }
    }

    /// The LFW pickle scores pairs in the SeqFace list layout with exactly evaluate.py's cosine.
    func testLFWPickleScoresPairs() throws {
        let url = try TestFiles.fixture("pickles/lfw_p0_py2.pkl")
        let file = try FeatureFile.loadPickle(url)
        XCTAssertEqual(file.rows, 6)
        XCTAssertEqual(file.dimension, 8)
        XCTAssertEqual(file.rowKeys, .pairKeys)
        let list = try PairFileReader.decode(Data("""
            Ann_Ames/Ann_Ames_0001.jpg Ann_Ames/Ann_Ames_0002.jpg 1
            Bo_Berg/Bo_Berg_0001.jpg Bo_Berg/Bo_Berg_0002.jpg 1
            Ann_Ames/Ann_Ames_0001.jpg Cy_Cole/Cy_Cole_0001.jpg 0
            Bo_Berg/Bo_Berg_0002.jpg Dee_Dorn/Dee_Dorn_0001.jpg 0

            """.utf8), file: "pairs.txt")
        XCTAssertEqual(list.benchmark, .lfw)
        let scores = try PairScorer.score(list, with: try file.source(for: .lfw), skipMissing: false)
        let items = try XCTUnwrap(try expected()["lfw_p0_py2.pkl"])
        func vector(_ pairKey: String) throws -> [Double] {
            try XCTUnwrap(items.first { FeatureFile.pairKey(fromPickleKey: $0.key) == pairKey }?.values)
        }
        for s in scores.pairs {
            let a = try vector(s.pair.first), b = try vector(s.pair.second)
            let dot = zip(a, b).map(*).reduce(0, +)
            let cos = dot / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
            XCTAssertEqual(s.similarity, cos, accuracy: 1e-5, "\(s.pair.first) \(s.pair.second)")
        }
    }

    /// A YTF pickle holds one feature per video folder; pair keys find it directly.
    func testYTFPickleHasOneRowPerVideo() throws {
        let file = try FeatureFile.loadPickle(try TestFiles.fixture("pickles/ytf_p2_py2.pkl"))
        XCTAssertEqual(file.keys, ["Ann_Ames/0", "Ann_Ames/3", "Bo_Berg/1", "Bo_Berg/2", "Cy_Cole/0", "Dee_Dorn/4"])
        let features = try file.source(for: .ytf).features(for: ["Ann_Ames/3", "Bo_Berg/9"])
        XCTAssertEqual(features[0]?.count, 8)
        XCTAssertNil(features[1])
    }

    func testNoneValuesAreMissingAndAbsoluteKeysAreTrimmed() throws {
        let file = try FeatureFile.loadPickle(try TestFiles.fixture("pickles/lfw_p1_abs_py2.pkl"))
        XCTAssertEqual(file.rows, 6)
        XCTAssertFalse(file.keys.contains("Zed/Zed_0001.jpg"))
        XCTAssertTrue(file.keys.allSatisfy { !$0.hasPrefix("/") })
    }

    private func assertRefused(_ data: Data, _ path: String, contains words: String, line: UInt = #line) {
        XCTAssertThrowsError(try FeaturePickle.decode(data, path: path), line: line) { e in
            let text = "\(e)"
            XCTAssertTrue(e is SeqError, line: line)
            XCTAssertTrue(text.hasPrefix("\(path): "), text, line: line)
            XCTAssertFalse(text.contains("\n"), text, line: line)
            XCTAssertTrue(text.contains(words), "\(text) lacks \(words)", line: line)
        }
    }

    func testHostileFilesAreRefusedInOneLine() throws {
        let cases = [
            ("bad_global.pkl", "global 'os.system' is refused"),
            ("bad_huge_shape.pkl", "needs more data than the 8 bytes stored"),
            ("bad_int32.pkl", "dtype 'i4'"),
            ("bad_protocol4.pkl", "pickle protocol 4"),
            ("bad_list_value.pkl", "EMPTY_LIST"),
            // Aliased arrays may not multiply into more values than the file has bytes.
            ("bad_alias_bomb.pkl", "more values than the file has bytes"),
        ]
        for (name, words) in cases {
            let url = try TestFiles.fixture("pickles/\(name)")
            assertRefused(try Data(contentsOf: url), url.path, contains: words)
            XCTAssertThrowsError(try FeatureFile.loadPickle(url)) { XCTAssertTrue("\($0)".hasPrefix(url.path)) }
        }
        let good = try Data(contentsOf: try TestFiles.fixture("pickles/lfw_p0_py2.pkl"))
        // Truncated anywhere: never a crash, always one line naming the file.
        for cut in stride(from: 0, to: good.count - 1, by: 7) {
            XCTAssertThrowsError(try FeaturePickle.decode(good.prefix(cut), path: "cut.pkl")) { e in
                XCTAssertTrue("\(e)".hasPrefix("cut.pkl: "), "\(e)")
                XCTAssertFalse("\(e)".contains("\n"))
            }
        }
        assertRefused(good.prefix(good.count - 1), "t.pkl", contains: "truncated pickle")
        var unknown = good
        unknown[0] = UInt8(ascii: "i")  // INST: would call a class
        assertRefused(unknown, "u.pkl", contains: "opcode INST")
        assertRefused(good + Data([0x2E]), "x.pkl", contains: "1 bytes after STOP")
        // Tuples nested without end would exhaust the stack when freed.
        assertRefused(Data([0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E]), "deep.pkl", contains: "nested deeper")
        assertRefused(Data("(dp0\nN.".utf8), "n.pkl", contains: "not one dict")
        assertRefused(Data(), "e.pkl", contains: "empty file")
    }

    func testFeaturesOfDifferentLengthsOrCollidingKeysAreRefused() throws {
        XCTAssertThrowsError(try FeatureFile.fromPickle([.init(key: "images/A/a.jpg", values: [1, 2]), .init(key: "images/B/b.jpg", values: [1])], path: "f.pkl")) {
            XCTAssertEqual("\($0)", "f.pkl: the feature of 'images/B/b.jpg' has 1 values where the first had 2")
        }
        XCTAssertThrowsError(try FeatureFile.fromPickle([.init(key: "x/images/A/a.jpg", values: [1]), .init(key: "y/images/A/a.jpg", values: [2])], path: "f.pkl")) {
            XCTAssertEqual("\($0)", "f.pkl: keys 'x/images/A/a.jpg' and 'y/images/A/a.jpg' both name 'A/a.jpg'")
        }
        XCTAssertThrowsError(try FeatureFile.fromPickle([.init(key: "k", values: nil)], path: "f.pkl")) {
            XCTAssertEqual("\($0)", "f.pkl: the pickle holds no features")
        }
    }

    /// A feature that is zero or NaN is named with the file and no line (a pickle has none).
    func testBadValuesNameTheKeyAndFile() throws {
        let file = try FeatureFile.fromPickle([.init(key: "data/LFW/images/A/a.jpg", values: [0, 0]), .init(key: "data/LFW/images/B/b.jpg", values: [1, .nan])], path: "f.pkl")
        let source = try file.source(for: .lfw)
        XCTAssertThrowsError(try source.features(for: ["A/a.jpg"])) { XCTAssertTrue("\($0)".hasPrefix("f.pkl: feature of 'A/a.jpg' is all zeros"), "\($0)") }
        XCTAssertThrowsError(try source.features(for: ["B/b.jpg"])) { XCTAssertTrue("\($0)".hasPrefix("f.pkl: feature of 'B/b.jpg' contains NaN"), "\($0)") }
    }
}
