import XCTest
@testable import SeqEval
import SeqCore
import SeqTestSupport

final class ModelModeSupportTests: XCTestCase {
    func touch(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([0xFF, 0xD8]).write(to: url)
    }

    func testCacheRoundTripAndAppend() throws {
        let dir = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self).appendingPathComponent("eval_cache")
        let cache = FeatureCache(directory: dir, name: "lfw-iter_00000100")
        XCTAssertNil(cache.load())
        let first = try FeatureFile(keys: ["A/A_0001.jpg"], values: [1, 2], dimension: 2)
        let both = try first.appending(keys: ["B/B_0001.jpg"], values: [3, 4])
        try cache.save(both)
        let loaded = try XCTUnwrap(cache.load())
        XCTAssertEqual(loaded.keys, ["A/A_0001.jpg", "B/B_0001.jpg"])
        XCTAssertEqual(loaded.values, [1, 2, 3, 4])
        // A cache whose keys lost a row is rebuilt rather than trusted.
        try "A/A_0001.jpg\n".write(to: cache.keysURL, atomically: true, encoding: .utf8)
        XCTAssertNil(cache.load())
    }
}

extension ModelModeSupportTests {
    func testSelectingRows() throws {
        let file = try FeatureFile(keys: ["a", "b", "c"], values: [1, 1, 2, 2, 3, 3], dimension: 2)
        let picked = try file.selecting(keys: ["c", "a"])
        XCTAssertEqual(picked.keys, ["c", "a"])
        XCTAssertEqual(picked.values, [3, 3, 1, 1])
        assertSeqError(try file.selecting(keys: ["z"]), contains: ["'z'"])
    }
}
