import SeqDetect
import XCTest
@testable import SeqIngest

/// Which faces the default ingest embeds (`EmbeddingSchedule`): sparsely while a face is known
/// and alone, densely while it is new (embedded fewer than twice) or faces are near each other.
final class EmbeddingScheduleTests: XCTestCase {
    private func box(_ x: Float, _ w: Float = 40) -> FaceBox { FaceBox(x1: x, y1: 20, x2: x + w, y2: 20 + w) }

    /// The frames on which any face is embedded, among the block starts 0, 10, 20, … below
    /// `end`, with the boxes `faces(frame)` and cuts at `cuts`.
    private func embedded(_ schedule: EmbeddingSchedule, until end: Int, cuts: Set<Int> = [],
                          faces: (Int) -> [FaceBox]) -> [Int] {
        var s = schedule
        return stride(from: 0, to: end, by: 10).filter { f in
            s.embeds(frame: f, boxes: faces(f), candidate: true, cut: cuts.contains(f)).contains(true)
        }
    }

    func testALoneFaceThatStaysIsEmbeddedEverySettledInterval() {
        let s = EmbeddingSchedule(settledEvery: 30)
        // New until embedded twice (0, 10), then every 30 frames.
        XCTAssertEqual(embedded(s, until: 100) { _ in [self.box(100)] }, [0, 10, 40, 70])
        // Equal intervals: every block, the rule without the schedule.
        XCTAssertEqual(embedded(EmbeddingSchedule(settledEvery: 10), until: 50) { _ in [self.box(100)] },
                       [0, 10, 20, 30, 40])
    }

    func testANewFaceIsEmbeddedAtTheNextBlockAndOnlyIt() {
        var s = EmbeddingSchedule(settledEvery: 30)
        XCTAssertEqual(s.embeds(frame: 0, boxes: [box(100)], candidate: true, cut: false), [true])
        XCTAssertEqual(s.embeds(frame: 10, boxes: [box(100)], candidate: true, cut: false), [true])
        XCTAssertEqual(s.embeds(frame: 20, boxes: [box(100)], candidate: true, cut: false), [false])
        // A second face far from the first: it alone is embedded, twice.
        XCTAssertEqual(s.embeds(frame: 30, boxes: [box(100), box(300)], candidate: true, cut: false), [false, true])
        XCTAssertEqual(s.embeds(frame: 40, boxes: [box(100), box(300)], candidate: true, cut: false), [true, true])
        XCTAssertEqual(s.embeds(frame: 50, boxes: [box(100), box(300)], candidate: true, cut: false), [false, false])
        XCTAssertEqual(s.embeddedFaces, 5)
        // A face that jumps to another place (none of the last faces at IoU 0.3) is new.
        XCTAssertEqual(embedded(EmbeddingSchedule(settledEvery: 30), until: 60) { f in [self.box(f < 20 ? 100 : 200)] },
                       [0, 10, 20, 30])
    }

    func testFacesNearEachOtherAreEmbeddedEveryBlock() {
        let s = EmbeddingSchedule(settledEvery: 30)
        // Two faces 50 px apart (centres), 40 px wide: near (0.75 * 80 = 60).
        XCTAssertEqual(embedded(s, until: 50) { _ in [self.box(100), self.box(150)] }, [0, 10, 20, 30, 40])
        // 100 px apart: not near.
        XCTAssertEqual(embedded(s, until: 50) { _ in [self.box(100), self.box(200)] }, [0, 10, 40])
    }

    func testACutMakesEveryFaceNew() {
        let s = EmbeddingSchedule(settledEvery: 30)
        // The same place after a cut may be another person (shot / reverse shot).
        XCTAssertEqual(embedded(s, until: 70, cuts: [40]) { _ in [self.box(100)] }, [0, 10, 40, 50])
    }

    func testOnlyCandidateFramesAreEmbedded() {
        var s = EmbeddingSchedule(settledEvery: 30)
        XCTAssertEqual(s.embeds(frame: 0, boxes: [], candidate: true, cut: false), [])
        XCTAssertEqual(s.embeds(frame: 1, boxes: [box(100)], candidate: false, cut: false), [false])
        XCTAssertEqual(s.embeds(frame: 10, boxes: [box(100)], candidate: true, cut: false), [true])
        XCTAssertEqual(s.embeddedFaces, 1)
    }
}
