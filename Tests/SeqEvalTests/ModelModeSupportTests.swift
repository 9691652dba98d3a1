import XCTest
@testable import SeqEval
import SeqCore
import SeqTestSupport

final class ModelModeSupportTests: XCTestCase {
    func touch(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([0xFF, 0xD8]).write(to: url)
    }

    func testLFWImagesAreTheKeysUnderTheRoot() throws {
        let root = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self)
        try touch(root.appendingPathComponent("Abel_Pacheco/Abel_Pacheco_0001.jpg"))
        let images = try DatasetImages(root: root, benchmark: .lfw)
        let found = images.images(forKey: "Abel_Pacheco/Abel_Pacheco_0001.jpg")
        XCTAssertEqual(found.map(\.key), ["Abel_Pacheco/Abel_Pacheco_0001.jpg"])
        XCTAssertEqual(found.first?.url.lastPathComponent, "Abel_Pacheco_0001.jpg")
        XCTAssertTrue(images.images(forKey: "Abel_Pacheco/Abel_Pacheco_0004.jpg").isEmpty)
        assertSeqError(try DatasetImages(root: root.appendingPathComponent("nope"), benchmark: .lfw), contains: ["not a folder"])
    }

    func testYTFFramesPreferTheAlignedFolder() throws {
        let root = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self)
        for name in ["2.10.jpg", "2.9.jpg", "notes.txt", ".hidden.jpg"] {
            try touch(root.appendingPathComponent("aligned_images_DB/Sadie_Frost/1/\(name)"))
        }
        try touch(root.appendingPathComponent("frame_images_DB/Sadie_Frost/1/0.jpg"))
        let images = try DatasetImages(root: root, benchmark: .ytf)
        XCTAssertEqual(images.base.lastPathComponent, "aligned_images_DB")
        XCTAssertEqual(images.images(forKey: "Sadie_Frost/1").map(\.key), ["Sadie_Frost/1/2.10.jpg", "Sadie_Frost/1/2.9.jpg"])
        XCTAssertTrue(images.images(forKey: "Sadie_Frost/5").isEmpty)

        let raw = try TestFiles.tempDirectory("seqeval-tests", removedAfter: self)
        try touch(raw.appendingPathComponent("frame_images_DB/A/0/1.png"))
        XCTAssertEqual(try DatasetImages(root: raw, benchmark: .ytf).images(forKey: "A/0").map(\.key), ["A/0/1.png"])
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
