import Foundation
import XCTest
import SeqCore
@testable import SeqIngest
import SeqMedia
import SeqTestSupport

final class ImageHashingTests: XCTestCase {
    /// Hashes come back in file order, equal for equal pictures; an unreadable file gives nil and
    /// a failure naming it, without stopping the others.
    func testHashesInOrderWithFailures() throws {
        let dir = try TestFiles.tempDirectory("seqingest-tests", removedAfter: self)
        var rng = TestRandom(seed: 3)
        let picture = Image(width: 40, height: 40, channels: 3, pixels: (0..<(40 * 40 * 3)).map { _ in rng.byte() })
        let a = dir.appendingPathComponent("a.png"), b = dir.appendingPathComponent("b.png"), bad = dir.appendingPathComponent("bad.jpg")
        try ImageIO.writePNG(picture, to: a)
        try ImageIO.writePNG(picture, to: b)
        try Data("not an image".utf8).write(to: bad)
        let result = ImageHashing.dHashAll([a, bad, b], label: "test")
        XCTAssertEqual(result.hashes.count, 3)
        XCTAssertEqual(result.hashes[0], PerceptualHash.dHash(try ImageIO.read(a, grayscale: true)))
        XCTAssertEqual(result.hashes[0], result.hashes[2])
        XCTAssertNil(result.hashes[1])
        XCTAssertEqual(result.failures.map(\.0), [bad])
        XCTAssertTrue(ImageHashing.dHashAll([], label: "test").hashes.isEmpty)
    }
}
