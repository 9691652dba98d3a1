import CSQLite
import Foundation
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// `Catalog.sequenceListing` (behind `seqcurate sequences` and the report) and the tracks'
/// end reasons.
final class SequenceListingTests: XCTestCase {
    private func catalog() throws -> Catalog {
        let dir = try TestFiles.tempDirectory("seqcatalog-listing", removedAfter: self)
        return try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
    }

    func testListsEverySequenceWithShotTrackFacesBoxesAndCrops() throws {
        let c = try catalog()
        let v1 = try addVideo(c, path: "/v/a.mp4", hash: "a", sequences: [3, 2])
        let v2 = try addVideo(c, path: "/v/b.mp4", hash: "b", sequences: [4])
        let all = try c.sequenceListing()
        XCTAssertEqual(all.map(\.videoID), [v1, v1, v2])
        XCTAssertEqual(all.map(\.faces.count), [3, 2, 4])
        let first = all[0]
        XCTAssertEqual(first.shotIndex, 0)
        XCTAssertEqual(first.trackIndex, 0)
        XCTAssertEqual(first.videoPath, "/v/a.mp4")
        XCTAssertEqual(first.faces.map(\.frame), [0, 3, 6])
        XCTAssertEqual(first.faces[1].box, [10, 20, 111, 140])
        XCTAssertEqual(first.faces[0].cropPath, "crops/v\(v1)/t\(first.trackID)/f0.jpg")
        XCTAssertEqual(first.dropped, ["low_score": 1, "duplicate": 1])
        XCTAssertEqual(first.status, .sequence)
        XCTAssertEqual(first.identity, .init(), "no identity data until identity matching stores some")
        XCTAssertEqual(try c.sequenceListing(videoID: v2).map(\.id), [all[2].id])
        let json = first.json
        XCTAssertEqual(json["status"]?.string, "sequence")
        XCTAssertEqual(json["faces"]?.array?.first?["box"]?.array?.compactMap(\.number), [10, 20, 110, 140])
        XCTAssertEqual(json["faces"]?.array?.first?["crop"]?.string, first.faces[0].cropPath)
        XCTAssertEqual(json["identity"], .null)
    }

    func testStatusIsExcludedWithTheReasonWhenTheVideoOrEveryFaceIsExcluded() throws {
        let c = try catalog()
        let v1 = try addVideo(c, path: "/v/a.mp4", hash: "a", sequences: [2])
        let v2 = try addVideo(c, path: "/v/b.mp4", hash: "b", sequences: [2, 2])
        XCTAssertEqual(try c.addExclusions([ExclusionRecord(target: .video(v1), reason: "name a in lfw protocol", protocolName: "lfw", source: "pairs.txt")]), 1)
        let second = try c.sequenceListing(videoID: v2)
        // Every face of the first sequence of video 2 excluded, one face of the second.
        var rows = second[0].faces.map { ExclusionRecord(target: .face($0.id), reason: "near-duplicate of x.jpg", protocolName: "images", source: "dir") }
        rows.append(ExclusionRecord(target: .face(second[1].faces[0].id), reason: "near-duplicate of y.jpg", protocolName: "images", source: "dir"))
        XCTAssertEqual(try c.addExclusions(rows), 3)
        let all = try c.sequenceListing()
        XCTAssertEqual(all.map(\.status.text), ["excluded:name a in lfw protocol", "excluded:near-duplicate of x.jpg", "sequence"])
        XCTAssertEqual(all[2].faces.map(\.exclusions), [["near-duplicate of y.jpg"], []])
        // The same sequences as export leaves in: only the last one.
        XCTAssertEqual(try c.trainingCandidates().sequences.map(\.id), [all[2].id])
    }

    func testTrackEndReasonIsStoredAndReadBackAndUnknownForOlderRows() throws {
        let c = try catalog()
        let videoID = try c.insertVideo(VideoRecord(path: "/v/a.mp4", contentHash: "a", duration: 1, fps: 25, width: 64, height: 64, frameCount: 25))
        for (i, reason) in ([nil] + TrackEnd.allCases.map { Optional($0) }).enumerated() {
            _ = try c.insertTrack(TrackRecord(videoID: videoID, shotID: nil, index: i, firstFrame: 0, lastFrame: 9, faceCount: 10,
                                              meanBoxWidth: 10, meanBoxHeight: 10, meanScore: 0.9, minScore: 0.9, maxCenterStep: 1,
                                              endReason: reason))
        }
        XCTAssertEqual(try c.tracks(videoID: videoID).map(\.endReason), [nil, .cut, .lost, .split, .identity, .end])
        XCTAssertEqual(TrackEnd.allCases.map(\.rawValue), ["cut", "lost", "split", "identity", "end"])
    }

    func testAReadOnlyOpenOfACatalogWithoutEndReasonsReadsTracksAsUnknown() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-listing", removedAfter: self)
        let url = dir.appendingPathComponent("old.db")
        let version = Catalog.trackEndReasonVersion - 1
        // A catalog made by the migrations before end_reason, with one track.
        let old = CatalogSchemaSQL.migrations.prefix(version).map(\.sql).joined(separator: "\n") + """
            PRAGMA user_version = \(version);
            INSERT INTO videos (id, path, content_hash, status, ingested_at) VALUES (1, '/v.mp4', 'h', 'ok', 't');
            INSERT INTO tracks (video_id, track_index, first_frame, last_frame, face_count, mean_box_width, mean_box_height, mean_score, min_score, max_center_step)
                VALUES (1, 0, 0, 9, 10, 10, 10, 0.9, 0.9, 1);
            """
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(url.path, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, old, nil, nil, nil), SQLITE_OK, String(cString: sqlite3_errmsg(db)))
        sqlite3_close(db)
        let reader = try Catalog.openForReading(at: url)
        XCTAssertEqual(try reader.tracks().map(\.endReason), [nil])
        reader.close()
        let writer = try Catalog.open(at: url)
        XCTAssertEqual(try writer.tracks().map(\.endReason), [nil], "migrated: existing tracks keep NULL (unknown)")
    }
}
