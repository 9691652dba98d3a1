import Foundation
import SeqTestSupport
import XCTest
@testable import SeqMedia

/// `Image.resizedArea` (spans per axis computed once, RGB in registers) against its definition
/// written out per output pixel: the same bytes, shrinking and growing, for any channel count.
final class ResizeAreaEquivalenceTests: XCTestCase {
    /// The box filter as it was written before issue 12's kernel work, kept as the reference.
    static func definition(_ image: Image, width outW: Int, height outH: Int) -> Image {
        let c = image.channels, width = image.width, height = image.height
        var out = Image(width: outW, height: outH, channels: c)
        let sx = Double(width) / Double(outW), sy = Double(height) / Double(outH)
        for oy in 0..<outH {
            let y0 = Double(oy) * sy, y1 = y0 + sy
            let iy0 = min(Int(y0), height - 1), iy1 = min(max(Int((y1 - 1e-9).rounded(.up)), iy0 + 1), height)
            for ox in 0..<outW {
                let x0 = Double(ox) * sx, x1 = x0 + sx
                let ix0 = min(Int(x0), width - 1), ix1 = min(max(Int((x1 - 1e-9).rounded(.up)), ix0 + 1), width)
                var acc = [Double](repeating: 0, count: c)
                var total = 0.0
                for y in iy0..<iy1 {
                    let wy = min(Double(y + 1), y1) - max(Double(y), y0)
                    guard wy > 0 else { continue }
                    for x in ix0..<ix1 {
                        let wx = min(Double(x + 1), x1) - max(Double(x), x0)
                        guard wx > 0 else { continue }
                        let w = wx * wy
                        for k in 0..<c { acc[k] += w * Double(image[x, y, k]) }
                        total += w
                    }
                }
                for k in 0..<c {
                    out[ox, oy, k] = total <= 0 ? image[ix0, iy0, k] : UInt8(min(255, max(0, (acc[k] / total).rounded())))
                }
            }
        }
        return out
    }

    func testResizedAreaIsItsDefinitionToTheBit() {
        var rng = TestRandom(seed: 48)
        for trial in 0..<40 {
            let c = [3, 3, 1, 4][trial % 4]
            let w = Int.random(in: 1...90, using: &rng), h = Int.random(in: 1...90, using: &rng)
            var image = Image(width: w, height: h, channels: c)
            for i in image.pixels.indices { image.pixels[i] = UInt8.random(in: 0...255, using: &rng) }
            let ow = Int.random(in: 1...60, using: &rng), oh = Int.random(in: 1...60, using: &rng)
            XCTAssertEqual(image.resizedArea(width: ow, height: oh), Self.definition(image, width: ow, height: oh),
                           "\(w)x\(h)x\(c) to \(ow)x\(oh)")
        }
        // A crop's dropped-face thumbnail: 144 to 48, exactly 3 x 3 pixels each.
        var crop = Image(width: 144, height: 144, channels: 3)
        for i in crop.pixels.indices { crop.pixels[i] = UInt8.random(in: 0...255, using: &rng) }
        XCTAssertEqual(crop.resizedArea(width: 48, height: 48), Self.definition(crop, width: 48, height: 48))
    }
}
