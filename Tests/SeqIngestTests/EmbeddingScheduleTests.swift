import SeqDetect
import XCTest
@testable import SeqIngest

/// Which frames the default ingest embeds (`EmbeddingSchedule`): sparsely while faces are known
/// and alone, densely while a face is new (embedded fewer than twice) or faces are near each other.
final class EmbeddingScheduleTests: XCTestCase {
    private func box(_ x: Float, _ w: Float = 40) -> FaceBox { FaceBox(x1: x, y1: 20, x2: x + w, y2: 20 + w) }

    /// The frames embedded among the block starts 0, 10, 20, … below `end`, with the boxes
    /// `faces(frame)` and cuts at `cuts`.
    private func embedded(_ schedule: EmbeddingSchedule, until end: Int, cuts: Set<Int> = [],
                          faces: (Int) -> [FaceBox]) -> [Int] {
        var s = schedule
        return stride(from: 0, to: end, by: 10).filter { f in
            s.embeds(frame: f, boxes: faces(f), candidate: true, cut: cuts.contains(f))
        }
    }

    func testALoneFaceThatStaysIsEmbeddedEverySettledInterval() {
        let s = EmbeddingSchedule(every: 10, settledEvery: 30)
        // New until embedded twice (0, 10), then every 30 frames.
        XCTAssertEqual(embedded(s, until: 100) { _ in [self.box(100)] }, [0, 10, 40, 70])
        // Equal intervals: every block, the rule without the schedule.
        XCTAssertEqual(embedded(EmbeddingSchedule(every: 10, settledEvery: 10), until: 50) { _ in [self.box(100)] },
                       [0, 10, 20, 30, 40])
    }

    func testANewFaceIsEmbeddedAtTheNextBlock() {
        let s = EmbeddingSchedule(every: 10, settledEvery: 30)
        // A second face far from the first appears at frame 40 (seen from block 40 on).
        let frames = embedded(s, until: 100) { f in f < 40 ? [self.box(100)] : [self.box(100), self.box(300)] }
        XCTAssertEqual(frames, [0, 10, 40, 50, 80])
        // A face that jumps to another place (not one of the embedded faces at IoU 0.3) is new.
        XCTAssertEqual(embedded(s, until: 60) { f in [self.box(f < 20 ? 100 : 200)] }, [0, 10, 20, 30])
    }

    func testFacesNearEachOtherAreEmbeddedEveryBlock() {
        let s = EmbeddingSchedule(every: 10, settledEvery: 30)
        // Two faces 50 px apart (centres), 40 px wide: near (0.75 * 80 = 60).
        XCTAssertEqual(embedded(s, until: 50) { _ in [self.box(100), self.box(150)] }, [0, 10, 20, 30, 40])
        // 100 px apart: not near.
        XCTAssertEqual(embedded(s, until: 50) { _ in [self.box(100), self.box(200)] }, [0, 10, 40])
    }

    func testACutMakesEveryFaceNew() {
        let s = EmbeddingSchedule(every: 10, settledEvery: 30)
        // The same place after a cut may be another person (shot / reverse shot).
        XCTAssertEqual(embedded(s, until: 70, cuts: [40]) { _ in [self.box(100)] }, [0, 10, 40, 50])
    }

    func testOnlyCandidateFramesWithFacesAreEmbedded() {
        var s = EmbeddingSchedule(every: 10, settledEvery: 30)
        XCTAssertFalse(s.embeds(frame: 0, boxes: [], candidate: true, cut: false))
        XCTAssertFalse(s.embeds(frame: 1, boxes: [box(100)], candidate: false, cut: false))
        XCTAssertTrue(s.embeds(frame: 10, boxes: [box(100)], candidate: true, cut: false))
        XCTAssertEqual(s.embeddedFrames, 1)
    }
}
