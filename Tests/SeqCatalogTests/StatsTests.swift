import Foundation
import XCTest
@testable import SeqCatalog
import SeqCore

final class StatsTests: XCTestCase {
    func testStatsCountEverything() throws {
        let (catalog, _) = try makeFixtureCatalog(self)
        try catalog.transaction {
            _ = try catalog.insertVideo(VideoRecord(path: "/bad.mp4", contentHash: "bad", duration: nil, fps: nil, width: nil, height: nil,
                                                    frameCount: nil, status: .failed, failureReason: "not a video"))
        }
        var s = try catalog.stats()
        XCTAssertEqual(s.schemaVersion, Catalog.currentSchemaVersion)
        XCTAssertEqual(s.videos, 3)
        XCTAssertEqual(s.videosFailed, 1)
        XCTAssertEqual(s.failures.first?.reason, "not a video")
        XCTAssertEqual(s.shots, 2)
        XCTAssertEqual(s.tracks, 5)
        XCTAssertEqual(s.sequences, 4)
        XCTAssertEqual(s.faces, 23 + 5 * 2)
        XCTAssertEqual(s.facesKept, 23)
        XCTAssertEqual(s.facesDropped.map(\.reason), [.duplicate, .lowScore])
        XCTAssertEqual(s.facesDropped.map(\.count), [5, 5])
        XCTAssertEqual(s.facesPerSequence.min, 5)
        XCTAssertEqual(s.facesPerSequence.max, 7)
        XCTAssertEqual(s.facesPerSequence.mean, 23.0 / 4)
        XCTAssertEqual(s.sequencesPerVideo.histogram.map(\.value), [2])
        XCTAssertEqual(s.identities, 4)
        XCTAssertEqual(s.identityImages, 9)
        XCTAssertEqual(s.identityImagesFailed.map(\.reason), ["no_face"])
        XCTAssertEqual(s.faceidNum, 4)
        XCTAssertEqual(s.seqidNum, 4)
        XCTAssertEqual(s.imagesPerIdentityLabel.max, 3)

        _ = try catalog.excludeNames(["George W Bush"], protocolName: "names", source: "n.txt")
        s = try catalog.stats()
        XCTAssertEqual(s.exclusions.map(\.kind), ["identity", "video"])
        XCTAssertEqual(s.faceidNum, 3)
        XCTAssertEqual(s.seqidNum, 2)
        let json = s.json.serialized(.condensed)
        XCTAssertTrue(json.contains("\"faceid_num\": 3"), json)
        XCTAssertTrue(json.contains("\"low_score\": 5"), json)
        XCTAssertTrue(s.text.contains("S (seqid_num)     2"), s.text)
    }
}
