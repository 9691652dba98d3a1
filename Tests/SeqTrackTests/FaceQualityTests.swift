import Foundation
import XCTest
import SeqTestSupport
import SeqDetect
import SeqMedia
@testable import SeqTrack

final class FaceQualityTests: XCTestCase {
    /// A face with eye distance `e`, the eye line rotated by `rollDegrees`, the nose moved
    /// `noseOffset` eye distances along the eye line from the eye midpoint.
    private func face(e: Float, rollDegrees: Float, noseOffset: Float) -> FaceDetection {
        let a = rollDegrees * .pi / 180
        let u = Point2(cos(a), sin(a)), n = Point2(-sin(a), cos(a))
        let c = Point2(100, 100)
        func at(_ s: Float, _ t: Float) -> Point2 { Point2(c.x + e * (s * u.x + t * n.x), c.y + e * (s * u.y + t * n.y)) }
        return FaceDetection(box: FaceBox(x1: 60, y1: 60, x2: 140, y2: 140), score: 0.97,
                             landmarks: [at(-0.5, 0), at(0.5, 0), at(noseOffset, 0.5), at(-0.4, 1), at(0.4, 1)])
    }

    func testEyeDistanceAndRoll() {
        let level = face(e: 24, rollDegrees: 0, noseOffset: 0)
        XCTAssertEqual(FaceQuality.eyeDistance(level), 24, accuracy: 1e-4)
        XCTAssertEqual(FaceQuality.roll(level), 0, accuracy: 1e-4)
        let tilted = face(e: 24, rollDegrees: 20, noseOffset: 0)
        XCTAssertEqual(FaceQuality.eyeDistance(tilted), 24, accuracy: 1e-3)
        XCTAssertEqual(FaceQuality.roll(tilted), 20, accuracy: 1e-3, "image-right eye lower: positive")
        XCTAssertEqual(FaceQuality.roll(face(e: 24, rollDegrees: -15, noseOffset: 0)), -15, accuracy: 1e-3)
    }

    func testYawFollowsTheNoseModelAndIgnoresRoll() {
        XCTAssertEqual(FaceQuality.yaw(face(e: 30, rollDegrees: 0, noseOffset: 0)), 0, accuracy: 1e-4)
        // r = 0.5 tan(30°) is a 30° turn towards the image right.
        let r = 0.5 * tan(Float(30) * .pi / 180)
        XCTAssertEqual(FaceQuality.yaw(face(e: 30, rollDegrees: 0, noseOffset: r)), 30, accuracy: 1e-3)
        XCTAssertEqual(FaceQuality.yaw(face(e: 30, rollDegrees: 25, noseOffset: r)), 30, accuracy: 1e-3)
        XCTAssertEqual(FaceQuality.yaw(face(e: 30, rollDegrees: 0, noseOffset: -r)), -30, accuracy: 1e-3)
    }

    func testSharpnessRanksBlurAndIgnoresCropSize() {
        var rng = TestRandom(seed: 5)
        let sharp = Synthetic.noise(width: 64, height: 64, rng: &rng)
        // A 3x3 box blur of the same picture.
        var blurred = sharp
        for y in 1..<63 {
            for x in 1..<63 {
                var s = 0
                for dy in -1...1 { for dx in -1...1 { s += Int(sharp[x + dx, y + dy, 0]) } }
                blurred[x, y, 0] = UInt8(s / 9)
            }
        }
        let flat = Image(width: 64, height: 64, channels: 3, pixels: [UInt8](repeating: 90, count: 64 * 64 * 3))
        XCTAssertEqual(FaceQuality.sharpness(of: flat), 0)
        XCTAssertGreaterThan(FaceQuality.sharpness(of: sharp), 5 * FaceQuality.sharpness(of: blurred))
        // The same picture enlarged 2x (a 128x128 crop of a 64 px face) measures the same.
        var big = Image(width: 128, height: 128, channels: 1)
        for y in 0..<128 { for x in 0..<128 { big[x, y, 0] = sharp[x / 2, y / 2, 0] } }
        XCTAssertEqual(FaceQuality.sharpness(of: big), FaceQuality.sharpness(of: sharp), accuracy: 1e-2)
    }

    func testSharpnessIsTheLaplacianVariance() {
        // Vertical stripes 0/100: the Laplacian is -200/+200 alternating on the interior.
        let stripes = Synthetic.image(width: 8, height: 8) { x, _ in x % 2 == 0 ? (0, 0, 0) : (100, 100, 100) }
        let gray = 0.299 * 100 + 0.587 * 100 + 0.114 * 100 as Float
        XCTAssertEqual(FaceQuality.sharpness(of: stripes, size: 8), (2 * gray) * (2 * gray), accuracy: 1)
    }

    func testQualityFromDetectionAndCrop() {
        let d = face(e: 22, rollDegrees: 5, noseOffset: 0)
        var rng = TestRandom(seed: 9)
        let crop = Synthetic.noise(width: 144, height: 144, rng: &rng)
        let q = FaceQuality(detection: d, alignedCrop: crop)
        XCTAssertEqual(q.score, 0.97)
        XCTAssertEqual(q.eyeDistance, 22, accuracy: 1e-3)
        XCTAssertEqual(q.roll, 5, accuracy: 1e-3)
        XCTAssertEqual(q.yaw, 0, accuracy: 1e-3)
        XCTAssertEqual(q.sharpness, FaceQuality.sharpness(of: crop))
        var uncropped = q
        uncropped.sharpness = 0
        XCTAssertEqual(FaceQuality(detection: d, sharpness: 0), uncropped)
    }
}
