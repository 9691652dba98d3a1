import Foundation
import XCTest
@testable import SeqCatalog
import SeqTestSupport

final class HashTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a', fed in uneven pieces to cross block boundaries.
        var h = SHA256()
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 999)
        for _ in 0..<1001 { h.update(chunk) }
        h.update(Data(repeating: UInt8(ascii: "a"), count: 1_000_000 - 999 * 1001))
        XCTAssertEqual(h.finalize().map { String(format: "%02x", $0) }.joined(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256OfFile() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let file = dir.appendingPathComponent("f.bin")
        let data = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try data.write(to: file)
        XCTAssertEqual(try SHA256.hex(fileAt: file), SHA256.hex(data))
    }

    /// A synthetic 64x64 "face": smooth gradients and a few blobs, seeded.
    private func picture(seed: Int, brightness: Int = 0, noise: Int = 0) -> [UInt8] {
        var rng = UInt64(seed * 7919 + 17)
        func next() -> Int { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return Int(rng >> 33) }
        let blobs = (0..<5).map { _ in (next() % 64, next() % 64, 6 + next() % 10, next() % 200) }
        var px: [UInt8] = []
        for y in 0..<64 {
            for x in 0..<64 {
                var v = (x * (seed % 3 + 1) + y * (seed % 5)) % 128
                for (bx, by, r, a) in blobs where (x - bx) * (x - bx) + (y - by) * (y - by) < r * r { v += a / 2 }
                v += brightness + (noise > 0 ? next() % noise : 0)
                px.append(UInt8(clamping: v))
            }
        }
        return px
    }

    func testDHashFindsNearDuplicatesOnly() {
        let a = PerceptualHash.dHash(pixels: picture(seed: 1), width: 64, height: 64, channels: 1)
        let brighter = PerceptualHash.dHash(pixels: picture(seed: 1, brightness: 20), width: 64, height: 64, channels: 1)
        let noisy = PerceptualHash.dHash(pixels: picture(seed: 1, noise: 6), width: 64, height: 64, channels: 1)
        let other = PerceptualHash.dHash(pixels: picture(seed: 2), width: 64, height: 64, channels: 1)
        XCTAssertLessThanOrEqual(PerceptualHash.distance(a, brighter), 4)
        XCTAssertLessThanOrEqual(PerceptualHash.distance(a, noisy), 8)
        XCTAssertGreaterThan(PerceptualHash.distance(a, other), 12)
        // RGB with equal channels hashes like grey.
        let grey = picture(seed: 3)
        let rgb = grey.flatMap { [$0, $0, $0] }
        XCTAssertEqual(PerceptualHash.dHash(pixels: grey, width: 64, height: 64, channels: 1),
                       PerceptualHash.dHash(pixels: rgb, width: 64, height: 64, channels: 3))
    }
}
