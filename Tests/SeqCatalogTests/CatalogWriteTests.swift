import Foundation
import XCTest
@testable import SeqCatalog
import SeqTestSupport

final class CatalogWriteTests: XCTestCase {
    func testRecordsRoundTrip() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        let runID = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: "abc", parametersJSON: #"{"min_faces":5}"#, seqcurateVersion: "0.1.0"))
        let videoID = try addVideo(catalog, path: "/v/a.mp4", hash: "hash-a", sequences: [5], dropped: [.blurry, .pose, .notSpread])
        try catalog.finishIngestRun(id: runID, status: .finished)

        let video = try XCTUnwrap(try catalog.video(contentHash: "hash-a"))
        XCTAssertEqual(video.id, videoID)
        XCTAssertEqual(video.path, "/v/a.mp4")
        XCTAssertEqual(video.width, 352)
        XCTAssertEqual(video.status, .ok)
        XCTAssertEqual(try catalog.shots(videoID: videoID).map(\.lastFrame), [119])
        let tracks = try catalog.tracks(videoID: videoID)
        XCTAssertEqual(tracks.count, 1)
        XCTAssertEqual(tracks[0].faceCount, 8)
        let faces = try catalog.faces(trackID: tracks[0].id!)
        var expected = try makeFaces(catalog: catalog, videoID: videoID, trackID: tracks[0].id!, kept: 5, dropped: [.blurry, .pose, .notSpread], writeCrops: false)
        for i in expected.indices { expected[i].id = faces[i].id }
        XCTAssertEqual(faces, expected)
        XCTAssertEqual(faces.filter(\.kept).count, 5)
        let sequence = try XCTUnwrap(try catalog.sequence(trackID: tracks[0].id!))
        XCTAssertEqual(try catalog.sequenceFaces(sequenceID: sequence.id!).map(\.frameIndex), [0, 3, 6, 9, 12])

        let runs = try catalog.ingestRuns()
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs[0].status, .finished)
        XCTAssertNotNil(runs[0].endedAt)
        XCTAssertEqual(runs[0].parametersJSON, #"{"min_faces":5}"#)
    }

    func testSameContentHashIsSkippableAndForceDeletesEverything() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        let id = try addVideo(catalog, path: "/v/a.mp4", hash: "same", sequences: [5, 6])
        XCTAssertTrue(try catalog.hasVideo(contentHash: "same"))
        XCTAssertFalse(try catalog.hasVideo(contentHash: "other"))
        // The same content again is refused by the UNIQUE constraint and changes nothing.
        XCTAssertThrowsError(try addVideo(catalog, path: "/elsewhere/copy.mp4", hash: "same", sequences: [5]))
        XCTAssertEqual(try catalog.videos().count, 1)
        XCTAssertEqual(try catalog.scalar("SELECT count(*) FROM faces"), 15)

        // --force: crops to remove, then every row of the video goes, exclusions included.
        try catalog.addExclusions([ExclusionRecord(target: .video(id), reason: "test", protocolName: "names", source: "x")])
        XCTAssertEqual(try catalog.cropPaths(videoID: id).count, 11)
        try catalog.deleteVideo(id: id)
        for table in ["videos", "shots", "tracks", "faces", "sequences", "exclusions"] {
            XCTAssertEqual(try catalog.scalar("SELECT count(*) FROM \(table)"), 0, table)
        }
        XCTAssertFalse(try catalog.hasVideo(contentHash: "same"))

        // Re-ingesting the same content brings its exclusion back: a test-set video stays out.
        let again = try addVideo(catalog, path: "/v/a.mp4", hash: "same", sequences: [5])
        XCTAssertEqual(try catalog.exclusions().map(\.target), [.video(again)])
        // In one transaction, as ingest --force does it.
        let third = try catalog.transaction { () -> Int64 in
            try catalog.deleteVideo(id: again)
            return try catalog.insertVideo(VideoRecord(path: "/v/a.mp4", contentHash: "same", duration: nil, fps: nil, width: nil,
                                                       height: nil, frameCount: nil, status: .failed, failureReason: "truncated"))
        }
        XCTAssertEqual(try catalog.exclusions().map(\.target), [.video(third)])
        XCTAssertEqual(try catalog.exclusions().first?.reason, "test")
    }

    func testFailedTransactionLeavesNoRows() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        struct Interrupted: Error {}
        XCTAssertThrowsError(try catalog.transaction {
            _ = try addVideo(catalog, path: "/v/a.mp4", hash: "h", sequences: [5, 5])   // nested: a savepoint
            XCTAssertEqual(try catalog.scalar("SELECT count(*) FROM faces"), 14)
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        for table in ["videos", "shots", "tracks", "faces", "sequences"] {
            XCTAssertEqual(try catalog.scalar("SELECT count(*) FROM \(table)"), 0, table)
        }
        // A failing inner step rolls back only its savepoint; the outer work commits.
        try catalog.transaction {
            _ = try catalog.upsertIdentity(dataset: "d", name: "Kept_Person")
            XCTAssertThrowsError(try catalog.transaction {
                _ = try catalog.upsertIdentity(dataset: "d", name: "Lost_Person")
                throw Interrupted()
            })
        }
        XCTAssertEqual(try catalog.identities().map(\.name), ["Kept_Person"])
        // The connection is usable after all that.
        try addVideo(catalog, path: "/v/b.mp4", hash: "h2", sequences: [5])
        XCTAssertEqual(try catalog.videos().count, 1)
    }

    func testIdentityImportIsIdempotentAndResumable() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        let a = try catalog.upsertIdentity(dataset: "casia", name: "George_W_Bush")
        XCTAssertEqual(try catalog.upsertIdentity(dataset: "casia", name: "George_W_Bush"), a)
        XCTAssertNotEqual(try catalog.upsertIdentity(dataset: "ms1m", name: "George_W_Bush"), a)
        XCTAssertEqual(try catalog.identities(dataset: "casia").first?.normalizedName, "georgewbush")
        let batch = (0..<4).map { IdentityImageRecord(identityID: a, sourcePath: "/ids/George_W_Bush/\($0).jpg", cropPath: "crops/ids/\($0).jpg", aligned: false, score: 0.9) }
        XCTAssertEqual(try catalog.insertIdentityImages(Array(batch.prefix(2))), 2)
        // A re-run after a crash inserts only what is new.
        XCTAssertEqual(try catalog.importedImagePaths(dataset: "casia").count, 2)
        XCTAssertEqual(try catalog.insertIdentityImages(batch), 2)
        XCTAssertEqual(try catalog.insertIdentityImages(batch), 0)
        XCTAssertTrue(try catalog.hasIdentityImage(sourcePath: "/ids/George_W_Bush/3.jpg"))
        XCTAssertEqual(try catalog.identityImages(identityID: a).count, 4)
        XCTAssertEqual(catalog.trainingFile(of: batch[0]).path, dir.appendingPathComponent("crops/ids/0.jpg").path)
    }
}
