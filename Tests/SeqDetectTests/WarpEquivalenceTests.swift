import Foundation
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// `ImageWarper.warp` (tables, a float region and vector lanes) against its definition written out
/// sample by sample: the same bytes, for every channel count, border rule and kind of map.
final class WarpEquivalenceTests: XCTestCase {
    /// The warp's definition, one sub-sample and one tap at a time (the implementation before
    /// issue 12's kernel work, kept as the reference).
    static func definition(_ image: Image, width: Int, height: Int, m: SeqDetect.AffineTransform, border: BorderMode) -> Image {
        let c = image.channels, sw = image.width, sh = image.height
        var out = Image(width: width, height: height, channels: c)
        let n = max(1, min(4, Int(m.scale.rounded(.up))))
        let offsets = (0..<n).map { (Float($0) + 0.5) / Float(n) - 0.5 }
        for v in 0..<height {
            for u in 0..<width {
                var acc = [Float](repeating: 0, count: c)
                for sy in 0..<n {
                    for sx in 0..<n {
                        let fu = Float(u) + offsets[sx], fv = Float(v) + offsets[sy]
                        let x = m.a * fu + m.b * fv + m.tx
                        let y = m.c * fu + m.d * fv + m.ty
                        guard abs(x) < 1e7, abs(y) < 1e7 else { continue }
                        let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
                        let wx = x - Float(x0), wy = y - Float(y0)
                        if c == 3 && x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh {
                            let w00 = (1 - wx) * (1 - wy), w10 = wx * (1 - wy), w01 = (1 - wx) * wy, w11 = wx * wy
                            for k in 0..<3 {
                                let p00 = Float(image[x0, y0, k]), p10 = Float(image[x0 + 1, y0, k])
                                let p01 = Float(image[x0, y0 + 1, k]), p11 = Float(image[x0 + 1, y0 + 1, k])
                                let t1: Float = w00 * p00 + w10 * p10
                                let t2: Float = t1 + w01 * p01
                                acc[k] += t2 + w11 * p11
                            }
                            continue
                        }
                        let taps: [(Int, Int, Float)] = [(0, 0, (1 - wx) * (1 - wy)), (1, 0, wx * (1 - wy)), (0, 1, (1 - wx) * wy), (1, 1, wx * wy)]
                        for (dx, dy, w) in taps where w != 0 {
                            let px = x0 + dx, py = y0 + dy
                            for k in 0..<c {
                                if px >= 0 && px < sw && py >= 0 && py < sh {
                                    acc[k] += w * Float(image[px, py, k])
                                } else if case .constant(let value) = border {
                                    acc[k] += w * Float(value)
                                } else {
                                    acc[k] += w * Float(image[min(max(px, 0), sw - 1), min(max(py, 0), sh - 1), k])
                                }
                            }
                        }
                    }
                }
                let inv: Float = 1 / Float(n * n)
                for k in 0..<c {
                    let value: Float = acc[k] * inv + 0.5
                    out[u, v, k] = UInt8(min(255, max(0, value)))
                }
            }
        }
        return out
    }

    func testWarpIsItsDefinitionToTheBit() {
        var rng = TestRandom(seed: 12)
        for trial in 0..<60 {
            let c = [3, 3, 3, 1, 4][trial % 5]
            let w = Int.random(in: 3...120, using: &rng), h = Int.random(in: 3...120, using: &rng)
            var image = Image(width: w, height: h, channels: c)
            for i in image.pixels.indices { image.pixels[i] = UInt8.random(in: 0...255, using: &rng) }
            // Shrinks (n = 1...4 and beyond), enlargements, turns, maps partly or wholly outside.
            let m = SeqDetect.AffineTransform.similarity(scale: Float.random(in: 0.3...6, using: &rng),
                                               angle: Float.random(in: -3...3, using: &rng),
                                               tx: Float.random(in: -40...Float(w + 40), using: &rng),
                                               ty: Float.random(in: -40...Float(h + 40), using: &rng))
            let border: BorderMode = trial % 3 == 0 ? .constant(UInt8.random(in: 0...255, using: &rng)) : .replicate
            let ow = Int.random(in: 1...40, using: &rng), oh = Int.random(in: 1...40, using: &rng)
            let fast = ImageWarper.warp(image, width: ow, height: oh, outputToSource: m, border: border)
            let slow = Self.definition(image, width: ow, height: oh, m: m, border: border)
            XCTAssertEqual(fast, slow, "trial \(trial): \(c) channels, \(m), \(border)")
        }
    }

    func testAFaceCropInsideAFrameIsItsDefinition() {
        // The common case: a 144 crop well inside a 1280x720 frame (every sample on the fast path
        // but the last row and column), shrinking 2.6x at a slight turn.
        var rng = TestRandom(seed: 7)
        var frame = Image(width: 1280, height: 720, channels: 3)
        for y in 0..<720 {
            for x in 0..<1280 {
                for k in 0..<3 { frame[x, y, k] = UInt8(truncatingIfNeeded: x * (k + 1) + y * 3 + Int.random(in: 0...30, using: &rng)) }
            }
        }
        let m = SeqDetect.AffineTransform.similarity(scale: 2.6, angle: 0.15, tx: 500, ty: 200)
        XCTAssertEqual(ImageWarper.warp(frame, width: 144, height: 144, outputToSource: m),
                       Self.definition(frame, width: 144, height: 144, m: m, border: .replicate))
        // Reaching past the right and bottom edges, black outside (as dlib chips are).
        let edge = SeqDetect.AffineTransform.similarity(scale: 1.7, angle: -0.3, tx: 1200, ty: 650)
        XCTAssertEqual(ImageWarper.warp(frame, width: 150, height: 150, outputToSource: edge, border: .constant(0)),
                       Self.definition(frame, width: 150, height: 150, m: edge, border: .constant(0)))
    }

    func testReducingFirstIsTheWarpBelowScaleTwoAndCloseToItAbove() {
        // A smooth 1280x720 picture (a face crop's frame, without noise): the block average then
        // the bilinear samples give nearly the pixels of the plain warp.
        var frame = Image(width: 1280, height: 720, channels: 3)
        for y in 0..<720 {
            for x in 0..<1280 {
                let fx = Float(x), fy = Float(y)
                frame[x, y, 0] = UInt8(127.5 + 120 * sinf(fx / 37) * cosf(fy / 53))
                frame[x, y, 1] = UInt8(127.5 + 120 * cosf((fx + fy) / 61))
                frame[x, y, 2] = UInt8(127.5 + 100 * sinf((fx - fy) / 45))
            }
        }
        let gentle = SeqDetect.AffineTransform.similarity(scale: 1.8, angle: 0.2, tx: 400, ty: 100)
        XCTAssertEqual(ImageWarper.warpReducingFirst(frame, width: 144, height: 144, outputToSource: gentle),
                       ImageWarper.warp(frame, width: 144, height: 144, outputToSource: gentle), "under 2x: the warp itself")
        for (scale, angle, tx, ty, border) in [(2.6, 0.15, 500, 200, BorderMode.replicate), (3.4, -0.1, 300, 150, .replicate),
                                               (4.5, 0.05, 600, 20, .replicate), (2.2, 0.3, 1100, 600, .constant(0))]
            as [(Float, Float, Float, Float, BorderMode)] {
            let m = SeqDetect.AffineTransform.similarity(scale: scale, angle: angle, tx: tx, ty: ty)
            let reduced = ImageWarper.warpReducingFirst(frame, width: 144, height: 144, outputToSource: m, border: border)
            let plain = ImageWarper.warp(frame, width: 144, height: 144, outputToSource: m, border: border)
            XCTAssertEqual(reduced.width, 144)
            XCTAssertEqual(reduced.height, 144)
            let diffs = zip(reduced.pixels, plain.pixels).map { abs(Int($0) - Int($1)) }
            let mean = Double(diffs.reduce(0, +)) / Double(diffs.count)
            // Away from the frame's edge; past it (the last case) the border rule decides both.
            XCTAssertLessThan(mean, 2.0, "scale \(scale): mean difference \(mean)")
            XCTAssertLessThanOrEqual(diffs.max() ?? 0, border == .constant(0) ? 255 : 8, "scale \(scale)")
        }
    }
}
