import Foundation
import XCTest
import SeqMedia
import SeqTestSupport

final class PerceptualHashTests: XCTestCase {
    /// A synthetic 64x64 "face": smooth gradients and a few blobs, seeded.
    private func picture(seed: Int, brightness: Int = 0, noise: Int = 0) -> Image {
        Image(width: 64, height: 64, channels: 1, pixels: pixels(seed: seed, brightness: brightness, noise: noise))
    }

    private func pixels(seed: Int, brightness: Int = 0, noise: Int = 0) -> [UInt8] {
        var rng = TestRandom(seed: UInt64(seed * 7919 + 17))
        func next() -> Int { Int(rng.next() >> 33) }
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
        let a = PerceptualHash.dHash(picture(seed: 1))
        let brighter = PerceptualHash.dHash(picture(seed: 1, brightness: 20))
        let noisy = PerceptualHash.dHash(picture(seed: 1, noise: 6))
        let other = PerceptualHash.dHash(picture(seed: 2))
        XCTAssertLessThanOrEqual(PerceptualHash.distance(a, brighter), 4)
        XCTAssertLessThanOrEqual(PerceptualHash.distance(a, noisy), 8)
        XCTAssertGreaterThan(PerceptualHash.distance(a, other), 12)
        // RGB with equal channels hashes like grey.
        let grey = pixels(seed: 3)
        let rgb = grey.flatMap { [$0, $0, $0] }
        XCTAssertEqual(PerceptualHash.dHash(Image(width: 64, height: 64, channels: 1, pixels: grey)),
                       PerceptualHash.dHash(Image(width: 64, height: 64, channels: 3, pixels: rgb)))
    }
}
