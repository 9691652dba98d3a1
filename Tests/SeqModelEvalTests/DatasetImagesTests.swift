import Foundation
import XCTest
import SeqCore
@testable import SeqModelEval
import SeqTestSupport

/// Moved from SeqEvalTests with `DatasetImages`.
final class DatasetImagesTests: XCTestCase {
    func touch(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([0xFF, 0xD8]).write(to: url)
    }

    func testLFWImagesAreTheKeysUnderTheRoot() throws {
        let root = try TestFiles.tempDirectory("seqmodeleval-tests", removedAfter: self)
        try touch(root.appendingPathComponent("Abel_Pacheco/Abel_Pacheco_0001.jpg"))
        let images = try DatasetImages(root: root, benchmark: .lfw)
        let found = images.images(forKey: "Abel_Pacheco/Abel_Pacheco_0001.jpg")
        XCTAssertEqual(found.map(\.key), ["Abel_Pacheco/Abel_Pacheco_0001.jpg"])
        XCTAssertEqual(found.first?.url.lastPathComponent, "Abel_Pacheco_0001.jpg")
        XCTAssertTrue(images.images(forKey: "Abel_Pacheco/Abel_Pacheco_0004.jpg").isEmpty)
        assertSeqError(try DatasetImages(root: root.appendingPathComponent("nope"), benchmark: .lfw), contains: ["not a folder"])
    }

    func testYTFFramesPreferTheAlignedFolder() throws {
        let root = try TestFiles.tempDirectory("seqmodeleval-tests", removedAfter: self)
        for name in ["2.10.jpg", "2.9.jpg", "notes.txt", ".hidden.jpg"] {
            try touch(root.appendingPathComponent("aligned_images_DB/Sadie_Frost/1/\(name)"))
        }
        try touch(root.appendingPathComponent("frame_images_DB/Sadie_Frost/1/0.jpg"))
        let images = try DatasetImages(root: root, benchmark: .ytf)
        XCTAssertEqual(images.base.lastPathComponent, "aligned_images_DB")
        XCTAssertEqual(images.images(forKey: "Sadie_Frost/1").map(\.key), ["Sadie_Frost/1/2.10.jpg", "Sadie_Frost/1/2.9.jpg"])
        XCTAssertTrue(images.images(forKey: "Sadie_Frost/5").isEmpty)

        let raw = try TestFiles.tempDirectory("seqmodeleval-tests", removedAfter: self)
        try touch(raw.appendingPathComponent("frame_images_DB/A/0/1.png"))
        XCTAssertEqual(try DatasetImages(root: raw, benchmark: .ytf).images(forKey: "A/0").map(\.key), ["A/0/1.png"])
    }
}
