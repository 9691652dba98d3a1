import Foundation
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// `CatalogMerger`: ids renumbered, duplicates by content skipped, identities, identity images
/// and exclusions merged, crops linked, provenance recorded, idempotent.
final class MergeTests: XCTestCase {
    private func catalog(_ name: String) throws -> Catalog {
        let dir = try TestFiles.tempDirectory("seqcatalog-merge-\(name)", removedAfter: self)
        return try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
    }

    func testMergeRenumbersSkipsKnownContentCarriesExclusionsAndIsIdempotent() throws {
        let a = try catalog("a"), b = try catalog("b"), dst = try catalog("dst")
        let runA = try a.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "test"))
        try a.finishIngestRun(id: runA, status: .finished)
        try addVideo(a, path: "/data/videos/George_W_Bush_speech.mp4", hash: "h1", sequences: [6, 5])
        try addVideo(a, path: "/data/videos/clipA.mp4", hash: "h2", sequences: [7, 0, 5])
        try addIdentities(a, root: a.folder.appendingPathComponent("ids"), [("Alice_Smith", 3), ("george w bush", 2)])
        _ = try a.excludeNames(["George_W_Bush"], protocolName: "lfw", source: "pairs.txt")
        XCTAssertEqual(try a.exclusions().count, 2, "the identity and the video")
        // b: the same content as a's clipA under another path, a video of its own, an identity
        // of a (same dataset and name) with other images, and a video still being ingested.
        try addVideo(b, path: "/other/clipA-copy.mp4", hash: "h2", sequences: [5])
        try addVideo(b, path: "/data/videos/aaa_first.mp4", hash: "h3", sequences: [5, 6])
        try addIdentities(b, root: b.folder.appendingPathComponent("ids"), [("Alice_Smith", 2), ("Dan_Brown", 1)])
        let partial = try b.insertVideo(VideoRecord(path: "/data/videos/zzz.mp4", contentHash: "h4", duration: nil, fps: nil, width: nil,
                                                    height: nil, frameCount: nil, status: .partial))
        _ = partial

        let s = try CatalogMerger(into: dst).merge([a, b])
        XCTAssertEqual(s.videosAdded, 3)
        XCTAssertEqual(s.videosSkipped, 1, "b's copy of clipA")
        XCTAssertEqual(s.runsAdded, 1)
        XCTAssertEqual(s.identitiesAdded, 3, "Alice_Smith once, george w bush, Dan_Brown")
        XCTAssertEqual(s.identityImagesAdded, 3 + 2 + 2 + 1)
        XCTAssertEqual(s.exclusionsAdded, 2)
        // Videos in path order, whichever catalog they came from; the partial one is left out.
        XCTAssertEqual(try dst.videos().map(\.contentHash), ["h1", "h3", "h2"], "George… < aaa… < clipA…")
        XCTAssertEqual(try dst.videos().first { $0.contentHash == "h2" }?.path, "/data/videos/clipA.mp4")
        XCTAssertEqual(try dst.sequences().count, 6, "h3: 2, h1: 2, h2: 2 (its track without kept faces has none)")
        // The exclusions point at the destination's rows.
        let bushVideo = try XCTUnwrap(try dst.video(contentHash: "h1")?.id)
        let excluded = try dst.exclusions()
        XCTAssertTrue(excluded.contains { $0.target == .video(bushVideo) }, "\(excluded)")
        let bush = try XCTUnwrap(try dst.identities().first { $0.name == "george w bush" }?.id)
        XCTAssertTrue(excluded.contains { $0.target == .identity(bush) }, "\(excluded)")
        // Every crop is there, with the bytes of the source's crop of the same face.
        for hash in ["h1", "h2"] {
            let here = try dst.faces(videoID: try XCTUnwrap(try dst.video(contentHash: hash)?.id)).compactMap(\.cropPath)
            let there = try a.faces(videoID: try XCTUnwrap(try a.video(contentHash: hash)?.id)).compactMap(\.cropPath)
            XCTAssertEqual(here.count, there.count)
            for (h, t) in zip(here, there) {
                XCTAssertEqual(try Data(contentsOf: dst.resolve(h)), try Data(contentsOf: a.resolve(t)), h)
            }
        }
        XCTAssertEqual(try dst.mergedRuns().map(\.sourceRunID), [runA])
        XCTAssertEqual(try dst.mergedRuns().map(\.sourcePath), [a.url.path])

        let dump = try dst.contentDump()
        let again = try CatalogMerger(into: dst).merge([a, b])
        XCTAssertEqual(again.videosAdded + again.runsAdded + again.identitiesAdded + again.identityImagesAdded + again.exclusionsAdded + again.cropFiles, 0,
                       "\(again)")
        XCTAssertEqual(try dst.contentDump(), dump)
        XCTAssertEqual(try dst.ingestRuns().count, 1)

        // The destination merged into another catalog keeps the runs' first origin.
        let next = try catalog("next")
        _ = try CatalogMerger(into: next).merge([dst])
        _ = try CatalogMerger(into: next).merge([a])
        XCTAssertEqual(try next.ingestRuns().count, 1, "a's run came through dst first: the same run")
        XCTAssertEqual(try next.contentDump(), dump)
    }

    func testMergeRefusesTheDestinationAsASource() throws {
        let dst = try catalog("self")
        XCTAssertThrowsError(try CatalogMerger(into: dst).merge([try Catalog.openForReading(at: dst.url)])) { error in
            XCTAssertTrue("\(error)".contains("cannot be merged into itself"), "\(error)")
        }
    }
}
