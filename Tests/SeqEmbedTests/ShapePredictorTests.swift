import Foundation
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqEmbed

/// dlib's 5-point shape predictor (converted by tools/shape_predictor.py) against dlib's own
/// landmarks from the same HOG boxes (Tests/Fixtures/shape_predictor, dlib-bin 20.0.1.post1).
final class ShapePredictorTests: XCTestCase {
    struct Fixture: Decodable {
        struct Face: Decodable {
            var image: String
            var box: [Float]
            var landmarks: [[Float]]
        }
        var faces: [Face]
    }

    func testLandmarksMatchDlibFromTheSameBoxes() throws {
        let predictor = try ShapePredictor(weights: TestFiles.asset(ShapePredictor.weightsFileName))
        let data = try Data(contentsOf: TestFiles.fixture("shape_predictor/dlib_landmarks.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        XCTAssertEqual(fixture.faces.count, 3)
        for face in fixture.faces {
            let image = try ImageIO.read(TestFiles.asset(face.image))
            let ours = predictor.landmarks(in: image, left: face.box[0], top: face.box[1], right: face.box[2], bottom: face.box[3])
            XCTAssertEqual(ours.count, 5)
            // dlib stores its landmarks as whole pixels. The PNG decodes to the same pixels here
            // as in dlib's run: the rounded landmarks are equal. A JPEG decoder may differ by
            // one in a few values, which may move a landmark by a fraction of a pixel.
            let tolerance: Float = face.image.hasSuffix(".png") ? 0.51 : 1.5
            for (p, q) in zip(ours, face.landmarks) {
                XCTAssertLessThanOrEqual(abs(p.x - q[0]), tolerance, "\(face.image) \(face.box): \(p) vs \(q)")
                XCTAssertLessThanOrEqual(abs(p.y - q[1]), tolerance, "\(face.image) \(face.box): \(p) vs \(q)")
            }
        }
    }

    func testMissingWeightsGiveOneLineNamingTheFile() {
        XCTAssertThrowsError(try ShapePredictor(weights: URL(fileURLWithPath: "/nonexistent/sp.safetensors"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("/nonexistent/sp.safetensors"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}
