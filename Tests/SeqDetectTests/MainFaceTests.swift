import XCTest
@testable import SeqDetect

final class MainFaceTests: XCTestCase {
    func face(_ cx: Float, _ cy: Float, side: Float) -> FaceDetection {
        let h = side / 2
        return FaceDetection(box: FaceBox(x1: cx - h, y1: cy - h, x2: cx + h, y2: cy + h), score: 0.99,
                             landmarks: Array(repeating: Point2(cx, cy), count: 5))
    }

    func testLargestFaceWins() {
        let small = face(100, 100, side: 20), large = face(100, 100, side: 40)
        XCTAssertEqual(FaceDetection.mainFace([small, large], width: 200, height: 200), large)
        XCTAssertNil(FaceDetection.mainFace([], width: 200, height: 200))
    }

    /// Of two faces of the same size, the one nearer the centre wins; a face well off centre must
    /// be clearly larger to win.
    func testCentralFacesArePreferred() {
        let centre = face(100, 100, side: 40), corner = face(20, 20, side: 40)
        XCTAssertEqual(FaceDetection.mainFace([corner, centre], width: 200, height: 200), centre)
        // The corner face is 0.4 of the diagonal off centre: its area counts 60%.
        XCTAssertEqual(FaceDetection.mainFace([face(20, 20, side: 50), centre], width: 200, height: 200), centre)
        XCTAssertEqual(FaceDetection.mainFace([face(20, 20, side: 60), centre], width: 200, height: 200)?.box.x1, -10)
    }
}
