import Foundation
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// Detections against facenet-pytorch 2.6.0's MTCNN, recorded by tools/mtcnn_reference.py in
/// Fixtures/ (messi5.jpg, every carphone frame, every 10th Megamind frame): same number of faces, box IoU >= 0.9, landmarks within 3% of the box width,
/// scores within 0.02.
final class MTCNNReferenceTests: XCTestCase {
    struct Fixture: Decodable {
        struct Face: Decodable { var box: [Float]; var score: Float; var landmarks: [[Float]] }
        struct Frame: Decodable { var frame: Int?; var faces: [Face] }
        var source: String
        var width: Int
        var height: Int
        var frames: [Frame]
    }

    /// Worst agreement seen so far (printed, so drift shows before it fails).
    var worstIoU: Float = 1, worstScore: Float = 0, worstLandmark: Float = 0

    func loadFixture(_ name: String) throws -> Fixture {
        let data = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent(name))
        return try JSONDecoder().decode(Fixture.self, from: data)
    }

    /// Compares one image's detections with the reference; returns a failure description or nil.
    func mismatch(_ ours: [FaceDetection], _ reference: [Fixture.Face], label: String) -> String? {
        guard ours.count == reference.count else {
            return "\(label): \(ours.count) faces, reference \(reference.count): ours \(ours.map { $0.box }) reference \(reference.map { $0.box })"
        }
        var unused = Array(ours.indices)
        for ref in reference {
            let refBox = FaceBox(x1: ref.box[0], y1: ref.box[1], x2: ref.box[2], y2: ref.box[3])
            guard let best = unused.max(by: { ours[$0].box.iou(refBox) < ours[$1].box.iou(refBox) }) else { break }
            unused.removeAll { $0 == best }
            let face = ours[best]
            let iou = face.box.iou(refBox)
            worstIoU = min(worstIoU, iou)
            worstScore = max(worstScore, abs(face.score - ref.score))
            for (p, q) in zip(face.landmarks, ref.landmarks) {
                worstLandmark = max(worstLandmark, hypotf(p.x - q[0], p.y - q[1]) / refBox.width)
            }
            if iou < 0.9 { return "\(label): IoU \(iou) ours \(face.box) reference \(refBox)" }
            if abs(face.score - ref.score) > 0.02 { return "\(label): score \(face.score) reference \(ref.score)" }
            for (p, q) in zip(face.landmarks, ref.landmarks) {
                let error = hypotf(p.x - q[0], p.y - q[1])
                if error > 0.03 * refBox.width {
                    return "\(label): landmark error \(error) px > 3% of \(refBox.width)"
                }
            }
        }
        return nil
    }

    func testMessiMatchesReference() throws {
        let mtcnn = try TestPaths.detector()
        let fixture = try loadFixture("messi5.json")
        let image = try ImageIO.read(TestFiles.asset("messi5.jpg"))
        XCTAssertEqual(image.width, fixture.width)
        XCTAssertEqual(image.height, fixture.height)
        let faces = mtcnn.detect(image)
        XCTAssertFalse(fixture.frames[0].faces.isEmpty)
        if let failure = mismatch(faces, fixture.frames[0].faces, label: "messi5.jpg") { XCTFail(failure) }
        print("messi5 vs reference: IoU \(worstIoU), score difference \(worstScore), landmark error \(worstLandmark) of the box width")
    }

    func testEveryCarphoneFrameMatchesReference() throws {
        let mtcnn = try TestPaths.detector()
        let fixture = try loadFixture("carphone_pristine.json")
        let reader = try VideoReader(url: TestFiles.asset("carphone_pristine.mp4"))
        var checked = 0, failures: [String] = []
        while let frame = try reader.nextFrame() {
            XCTAssertLessThan(frame.index, fixture.frames.count)
            guard frame.index < fixture.frames.count else { break }
            let faces = mtcnn.detect(frame.image)
            if let failure = mismatch(faces, fixture.frames[frame.index].faces, label: "frame \(frame.index)") {
                failures.append(failure)
            }
            checked += 1
        }
        print("carphone vs reference: worst IoU \(worstIoU), score difference \(worstScore), landmark error \(worstLandmark) of the box width")
        XCTAssertEqual(checked, 120)
        XCTAssertEqual(fixture.frames.count, 120)
        XCTAssertTrue(failures.isEmpty, "\(failures.count) frames differ:\n" + failures.prefix(10).joined(separator: "\n"))
    }

    func testSeveralFacesPerFrameMatchReference() throws {
        let mtcnn = try TestPaths.detector()
        let fixture = try loadFixture("Megamind_every10.json")
        let reader = try VideoReader(url: TestFiles.asset("Megamind.avi"),
                                     options: VideoReaderOptions(stride: 10))
        var expected = fixture.frames.makeIterator()
        var failures: [String] = [], faces = 0
        while let frame = try reader.nextFrame() {
            guard let reference = expected.next() else { return XCTFail("more frames than the fixture") }
            XCTAssertEqual(frame.index, reference.frame)
            let found = mtcnn.detect(frame.image)
            faces += found.count
            if let failure = mismatch(found, reference.faces, label: "frame \(frame.index)") { failures.append(failure) }
        }
        XCTAssertNil(expected.next(), "fewer frames than the fixture")
        XCTAssertEqual(faces, 35)
        print("Megamind vs reference: worst IoU \(worstIoU), score difference \(worstScore), landmark error \(worstLandmark) of the box width")
        XCTAssertTrue(failures.isEmpty, "\(failures.count) frames differ:\n" + failures.prefix(10).joined(separator: "\n"))
    }
}
