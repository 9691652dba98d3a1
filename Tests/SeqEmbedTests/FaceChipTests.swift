import Foundation
import SeqDetect
import SeqMedia
import XCTest
@testable import SeqEmbed

/// The chip geometry: MTCNN's five points go onto the template by a similarity.
final class FaceChipTests: XCTestCase {
    /// A face drawn at twice the template's scale, rotated by 10 degrees and moved: its chip map
    /// takes every landmark back onto the template exactly.
    func testLandmarksLandOnTheTemplate() throws {
        let place = AffineTransform.similarity(scale: 0.5, angle: 10 * .pi / 180, tx: 300, ty: 120)
        let landmarks = FaceChip.template.map { place.inverted!.apply($0) }
        let m = try XCTUnwrap(FaceChip.chipToImage(landmarks: landmarks))
        for (p, t) in zip(landmarks, FaceChip.template) {
            let q = m.inverted!.apply(p)
            XCTAssertEqual(q.x, t.x, accuracy: 1e-2)
            XCTAssertEqual(q.y, t.y, accuracy: 1e-2)
        }
        XCTAssertEqual(m.scale, 2, accuracy: 1e-4)
    }

    /// The chip is 150x150 RGB, black where it falls outside the image.
    func testChipSizeAndBorder() throws {
        let image = Image(width: 60, height: 60, channels: 3, pixels: [UInt8](repeating: 200, count: 60 * 60 * 3))
        // A face whose eyes are 10 pixels apart in the image's corner: most of the chip is outside.
        let landmarks = [Point2(2, 2), Point2(12, 2), Point2(7, 7), Point2(3, 12), Point2(11, 12)]
        let chip = try XCTUnwrap(FaceChip.extract(from: image, landmarks: landmarks))
        XCTAssertEqual([chip.width, chip.height, chip.channels], [150, 150, 3])
        XCTAssertEqual(chip[0, 0, 0], 0)
        XCTAssertEqual(chip[74, 74, 0], 200)
        // Landmarks that coincide give no chip.
        XCTAssertNil(FaceChip.extract(from: image, landmarks: Array(repeating: Point2(5, 5), count: 5)))
    }

    /// The template is symmetric about the chip's centre column, as dlib's mean face is.
    func testTemplateIsSymmetric() {
        let t = FaceChip.template
        XCTAssertEqual(t[0].x + t[1].x, 149, accuracy: 1e-3)
        XCTAssertEqual(t[3].x + t[4].x, 149, accuracy: 1e-3)
        XCTAssertEqual(t[2].x, 74.5, accuracy: 1e-3)
        XCTAssertEqual(t[0].y, t[1].y)
    }
}
