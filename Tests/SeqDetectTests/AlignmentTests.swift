import Foundation
import SeqMedia
import XCTest
@testable import SeqDetect

/// Geometry of the aligners on synthetic faces: Gaussian dots drawn at known landmarks must
/// land where the alignment puts them, within a pixel.
final class AlignmentTests: XCTestCase {
    static let background: Float = 40

    /// A grey image with a bright Gaussian dot (sigma pixels) at every point.
    func dotImage(width: Int, height: Int, points: [Point2], sigma: Float) -> Image {
        var image = Image(width: width, height: height, channels: 3)
        for y in 0..<height {
            for x in 0..<width {
                var v = Self.background
                for p in points {
                    let r2 = (Float(x) - p.x) * (Float(x) - p.x) + (Float(y) - p.y) * (Float(y) - p.y)
                    v += 200 * expf(-r2 / (2 * sigma * sigma))
                }
                for c in 0..<3 { image[x, y, c] = UInt8(min(255, v.rounded())) }
            }
        }
        return image
    }

    /// The brightness-weighted centroid of the dot nearest `guess` (within `radius` pixels).
    func dotCentre(_ image: Image, near guess: Point2, radius: Int = 7) -> Point2 {
        var sx: Float = 0, sy: Float = 0, sw: Float = 0
        let cx = Int(guess.x.rounded()), cy = Int(guess.y.rounded())
        for y in max(0, cy - radius)...min(image.height - 1, cy + radius) {
            for x in max(0, cx - radius)...min(image.width - 1, cx + radius) {
                let w = max(0, Float(image[x, y, 0]) - Self.background - 10)
                sx += w * Float(x); sy += w * Float(y); sw += w
            }
        }
        return sw > 0 ? Point2(sx / sw, sy / sw) : Point2(-1000, -1000)
    }

    /// Five landmarks of an upright face (eye distance 60, mouth 70 below the eyes) rotated by
    /// `degrees` about `centre` (the eye centre).
    func tiltedFace(centre: Point2, degrees: Float) -> FaceDetection {
        let local = [Point2(-30, 0), Point2(30, 0), Point2(0, 35), Point2(-25, 70), Point2(25, 70)]
        let t = AffineTransform.similarity(scale: 1, angle: degrees * .pi / 180, tx: centre.x, ty: centre.y)
        let pts = local.map { t.apply($0) }
        return FaceDetection(box: FaceBox(x1: centre.x - 60, y1: centre.y - 60, x2: centre.x + 60, y2: centre.y + 100),
                             score: 1, landmarks: pts)
    }

    func assertClose(_ p: Point2, _ q: Point2, _ what: String, tolerance: Float = 1, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThanOrEqual(hypotf(p.x - q.x, p.y - q.y), tolerance, "\(what): \(p) expected \(q)", file: file, line: line)
    }

    func testSeqFaceCropPutsEyesLevelAtPublishedPositions() {
        for degrees: Float in [-25, 0, 17] {
            let face = tiltedFace(centre: Point2(230, 180), degrees: degrees)
            let image = dotImage(width: 480, height: 420, points: face.landmarks, sigma: 2.5)
            let aligner = SeqFaceAligner()
            guard let out = aligner.align(image, face: face) else { return XCTFail("no crop") }
            XCTAssertEqual(out.width, 144)
            XCTAssertEqual(out.height, 144)
            // d = 70 + 1, s = 3d: the eye centre at (s/2, s/3) of the crop, scaled to 144.
            let k: Float = 144 / 213
            let left = dotCentre(out, near: Point2(72 - 30 * k, 48))
            let right = dotCentre(out, near: Point2(72 + 30 * k, 48))
            assertClose(left, Point2(72 - 30 * k, 48), "left eye at \(degrees) degrees")
            assertClose(right, Point2(72 + 30 * k, 48), "right eye at \(degrees) degrees")
            XCTAssertEqual(left.y, right.y, accuracy: 1, "eyes level at \(degrees) degrees")
            // The mouth corners 70 px below the eyes in the face frame: d - 1 below the eye row.
            let mouthY = 48 + 70 * k
            assertClose(dotCentre(out, near: Point2(72 - 25 * k, mouthY)), Point2(72 - 25 * k, mouthY), "left mouth corner")
            assertClose(dotCentre(out, near: Point2(72 + 25 * k, mouthY)), Point2(72 + 25 * k, mouthY), "right mouth corner")
            // The transform agrees with the pixels.
            let mapped = aligner.outputPosition(of: face.leftEye, face: face, imageWidth: 480, imageHeight: 420)!
            assertClose(mapped, Point2(72 - 30 * k, 48), "mapped left eye", tolerance: 0.01)
        }
    }

    func testSeqFaceCustomSizeScalesTheCrop() {
        let face = tiltedFace(centre: Point2(200, 150), degrees: 8)
        let image = dotImage(width: 400, height: 400, points: face.landmarks, sigma: 2.5)
        let out = SeqFaceAligner(size: 200).align(image, face: face)!
        XCTAssertEqual(out.width, 200)
        let k: Float = 200 / 213
        assertClose(dotCentre(out, near: Point2(100 - 30 * k, 200 / 3)), Point2(100 - 30 * k, 200.0 / 3), "left eye")
        assertClose(dotCentre(out, near: Point2(100 + 30 * k, 200 / 3)), Point2(100 + 30 * k, 200.0 / 3), "right eye")
    }

    func testSeqFaceCropIsClippedAtTheImageBorder() {
        // Eye centre 40 px from the left edge: the 213 px square starts 106 px to its left.
        let face = tiltedFace(centre: Point2(40, 100), degrees: 0)
        let aligner = SeqFaceAligner()
        let g = aligner.cropGeometry(face, imageWidth: 300, imageHeight: 300)!
        XCTAssertEqual(g.left, 0)
        XCTAssertEqual(g.width, 40 + 213 / 2, accuracy: 1e-3)
        XCTAssertEqual(g.top, 100 - 71, accuracy: 1e-3)
        let unclipped = SeqFaceAligner(clipToImage: false).cropGeometry(face, imageWidth: 300, imageHeight: 300)!
        XCTAssertEqual(unclipped.left, 40 - 106.5, accuracy: 1e-3)
        let image = dotImage(width: 300, height: 300, points: face.landmarks, sigma: 2)
        XCTAssertEqual(aligner.align(image, face: face)?.width, 144)
    }

    func testSeqFaceRejectsMouthAboveEyes() {
        let pts = [Point2(100, 100), Point2(140, 100), Point2(120, 90), Point2(105, 60), Point2(135, 60)]
        let face = FaceDetection(box: FaceBox(x1: 80, y1: 40, x2: 160, y2: 120), score: 1, landmarks: pts)
        XCTAssertNil(SeqFaceAligner().align(Image(width: 200, height: 200), face: face))
    }

    func testUmeyamaRecoversASimilarity() {
        let truth = AffineTransform.similarity(scale: 0.37, angle: 0.4, tx: 12, ty: -7)
        let src = [Point2(10, 20), Point2(200, 35), Point2(90, 140), Point2(30, 260), Point2(170, 250)]
        let est = SimilarityEstimator.estimate(from: src, to: src.map { truth.apply($0) })!
        for (name, a, b) in [("a", est.a, truth.a), ("b", est.b, truth.b), ("c", est.c, truth.c),
                             ("d", est.d, truth.d), ("tx", est.tx, truth.tx), ("ty", est.ty, truth.ty)] {
            XCTAssertEqual(a, b, accuracy: 1e-4, name)
        }
        XCTAssertNil(SimilarityEstimator.estimate(from: [Point2(1, 1), Point2(1, 1)], to: [Point2(0, 0), Point2(3, 3)]))
    }

    func testSimilarityAlignmentPutsLandmarksOnTheTemplates() {
        for template in [SimilarityAligner.Template.arcface112, .sphereface96x112, SimilarityAligner.Template.arcface112.scaled(toHeight: 224)] {
            // The template mapped into a 300x300 image 2.3x larger, turned by 20 degrees.
            let k = 2.3 * 112 / Float(template.height)
            let toImage = AffineTransform.similarity(scale: k, angle: 20 * .pi / 180, tx: 60, ty: 30)
            let landmarks = template.points.map { toImage.apply($0) }
            let face = FaceDetection(box: FaceBox(x1: 0, y1: 0, x2: 1, y2: 1), score: 1, landmarks: landmarks)
            let image = dotImage(width: 300, height: 300, points: landmarks, sigma: 2.3 * Float(template.height) / 112 * 1.2)
            let out = SimilarityAligner(template: template).align(image, face: face)!
            XCTAssertEqual(out.width, template.width)
            XCTAssertEqual(out.height, template.height)
            let le = dotCentre(out, near: template.points[0], radius: 5)
            let re = dotCentre(out, near: template.points[1], radius: 5)
            assertClose(le, template.points[0], "left eye \(template.width)x\(template.height)")
            assertClose(re, template.points[1], "right eye \(template.width)x\(template.height)")
            assertClose(dotCentre(out, near: template.points[2], radius: 5), template.points[2], "nose")
        }
    }

    func testWarpBorderModes() {
        var image = Image(width: 4, height: 4, channels: 1)
        for i in image.pixels.indices { image.pixels[i] = 200 }
        let shift = AffineTransform(a: 1, b: 0, c: 0, d: 1, tx: -2, ty: 0)  // output x -> source x - 2
        let black = ImageWarper.warp(image, width: 4, height: 4, outputToSource: shift, border: .constant(0))
        XCTAssertEqual(black[0, 0, 0], 0)
        XCTAssertEqual(black[3, 0, 0], 200)
        let edge = ImageWarper.warp(image, width: 4, height: 4, outputToSource: shift, border: .replicate)
        XCTAssertEqual(edge[0, 0, 0], 200)
        // Half a pixel past the edge blends with the constant.
        let half = ImageWarper.warp(image, width: 4, height: 4, outputToSource: AffineTransform(a: 1, b: 0, c: 0, d: 1, tx: -0.5, ty: 0), border: .constant(0))
        XCTAssertEqual(half[0, 0, 0], 100)
    }
}
