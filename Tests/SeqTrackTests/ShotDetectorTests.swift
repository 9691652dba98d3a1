import Foundation
import XCTest
import SeqTestSupport
import SeqMedia
@testable import SeqTrack

final class ShotDetectorTests: XCTestCase {
    /// A warm scene: soft diagonal stripes panning right by `shift` pixels.
    private func warmScene(_ shift: Int) -> Image {
        Synthetic.image(width: 160, height: 90) { x, y in
            let v = (x - shift + y) % 40 < 20
            return v ? (200, 120, 60) : (150, 70, 30)
        }
    }

    /// A cool scene: a sky gradient over a green band, drifting down by `shift` pixels.
    private func coolScene(_ shift: Int) -> Image {
        Synthetic.image(width: 160, height: 90) { x, y in
            y + shift / 2 > 60 ? (40, 140, 60) : (60, UInt8(100 + y), 220)
        }
    }

    func testHardCutIsFoundOnce() {
        var detector = ShotDetector()
        var cutsAt: [Int] = []
        for i in 0..<60 {
            let frame = i < 30 ? warmScene(i) : coolScene(i - 30)
            if detector.feed(frameIndex: i, image: frame) { cutsAt.append(i) }
        }
        XCTAssertEqual(cutsAt, [30])
        XCTAssertEqual(detector.cuts, [30])
        XCTAssertEqual(detector.shots, [0..<30, 30..<60])
    }

    func testGradualMotionAndFadeMakeNoCut() {
        // A textured scene panning 2 px a frame while the light slowly dims by a third.
        var detector = ShotDetector()
        for i in 0..<120 {
            let gain = 1 - Float(i) / 360
            let frame = Synthetic.image(width: 160, height: 90) { x, y in
                let u = Float(x + 2 * i), v = Float(y)
                let t = 128 + 60 * sin(u / 13) + 50 * cos(v / 9 + u / 31)
                return (UInt8(gain * (0.5 * t + 100)), UInt8(gain * (0.3 * t + 60)), UInt8(gain * (0.6 * t + 40)))
            }
            XCTAssertFalse(detector.feed(frameIndex: i, image: frame), "false cut at frame \(i)")
        }
        XCTAssertEqual(detector.shots, [0..<120])
    }

    func testBusyShotRaisesTheThresholdButACutStillShows() {
        // Every frame fresh colour noise in a mid-range palette: differences well above the hard
        // minimum (but below the hard maximum), all within one shot; then a different scene.
        var detector = ShotDetector()
        var rng = TestRandom(seed: 3)
        for i in 0..<40 {
            let frame = Synthetic.image(width: 64, height: 36) { _, _ in
                (UInt8.random(in: 40...200, using: &rng), UInt8.random(in: 40...200, using: &rng), UInt8.random(in: 40...200, using: &rng))
            }
            XCTAssertFalse(detector.feed(frameIndex: i, image: frame), "false cut at frame \(i)")
        }
        XCTAssertGreaterThan(detector.lastDifference!, ShotDetectorOptions().minThreshold)
        XCTAssertLessThan(detector.lastDifference!, ShotDetectorOptions().maxThreshold)
        XCTAssertTrue(detector.feed(frameIndex: 40, image: coolScene(0)))
        XCTAssertEqual(detector.shots, [0..<40, 40..<41])
    }

    func testFlashDoesNotMakeAOneFrameShot() {
        var detector = ShotDetector()
        var cutsAt: [Int] = []
        for i in 0..<40 {
            let frame = i == 20 ? coolScene(0) : warmScene(i)
            if detector.feed(frameIndex: i, image: frame) { cutsAt.append(i) }
        }
        XCTAssertEqual(cutsAt, [20], "the return from the flash is within minShotLength")
    }

    func testHistogramDistanceBounds() {
        let a = warmScene(0), b = coolScene(0)
        let ha = ColorHistogram(of: a), hb = ColorHistogram(of: b)
        XCTAssertEqual(ha.distance(to: ha), 0)
        XCTAssertEqual(ha.frequencies.reduce(0, +), 1, accuracy: 1e-4)
        XCTAssertEqual(ha.distance(to: hb), 1, accuracy: 1e-4, "disjoint palettes")
    }

    func testBoxResamplerAveragesAndKeepsMean() {
        let img = Image(width: 4, height: 2, channels: 1, pixels: [0, 10, 20, 30, 40, 50, 60, 70])
        XCTAssertEqual(BoxResampler.resample(img, width: 2, height: 1), [25, 45])
        let up = BoxResampler.resample(img, width: 8, height: 4)
        XCTAssertEqual(up.reduce(0, +) / 32, 35, accuracy: 1e-4)
        let odd = BoxResampler.resample(img, width: 3, height: 2)
        XCTAssertEqual(Array(odd[0..<3]), [2.5, 15, 27.5])
        XCTAssertEqual(odd.reduce(0, +) / 6, 35, accuracy: 1e-3)
    }
}
