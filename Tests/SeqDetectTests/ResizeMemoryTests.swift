import Foundation
import XCTest
@testable import SeqDetect
import SeqMedia
import SeqTestSupport

final class ResizeMemoryTests: XCTestCase {
    /// `AreaResampler.resized` reads 8-bit rows directly instead of converting the whole image to
    /// floats first; the result must equal the float path's exactly, for RGB and gray.
    func testResizedMatchesTheFloatPathExactly() {
        var rng = TestRandom(seed: 12345)
        func next() -> UInt8 { rng.byte() }
        for (w, h, c, ow, oh) in [(97, 61, 3, 40, 25), (97, 61, 1, 13, 60), (300, 1, 3, 12, 1), (1, 200, 1, 1, 12), (64, 48, 3, 64, 48), (20, 30, 3, 45, 70)] {
            let image = Image(width: w, height: h, channels: c, pixels: (0..<(w * h * c)).map { _ in next() })
            var planes = [Float](repeating: 0, count: 3 * ow * oh)
            planes.withUnsafeMutableBufferPointer {
                AreaResampler.resample(RGBRegion(image), x0: 0, y0: 0, width: w, height: h, outWidth: ow, outHeight: oh,
                                       gain: 1, offset: 0, into: $0.baseAddress!)
            }
            var expected = [UInt8](repeating: 0, count: ow * oh * c)
            for i in 0..<(ow * oh) { for k in 0..<c { expected[i * c + k] = UInt8(min(255, max(0, planes[k * ow * oh + i].rounded()))) } }
            let got = AreaResampler.resized(image, width: ow, height: oh)
            XCTAssertEqual([got.width, got.height, got.channels], [ow, oh, c])
            XCTAssertEqual(got.pixels, expected, "\(w)x\(h)x\(c) -> \(ow)x\(oh)")
        }
    }

    /// Column sums (`RGBRegion.withColumnSums`, made once per detection) give every resampling
    /// of the region, whole or a sub-rectangle (an R-/O-Net crop), the same floats to the bit.
    func testColumnSumsResampleToTheBit() {
        var rng = TestRandom(seed: 4242)
        for (w, h, c) in [(131, 77, 3), (90, 64, 1), (40, 300, 3)] {
            let image = Image(width: w, height: h, channels: c, pixels: (0..<(w * h * c)).map { _ in rng.byte() })
            let plain = RGBRegion(image), summed = plain.withColumnSums()
            XCTAssertNotNil(summed.columnSums)
            for trial in 0..<20 {
                let x0 = trial == 0 ? 0 : Int.random(in: 0..<(w - 1), using: &rng)
                let y0 = trial == 0 ? 0 : Int.random(in: 0..<(h - 1), using: &rng)
                let rw = trial == 0 ? w : Int.random(in: 1...(w - x0), using: &rng)
                let rh = trial == 0 ? h : Int.random(in: 1...(h - y0), using: &rng)
                let ow = Int.random(in: 1...48, using: &rng), oh = Int.random(in: 1...48, using: &rng)
                func run(_ region: RGBRegion) -> [Float] {
                    var out = [Float](repeating: 0, count: 3 * ow * oh)
                    out.withUnsafeMutableBufferPointer {
                        AreaResampler.resample(region, x0: x0, y0: y0, width: rw, height: rh, outWidth: ow, outHeight: oh,
                                               gain: 0.0078125, offset: -127.5 * 0.0078125, into: $0.baseAddress!)
                    }
                    return out
                }
                XCTAssertEqual(run(summed), run(plain), "\(w)x\(h)x\(c), region \(x0),\(y0) \(rw)x\(rh) -> \(ow)x\(oh)")
            }
        }
    }
}
