import Foundation
import SeqCatalog
import SeqCore
import Glibc
import SeqIngest
import SeqTestSupport
import XCTest

/// Re-runs do not read unchanged files (`file_memory`), inputs from lists, and shards.
final class RerunMemoryTests: XCTestCase {
    /// A clip of the sample's first 2 frames (about 4 KB), cut by the ffmpeg CLI: 10,000 copies
    /// are hashed in a few seconds even by a debug build.
    private func tinyClip(in dir: URL) throws -> URL {
        let out = dir.appendingPathComponent("tiny.mp4")
        let p = Process()
        p.executableURL = try TestMedia.ffmpeg()
        p.arguments = ["-v", "error", "-i", try TestFiles.asset("carphone_pristine.mp4").path, "-frames:v", "2", "-an",
                       "-c:v", "mpeg4", "-q:v", "10", "-y", out.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return out
    }

    /// 10,000 inputs (hard links of one clip): the second run reads none of them; a file that
    /// changed is read again, and only that one.
    func testRerunOverTenThousandFilesReadsNone() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rerun", removedAfter: self)
        let clip = try tinyClip(in: dir)
        let inputs = dir.appendingPathComponent("inputs")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        let files = (0..<10_000).map { inputs.appendingPathComponent(String(format: "v%05d.mp4", $0)) }
        for f in files { XCTAssertEqual(link(clip.path, f.path), 0) }

        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let first = try IngestTestSupport.ingest(files, catalog: catalog)
        XCTAssertEqual(first.filter(\.readToHash).count, 10_000)
        XCTAssertEqual(first.filter { $0.outcome == .ingested }.count, 1)
        XCTAssertEqual(try catalog.rememberedFileCount(), 10_000)

        let second = try IngestTestSupport.ingest(files, catalog: catalog)
        XCTAssertEqual(second.filter(\.readToHash).count, 0, "an unchanged file is not read again")
        XCTAssertEqual(second.filter { $0.outcome == .skipped }.count, 10_000)

        // One input replaced by a copy (another inode: another modification time): read again.
        let changed = files[1234]
        try FileManager.default.removeItem(at: changed)
        try FileManager.default.copyItem(at: clip, to: changed)
        var st = stat()
        XCTAssertEqual(stat(changed.path, &st), 0)
        var times = [timespec(tv_sec: st.st_mtim.tv_sec + 60, tv_nsec: 0), timespec(tv_sec: st.st_mtim.tv_sec + 60, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, changed.path, &times, 0), 0)
        let third = try IngestTestSupport.ingest(files, catalog: catalog)
        XCTAssertEqual(third.enumerated().filter { $0.element.readToHash }.map(\.offset), [1234])
        XCTAssertEqual(third.filter { $0.outcome == .skipped }.count, 10_000)
    }

    func testListLinesCommentsAndErrors() throws {
        let urls = try VideoInputList.parse("# head\n\n/data/a.mp4\n  rel/b.mp4  \nhttps://example.org/c.mp4\n   # indented comment\n", source: "l.txt")
        XCTAssertEqual(urls.map(\.isFileURL), [true, true, false])
        XCTAssertEqual(urls[0].path, "/data/a.mp4")
        XCTAssertTrue(urls[1].path.hasSuffix("/rel/b.mp4"))
        XCTAssertEqual(urls[2].absoluteString, "https://example.org/c.mp4")
        for (text, line) in [("/a.mp4\nftp://x/y.mp4\n", 2), ("\n\n\nrtmp://x/y\n", 4), ("http:///nohost.mp4", 1)] {
            XCTAssertThrowsError(try VideoInputList.parse(text, source: "l.txt")) { error in
                let e = error as? SeqError
                XCTAssertEqual(e?.file, "l.txt:\(line)", "\(text)")
                XCTAssertFalse(e?.description.contains("\n") ?? true)
            }
        }
        XCTAssertThrowsError(try VideoInputList.read("/nonexistent/list.txt")) { error in
            XCTAssertEqual((error as? SeqError)?.file, "/nonexistent/list.txt")
        }
    }

    func testShardsPartitionStablyAndRejectBadSpecs() throws {
        for bad in ["", "1", "2/2", "-1/3", "0/0", "a/2", "1/2/3", " 1/2"] { XCTAssertNil(InputShard(bad), bad) }
        let shards = (0..<4).map { InputShard("\($0)/4")! }
        let names = (0..<400).map { URL(fileURLWithPath: "/data/videos/v\($0).mp4") }
        var seen = 0
        for s in shards {
            let mine = names.filter(s.contains)
            XCTAssertGreaterThan(mine.count, 50, "a fair share for \(s)")
            seen += mine.count
        }
        XCTAssertEqual(seen, names.count, "each input in exactly one shard")
        // The hash is fixed (first 8 bytes of the SHA-256 of the name, big-endian, mod N), so
        // every machine agrees; these values come from Python's hashlib.
        XCTAssertEqual(InputShard.shard(of: "/data/videos/v0.mp4", count: 7), 5)
        XCTAssertEqual(InputShard.shard(of: "/data/videos/v1.mp4", count: 4), 0)
        XCTAssertTrue(InputShard("1/4")!.contains(URL(string: "https://example.org/c.mp4")!))
    }

    /// A partial video claimed by a live run is skipped; once that run is gone it is resumed.
    func testPartialVideoOfALiveRunIsSkippedAndResumedOnceItIsGone() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-partial", removedAfter: self)
        let clip = try tinyClip(in: dir)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        // A run of this (live) process holds the video as partial, with no shot committed yet.
        let live = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "test"))
        let id = try catalog.insertVideo(VideoRecord(path: clip.path, contentHash: try SHA256.hex(fileAt: clip), duration: nil, fps: nil,
                                                     width: nil, height: nil, frameCount: nil, status: .partial, ingestRunID: live))
        try catalog.markPartial(videoID: id, runID: live)
        let skipped = try IngestTestSupport.ingest([clip], catalog: catalog)
        XCTAssertEqual(skipped.map(\.outcome), [.skippedConcurrent])
        XCTAssertEqual(try catalog.video(id: id)?.status, .partial)
        // That run ends without finishing the video: the next run takes it over.
        try catalog.markRunInterrupted(id: live)
        let resumed = try IngestTestSupport.ingest([clip], catalog: catalog)
        XCTAssertEqual(resumed.map(\.outcome), [.ingested])
        XCTAssertEqual(try catalog.video(id: id)?.status, .ok)
        XCTAssertEqual(try catalog.shots(videoID: id).count, 1)
    }

    /// A shot longer than `maxShotSeconds` is ended there: the boundary is part of the analysis.
    func testLongShotsEndAtTheCommitInterval() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-longshot", removedAfter: self)
        var options = IngestOptions()
        options.maxShotSeconds = 1
        options.workers = 1
        options.skipNonReferenceFrames = false  // every frame decoded: each boundary lands on its frame
        let (catalog, results) = try IngestTestSupport.ingest([try TestFiles.asset("carphone_pristine.mp4")], into: dir, options: options)
        XCTAssertEqual(results.map(\.outcome), [.ingested])
        let shots = try catalog.shots(videoID: results[0].videoID!)
        XCTAssertEqual(shots.map(\.firstFrame), [0, 30, 60, 90], "a shot every 30 frames (1 s at 29.97 fps)")
        XCTAssertTrue(try catalog.tracks().allSatisfy { t in shots.contains { $0.firstFrame <= t.firstFrame && t.lastFrame <= $0.lastFrame } },
                      "no track crosses a boundary")
    }
}
