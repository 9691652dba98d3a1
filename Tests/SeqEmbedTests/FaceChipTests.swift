import Foundation
import SeqDetect
import SeqMedia
import SeqTestSupport
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

    // MARK: dlib's detector grid and the predictor's start box

    /// The detector's box sizes: one level per factor 6/5 (pyramid_down<6>), halved for the
    /// upsampling; 80-pixel windows give 37 pixels at level 0.
    func testDetectorBoxSizesFollowThePyramid() {
        let widths = (0..<8).map { DlibDetectorGrid.box(level: $0, column: 100, row: 100).width }
        XCTAssertEqual(widths, [37, 44, 53, 63, 75, 90, 108, 130])
        // Neighbouring cells are one cell apart (4 pixels at level 0, with dlib's rounding).
        let a = DlibDetectorGrid.box(level: 0, column: 65, row: 32), b = DlibDetectorGrid.box(level: 0, column: 66, row: 32)
        XCTAssertEqual(b.left - a.left, 4)
        XCTAssertEqual(b.top, a.top)
    }

    /// Boxes dlib's detector reported on the sample media (dlib-bin 20.0.1.post1, one
    /// upsampling; Tests/Fixtures/shape_predictor and tools/chip_template.py grid) are boxes of
    /// the grid, and an estimate within half a step snaps onto them exactly.
    func testDlibsBoxesAreOnTheGrid() throws {
        let data = try Data(contentsOf: TestFiles.fixture("shape_predictor/dlib_landmarks.json"))
        let fixture = try JSONDecoder().decode(ShapePredictorTests.Fixture.self, from: data)
        XCTAssertEqual(fixture.faces.count, 3)
        for face in fixture.faces {
            let box = face.box.map { Int($0) }
            let dlib = DlibDetectorGrid.Box(left: box[0], top: box[1], right: box[2], bottom: box[3])
            XCTAssertEqual(DlibDetectorGrid.nearest(left: face.box[0], top: face.box[1], right: face.box[2], bottom: face.box[3]), dlib)
            // Off by 40% of a step in x, 30% in y and 5% in size: still dlib's box.
            let step = Float(dlib.width) / 10, grow = Float(dlib.width) * 0.025
            XCTAssertEqual(DlibDetectorGrid.nearest(left: face.box[0] + 0.4 * step - grow, top: face.box[1] - 0.3 * step - grow,
                                                    right: face.box[2] + 0.4 * step + grow, bottom: face.box[3] - 0.3 * step + grow), dlib,
                           "\(face.image) \(face.box)")
        }
        // messi5.jpg's face is level 0, cell (65, 32); carphone frame 52's is level 2, cell (18, 16).
        XCTAssertEqual(DlibDetectorGrid.box(level: 0, column: 65, row: 32), .init(left: 225, top: 94, right: 261, bottom: 130))
        XCTAssertEqual(DlibDetectorGrid.box(level: 2, column: 18, row: 16), .init(left: 55, top: 44, right: 106, bottom: 95))
        // A face cut by the image's left edge (face_recognition's obama_partial_face.jpg): dlib
        // moves corners on the negative side by half a cell the other way.
        XCTAssertEqual(DlibDetectorGrid.box(level: 10, column: 7, row: 14), .init(left: -56, top: 142, right: 191, bottom: 365))
    }

    /// On messi5.jpg (an 11-pixel eye distance) the start box made from MTCNN's face is dlib's
    /// own detector box, so the landmarks are dlib's (the shape predictor's fixture).
    func testPredictorStartsFromDlibsBoxOnMessi() throws {
        let image = try ImageIO.read(TestFiles.asset("messi5.jpg"))
        let mtcnn = try MTCNN(weights: TestFiles.asset("mtcnn.safetensors"))
        let predictor = try ShapePredictor(weights: TestFiles.asset(ShapePredictor.weightsFileName))
        let face = try XCTUnwrap(mtcnn.detect(image).first { $0.box.center.x > 225 && $0.box.center.x < 261 && $0.box.center.y > 94 && $0.box.center.y < 130 })
        XCTAssertEqual(FaceChip.predictorStart(in: image, face: face, predictor: predictor), .init(left: 225, top: 94, right: 261, bottom: 130))
    }
}
