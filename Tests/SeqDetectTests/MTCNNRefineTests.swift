import Foundation
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// `MTCNN.refine`: R-Net and O-Net around known boxes, on the real carphone clip.
final class MTCNNRefineTests: XCTestCase {
    private func frames(_ count: Int) throws -> [Image] {
        let reader = try VideoReader(url: try TestFiles.asset("carphone_pristine.mp4"))
        var out: [Image] = []
        while out.count < count, let f = try reader.nextFrame() { out.append(f.image) }
        return out
    }

    func testRefinementFollowsTheFaceWithTheBoxesOfFullDetection() throws {
        let detector = try TestPaths.detector()
        let images = try frames(60)
        var face = try XCTUnwrap(detector.detect(images[0]).first)
        for (i, image) in images.enumerated().dropFirst() {
            // Each frame is refined around the face of the frame before, as key-frame ingest does.
            let refined = try XCTUnwrap(detector.refine(image, around: [face.box]).first ?? nil, "lost at frame \(i)")
            let full = try XCTUnwrap(detector.detect(image).first, "frame \(i)")
            XCTAssertGreaterThanOrEqual(refined.box.iou(full.box), 0.5, "frame \(i)")
            XCTAssertGreaterThan(refined.score, detector.options.thresholds.onet)
            // The landmarks are O-Net's too: the eyes land near those of full detection.
            let size = full.box.width
            XCTAssertLessThan(abs(refined.leftEye.x - full.leftEye.x) + abs(refined.leftEye.y - full.leftEye.y), 0.2 * size, "frame \(i)")
            face = refined
        }
    }

    func testRefinementAroundTheDetectedBoxGivesTheDetection() throws {
        // R-Net and O-Net see nearly the square P-Net proposed, so the face comes back close.
        let detector = try TestPaths.detector()
        let image = try frames(1)[0]
        let full = try XCTUnwrap(detector.detect(image).first)
        let refined = try XCTUnwrap(detector.refine(image, around: [full.box]).first ?? nil)
        XCTAssertGreaterThanOrEqual(refined.box.iou(full.box), 0.8)
    }

    func testNoFaceWhereTheFaceIsGone() throws {
        let detector = try TestPaths.detector()
        var image = try frames(1)[0]
        let full = try XCTUnwrap(detector.detect(image).first)
        // Paint the face over (its box and a margin) with flat grey: the face is gone.
        let m = 0.3 * full.box.width
        for y in max(0, Int(full.box.y1 - m))..<min(image.height, Int(full.box.y2 + m)) {
            for x in max(0, Int(full.box.x1 - m))..<min(image.width, Int(full.box.x2 + m)) {
                for c in 0..<image.channels { image[x, y, c] = 128 }
            }
        }
        let results = detector.refine(image, around: [full.box])
        XCTAssertEqual(results.count, 1)
        XCTAssertNil(results[0] ?? nil)
        // Boxes outside the image and empty input give nothing, without trapping.
        XCTAssertNil(detector.refine(image, around: [FaceBox(x1: 500, y1: 500, x2: 540, y2: 540)])[0])
        XCTAssertEqual(detector.refine(image, around: []).count, 0)
    }

    func testRegionReadsTheSamePixelsAsTheWholeFrame() throws {
        let image = try frames(1)[0]
        let whole = RGBRegion(image)
        let part = RGBRegion(image, x0: 10, y0: 20, width: 30, height: 15)
        // Resampling to the same size reads the pixels as they are (planar RGB out).
        var a = [Float](repeating: -1, count: 3 * 30 * 15), b = a
        a.withUnsafeMutableBufferPointer { AreaResampler.resample(part, x0: 0, y0: 0, width: 30, height: 15, outWidth: 30, outHeight: 15,
                                                                  gain: 1, offset: 0, into: $0.baseAddress!) }
        b.withUnsafeMutableBufferPointer { AreaResampler.resample(whole, x0: 10, y0: 20, width: 30, height: 15, outWidth: 30, outHeight: 15,
                                                                  gain: 1, offset: 0, into: $0.baseAddress!) }
        XCTAssertEqual(a, b)
        for y in 0..<15 {
            for x in 0..<30 {
                for c in 0..<3 {
                    XCTAssertEqual(a[c * 450 + y * 30 + x], Float(image.pixels[((y + 20) * image.width + x + 10) * 3 + c]))
                }
            }
        }
    }
}
