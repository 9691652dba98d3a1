import Foundation
import SeqCatalog
import SeqIngest
import XCTest
import SeqTestSupport

final class VideoIngestorTests: XCTestCase {
    func testCarphoneGivesOneLongTrackAndOneSequence() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        let (catalog, results) = try IngestTestSupport.ingest([try TestFiles.asset("carphone_pristine.mp4")], into: dir)
        XCTAssertEqual(results[0].outcome, .ingested)
        let videos = try catalog.videos()
        XCTAssertEqual(videos.count, 1)
        XCTAssertEqual(videos[0].frameCount, 120)
        let tracks = try catalog.tracks()
        XCTAssertEqual(tracks.count, 1)
        XCTAssertGreaterThanOrEqual(tracks[0].lastFrame - tracks[0].firstFrame + 1, 110)
        let sequences = try catalog.sequences()
        XCTAssertEqual(sequences.count, 1)
        XCTAssertTrue((5...10).contains(sequences[0].faceCount), "\(sequences[0].faceCount) faces")
        let faces = try catalog.faces(trackID: tracks[0].id!)
        XCTAssertEqual(faces.count, tracks[0].faceCount)
        let kept = faces.filter(\.kept)
        XCTAssertEqual(kept.count, sequences[0].faceCount)
        // Spread over time: the kept faces cover most of the track.
        XCTAssertGreaterThan(kept.last!.frameIndex - kept.first!.frameIndex, 80)
        for f in kept {
            let path = try XCTUnwrap(f.cropPath)
            XCTAssertFalse(path.hasPrefix("/"), "crop paths are relative to the catalog")
            let crop = catalog.resolve(path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: crop.path), crop.path)
        }
        // Every face says why it was kept or dropped, and quality is recorded.
        XCTAssertTrue(faces.allSatisfy { !$0.reason.rawValue.isEmpty && $0.eyeDistance > 10 })
        XCTAssertTrue(kept.allSatisfy { ($0.sharpness ?? 0) > 0 && $0.cropHash != nil })
        // No staging left behind.
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops/.staging")), [])
    }

    func testMegamindGivesSeveralTracksThatNeverJumpOrCrossACut() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        // Detection on every 3rd frame, boxes and landmarks interpolated between: the same tracks
        // as every frame (docs/ingest.md), in a third of the time.
        var options = IngestOptions()
        options.detectEvery = 3
        let (catalog, results) = try IngestTestSupport.ingest([try TestFiles.asset("Megamind.avi")], into: dir, options: options)
        XCTAssertEqual(results[0].outcome, .ingested)
        let video = try XCTUnwrap(try catalog.videos().first)
        let tracks = try catalog.tracks()
        XCTAssertGreaterThanOrEqual(tracks.count, 3)
        let shots = try catalog.shots(videoID: video.id!)
        XCTAssertGreaterThanOrEqual(shots.count, 2)
        for t in tracks {
            XCTAssertLessThan(t.maxCenterStep, Float(video.width!) / 8, "track \(t.index) jumps \(t.maxCenterStep) px")
            let inOneShot = shots.contains { $0.firstFrame <= t.firstFrame && t.lastFrame <= $0.lastFrame }
            XCTAssertTrue(inOneShot, "track \(t.index) \(t.firstFrame)...\(t.lastFrame) crosses a cut")
        }
        XCTAssertGreaterThanOrEqual(try catalog.sequences().count, 2)
    }

    func testSameFileTwiceAddsNothingAndForceRedoesIt() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        let video = try TestFiles.asset("carphone_pristine.mp4")
        let (catalog, first) = try IngestTestSupport.ingest([video], into: dir)
        XCTAssertEqual(first[0].outcome, .ingested)
        let before = try catalog.stats()
        let crops = TestFiles.files(under: dir.appendingPathComponent("crops"))
        let second = try IngestTestSupport.ingest([video], catalog: catalog)
        XCTAssertEqual(second[0].outcome, .skipped)
        let again = try catalog.stats()
        XCTAssertEqual([again.videos, again.shots, again.tracks, again.sequences, again.faces, again.facesKept],
                       [before.videos, before.shots, before.tracks, before.sequences, before.faces, before.facesKept])
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), crops)

        var force = IngestOptions()
        force.force = true
        let third = try IngestTestSupport.ingest([video], catalog: catalog, options: force)
        XCTAssertEqual(third[0].outcome, .ingested)
        XCTAssertEqual(try catalog.videos().count, 1)
        XCTAssertEqual(try catalog.sequences().count, 1)
        // The old run's crops are gone, the new run's are in place.
        let after = TestFiles.files(under: dir.appendingPathComponent("crops"))
        XCTAssertEqual(after.count, crops.count)
        XCTAssertNotEqual(after, crops)
    }

    /// `workers` (`--threads`) only changes how many frames are detected at once: one thread
    /// and three threads over batches of 2 frames find the same faces, tracks and sequences
    /// (two fresh catalogs: the same ids and crop paths too).
    func testThreadsDoNotChangeWhatIsFound() throws {
        let video = try TestFiles.asset("carphone_pristine.mp4")
        func rows(workers: Int, batchSize: Int) throws -> ([TrackRecord], [FaceRecord], [SequenceRecord]) {
            var options = IngestOptions()
            options.workers = workers
            options.batchSize = batchSize
            let (catalog, results) = try IngestTestSupport.ingest([video], into: try TestFiles.tempDirectory("seqcurate-ingest"), options: options)
            XCTAssertEqual(results[0].outcome, .ingested)
            return (try catalog.tracks(), try catalog.faces(videoID: try XCTUnwrap(results[0].videoID)), try catalog.sequences())
        }
        let one = try rows(workers: 1, batchSize: 8)
        let three = try rows(workers: 3, batchSize: 2)
        XCTAssertEqual(one.0.count, 1)
        XCTAssertEqual(one.0, three.0)
        XCTAssertEqual(one.1, three.1)
        XCTAssertEqual(one.2, three.2)
    }

    func testBadVideosAreRecordedAsFailedAndTheRunGoesOn() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        let data = try Data(contentsOf: try TestFiles.asset("carphone_pristine.mp4"))
        let truncated = dir.appendingPathComponent("half.mp4")
        try data.prefix(data.count / 2).write(to: truncated)
        let text = dir.appendingPathComponent("notes.mp4")
        try "not a video".write(to: text, atomically: true, encoding: .utf8)
        let (catalog, results) = try IngestTestSupport.ingest(
            [truncated, text, try TestFiles.asset("carphone_pristine.mp4")], into: dir)
        guard case .failed(let reason) = results[0].outcome else { return XCTFail("truncated file not failed") }
        XCTAssertFalse(reason.isEmpty)
        guard case .failed = results[1].outcome else { return XCTFail("text file not failed") }
        XCTAssertEqual(results[2].outcome, .ingested)
        let videos = try catalog.videos()
        XCTAssertEqual(videos.filter { $0.status == .failed }.count, 2)
        XCTAssertTrue(videos.filter { $0.status == .failed }.allSatisfy { !($0.failureReason ?? "").isEmpty })
        XCTAssertEqual(try catalog.sequences().count, 1)
    }
}
