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
}
