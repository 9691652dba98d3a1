import Foundation
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqEmbed

/// dlib's frontal face detector scored on a few boxes (`DlibFrontalDetector`), against what
/// dlib-bin 20.0.1.post1 reports for the same images (`detector.run(img, 1, -0.3)`, printed by
/// `python3 tools/dlib_hog.py check`).
final class DlibFrontalDetectorTests: XCTestCase {
    struct Detection {
        var image: String
        var box: DlibDetectorGrid.Box
        var score: Float
        var detector: Int
    }

    static let dlib: [Detection] = [
        Detection(image: "astronaut.png", box: .init(left: 175, top: 76, right: 265, bottom: 166), score: 1.16413, detector: 0),
        Detection(image: "astronaut.png", box: .init(left: 126, top: 335, right: 215, bottom: 425), score: 0.11661, detector: 3),
        Detection(image: "astronaut.png", box: .init(left: 273, top: 337, right: 325, bottom: 389), score: -0.15228, detector: 0),
        Detection(image: "messi5.jpg", box: .init(left: 225, top: 94, right: 261, bottom: 130), score: 2.00851, detector: 2),
    ]

    func testScoresMatchDlibsOnItsOwnBoxes() throws {
        let detector = try DlibFrontalDetector(weights: TestFiles.asset(DlibFrontalDetector.weightsFileName))
        for d in Self.dlib {
            let image = try ImageIO.read(TestFiles.asset(d.image))
            let b = d.box
            let cell = try XCTUnwrap(Self.cell(of: b))
            let found = try XCTUnwrap(detector.candidate(level: cell.level, column: cell.column, row: cell.row, in: image))
            XCTAssertEqual(found.box, b, d.image)
            XCTAssertEqual(found.detector, d.detector, "\(d.image) \(b)")
            // The PNG decodes to dlib's pixels; a JPEG decoder may differ in a few values.
            XCTAssertEqual(found.score, d.score, accuracy: d.image.hasSuffix(".png") ? 1e-4 : 0.02, "\(d.image) \(b)")
        }
    }

    /// (level, column, row) of a box in dlib's detector grid.
    static func cell(of b: DlibDetectorGrid.Box) -> (level: Int, column: Int, row: Int)? {
        for level in 0..<DlibDetectorGrid.levels {
            let (c0, r0) = DlibDetectorGrid.roughCell(level: level, x: Double(b.left + b.right) / 2, y: Double(b.top + b.bottom) / 2)
            for c in (c0 - 2)...(c0 + 2) {
                for r in (r0 - 2)...(r0 + 2) where DlibDetectorGrid.box(level: level, column: c, row: r) == b {
                    return (level, c, r)
                }
            }
        }
        return nil
    }

    func testTheBestNeighbourIsDlibsBox() throws {
        let detector = try DlibFrontalDetector(weights: TestFiles.asset(DlibFrontalDetector.weightsFileName))
        for d in Self.dlib where d.score > 0 {
            let image = try ImageIO.read(TestFiles.asset(d.image))
            let b = d.box
            // An estimate a little off in place and size still finds dlib's box: it is the best
            // of its neighbours (dlib keeps it over every box overlapping it).
            let w = Float(b.width)
            let estimate = (Float(b.left) + 0.12 * w, Float(b.top) - 0.1 * w, Float(b.right) + 0.2 * w, Float(b.bottom) + 0.05 * w)
            let found = try XCTUnwrap(detector.best(near: estimate, in: image))
            XCTAssertEqual(found.box, b, d.image)
        }
    }

    func testMissingWeightsGiveOneLineNamingTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent/dlib_hog.safetensors")
        XCTAssertThrowsError(try DlibFrontalDetector(weights: url)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("/nonexistent/dlib_hog.safetensors"), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
    }
}
