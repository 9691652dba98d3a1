import Foundation
import SeqCatalog
import SeqCore
import SeqTestSupport
import XCTest

/// `ingest --list` (files and http URLs), `--shard`, `merge`, and concurrent ingests with lists.
final class ScaleTests: XCTestCase {
    /// Cuts of the sample video by the ffmpeg CLI: `count` clips of about 1.3 s (40 frames),
    /// re-encoded, so each has content of its own.
    private func clips(_ count: Int, in dir: URL) throws -> [URL] {
        let source = try TestFiles.asset("carphone_pristine.mp4")
        let folder = dir.appendingPathComponent("videos")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try (0..<count).map { i in
            let out = folder.appendingPathComponent("clip\(i).mp4")
            let p = Process()
            p.executableURL = try TestMedia.ffmpeg()
            p.arguments = ["-v", "error", "-ss", String(format: "%.2f", Double(i) * 1.34), "-t", "1.3", "-i", source.path,
                           "-an", "-c:v", "mpeg4", "-q:v", "2", "-y", out.path]
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, "ffmpeg could not cut clip \(i)")
            return out
        }
    }

    private func ingest(_ args: [String], _ dir: URL, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try TestCLI.run(["ingest", "--quiet", "--threads", "1"] + args, in: dir)
        XCTAssertTrue(r.succeeded, r.all, file: file, line: line)
        return r
    }

    func testListReadsPathsAndCommentsAndNamesTheBadLine() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-list", removedAfter: self)
        let videos = try clips(1, in: dir)
        let list = dir.appendingPathComponent("videos.txt")
        try "# my videos\n\n  \(videos[0].path)  \n".write(to: list, atomically: true, encoding: .utf8)
        let r = try ingest(["--list", list.path, "--catalog", "a.db"], dir)
        XCTAssertTrue(r.out.hasPrefix("ingested 1, skipped 0, failed 0 of 1 videos"), r.out)
        XCTAssertTrue(r.out.contains("read 1 files to hash them"), r.out)
        // A re-run reads nothing: the catalog remembers the file's size and time.
        let again = try ingest(["--list", list.path, "--catalog", "a.db"], dir)
        XCTAssertTrue(again.out.contains("skipped 1") && again.out.contains("read 0 files to hash them"), again.out)

        try "\(videos[0].path)\nftp://example.org/a.mp4\n".write(to: list, atomically: true, encoding: .utf8)
        let bad = try TestCLI.run(["ingest", "--list", list.path, "--catalog", "a.db"], in: dir)
        XCTAssertTrue(bad.exited && bad.status != 0, bad.all)
        let message = bad.err.split(separator: "\n").filter { !$0.isEmpty }
        XCTAssertEqual(message.count, 1, bad.err)
        XCTAssertTrue(bad.err.contains("\(list.path):2:"), bad.err)

        // Standard input.
        let p = Process()
        p.executableURL = try TestFiles.executable()
        p.arguments = ["ingest", "--quiet", "--list", "-", "--catalog", "a.db"]
        p.currentDirectoryURL = dir
        let input = Pipe(), out = Pipe()
        p.standardInput = input
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let o = PipeReader(out.fileHandleForReading)
        input.fileHandleForWriting.write(Data("# from stdin\n\(videos[0].path)\n".utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(o.text().hasPrefix("ingested 0, skipped 1, failed 0 of 1 videos"), o.text())
    }

    func testURLInputIsReadThroughFFmpegFromALoopbackServer() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-url", removedAfter: self)
        let video = try clips(1, in: dir)[0]
        let bytes = try Data(contentsOf: video)
        let server = try LoopbackHTTPServer(files: ["/clip0.mp4": bytes])
        defer { server.stop() }
        let list = dir.appendingPathComponent("urls.txt")
        try "\(server.url("/clip0.mp4").absoluteString)\n".write(to: list, atomically: true, encoding: .utf8)
        let r = try ingest(["--list", list.path, "--catalog", "u.db"], dir)
        XCTAssertTrue(r.out.hasPrefix("ingested 1, skipped 0, failed 0 of 1 videos"), r.all)
        let catalog = try Catalog.openForReading(at: dir.appendingPathComponent("u.db"))
        let v = try XCTUnwrap(try catalog.videos().first)
        XCTAssertEqual(v.path, server.url("/clip0.mp4").absoluteString)
        XCTAssertEqual(v.status, .ok)
        // The content hash of a URL is the hash of its bytes: the local file is the same video.
        XCTAssertEqual(v.contentHash, SHA256.hex(bytes))
        let local = try ingest([video.path, "--catalog", "u.db"], dir)
        XCTAssertTrue(local.out.hasPrefix("ingested 0, skipped 1"), local.out)
        XCTAssertFalse(server.requests.isEmpty)

        // A URL that is not there fails that input, with its address.
        try "\(server.url("/missing.mp4").absoluteString)\n".write(to: list, atomically: true, encoding: .utf8)
        let missing = try TestCLI.run(["ingest", "--quiet", "--list", list.path, "--catalog", "u.db"], in: dir)
        XCTAssertTrue(missing.exited && missing.status != 0, missing.all)
        XCTAssertTrue(missing.err.contains(server.url("/missing.mp4").absoluteString), missing.err)
    }

    func testShardsSplitTheInputsAndRejectBadSpecs() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-shard", removedAfter: self)
        for bad in ["2/2", "-1/2", "1", "a/b", "0/0", "1/2/3"] {
            let r = try TestCLI.run(["ingest", "x.mp4", "--shard", bad, "--catalog", "s.db"], in: dir)
            XCTAssertTrue(r.exited && r.status != 0 && r.err.contains("--shard"), "\(bad): \(r.all)")
        }
    }

    /// Two shards of three clips merged give the catalog content, and the export lists, of one
    /// run over the three; merging again changes nothing.
    func testShardsMergedEqualOneRun() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-merge", removedAfter: self)
        let videos = try clips(3, in: dir)
        let folder = videos[0].deletingLastPathComponent().path
        for sub in ["all", "s0", "s1", "merged"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        _ = try ingest([folder, "--catalog", "all/seqcurate.db"], dir)
        var counts: [Int] = []
        for k in 0..<2 {
            let r = try ingest([folder, "--catalog", "s\(k)/seqcurate.db", "--shard", "\(k)/2"], dir)
            counts.append(Int(r.out.split(separator: " ")[1].dropLast()) ?? -1)
        }
        XCTAssertEqual(counts.reduce(0, +), 3, "the shards share the three clips out: \(counts)")
        let merge = try TestCLI.run(["merge", "s0/seqcurate.db", "s1/seqcurate.db", "--into", "merged/seqcurate.db"], in: dir)
        XCTAssertTrue(merge.succeeded, merge.all)
        XCTAssertTrue(merge.out.contains("3 videos added, 0 already there"), merge.out)

        let one = try Catalog.openForReading(at: dir.appendingPathComponent("all/seqcurate.db"))
        let merged = try Catalog.openForReading(at: dir.appendingPathComponent("merged/seqcurate.db"))
        let dump = try one.contentDump()
        XCTAssertGreaterThan(try one.sequences().count, 0, "the clips should give sequences")
        XCTAssertEqual(try merged.contentDump(), dump)
        XCTAssertEqual(try merged.mergedRuns().map(\.sourceRunID), [1, 1])
        for name in ["all", "merged"] {
            let e = try TestCLI.run(["export", "--catalog", "\(name)/seqcurate.db", "--out", "export-\(name)"], in: dir)
            XCTAssertTrue(e.succeeded, e.all)
        }
        let files = TestFiles.files(under: dir.appendingPathComponent("export-all")).filter { $0.hasSuffix(".txt") }
        XCTAssertFalse(files.isEmpty)
        for f in files {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("export-merged/\(f)")),
                           try Data(contentsOf: dir.appendingPathComponent("export-all/\(f)")), f)
        }
        // Every crop of the merged catalog is there.
        for q in try merged.sequences() {
            for face in try merged.sequenceFaces(sequenceID: q.id!) {
                XCTAssertTrue(FileManager.default.fileExists(atPath: merged.resolve(face.cropPath!).path), face.cropPath!)
            }
        }
        // Idempotent.
        let again = try TestCLI.run(["merge", "s0/seqcurate.db", "s1/seqcurate.db", "--into", "merged/seqcurate.db"], in: dir)
        XCTAssertTrue(again.succeeded, again.all)
        XCTAssertTrue(again.out.contains("0 videos added, 3 already there; 0 runs"), again.out)
        XCTAssertEqual(try merged.contentDump(), dump)
        XCTAssertEqual(try merged.ingestRuns().count, 2)
        // A later ingest's crop recovery keeps the merged crops.
        _ = try ingest([folder, "--catalog", "merged/seqcurate.db"], dir)
        for q in try merged.sequences() {
            for face in try merged.sequenceFaces(sequenceID: q.id!) {
                XCTAssertTrue(FileManager.default.fileExists(atPath: merged.resolve(face.cropPath!).path), face.cropPath!)
            }
        }
    }

    /// Four processes with overlapping lists on one catalog, committing shot by shot (a shot
    /// every half second): each video once, no SQL error.
    func testFourConcurrentIngestsWithOverlappingLists() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-four", removedAfter: self)
        let videos = try clips(3, in: dir)
        var procs: [(Process, PipeReader, PipeReader)] = []
        for k in 0..<4 {
            let list = dir.appendingPathComponent("list\(k).txt")
            // Each list starts at another clip and holds two or three of them.
            let mine = (0..<(2 + k % 2)).map { videos[(k + $0) % videos.count].path }
            try mine.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
            let (p, out, err) = try TestCLI.launch(["ingest", "--quiet", "--threads", "1", "--max-shot-seconds", "0.5",
                                                    "--list", list.path, "--catalog", "c.db"], in: dir)
            procs.append((p, PipeReader(out.fileHandleForReading), PipeReader(err.fileHandleForReading)))
        }
        for (p, out, err) in procs {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, out.text() + err.text())
            XCTAssertFalse(err.text().lowercased().contains("constraint"), err.text())
            XCTAssertFalse(err.text().contains("SQL"), err.text())
        }
        let catalog = try Catalog.openForReading(at: dir.appendingPathComponent("c.db"))
        let rows = try catalog.videos()
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(Set(rows.map(\.contentHash)).count, 3)
        XCTAssertTrue(rows.allSatisfy { $0.status == .ok })
        XCTAssertEqual(Set(try catalog.sequences().map(\.trackID)).count, try catalog.sequences().count)
    }

    // MARK: shot by shot

    /// A run SIGKILLed right after its second shot commit leaves the video `partial`; the next
    /// run resumes after the last committed shot, and the catalog (and export) equal those of
    /// a run that was never stopped. `--max-shot-seconds 1` ends the sample's one long shot
    /// every second, the boundary an uninterrupted run applies too.
    func testKilledRunResumesAfterTheLastCommittedShot() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-resume", removedAfter: self)
        let video = try TestFiles.asset("carphone_pristine.mp4")
        for sub in ["whole", "killed"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let options = ["--max-shot-seconds", "1", "--quiet", "--threads", "1"]
        let whole = try TestCLI.run(["ingest", video.path, "--catalog", "whole/seqcurate.db"] + options, in: dir)
        XCTAssertTrue(whole.succeeded, whole.all)
        let reference = try Catalog.openForReading(at: dir.appendingPathComponent("whole/seqcurate.db"))
        let shots = try reference.shots(videoID: try XCTUnwrap(try reference.videos().first?.id))
        XCTAssertGreaterThanOrEqual(shots.count, 4, "a shot ends every second of the 4 s sample")

        var env = ProcessInfo.processInfo.environment
        env["SEQCURATE_TEST_HOOK_SIGKILL_AFTER_COMMIT"] = "2"
        let killed = try TestCLI.run(["ingest", video.path, "--catalog", "killed/seqcurate.db"] + options, in: dir, environment: env)
        XCTAssertEqual(killed.reason, .uncaughtSignal, killed.all)
        XCTAssertEqual(killed.status, SIGKILL)
        do {
            let partial = try Catalog.openForReading(at: dir.appendingPathComponent("killed/seqcurate.db"))
            let v = try XCTUnwrap(try partial.videos().first)
            XCTAssertEqual(v.status, .partial)
            XCTAssertEqual(try partial.shots(videoID: v.id!).count, 2, "two shots committed before the kill")
            partial.close()
        }
        let resumed = try TestCLI.run(["ingest", video.path, "--catalog", "killed/seqcurate.db"] + options, in: dir)
        XCTAssertTrue(resumed.succeeded, resumed.all)
        XCTAssertTrue(resumed.out.hasPrefix("ingested 1,"), resumed.out)

        let catalog = try Catalog.openForReading(at: dir.appendingPathComponent("killed/seqcurate.db"))
        XCTAssertEqual(try catalog.contentDump(), try reference.contentDump())
        XCTAssertEqual(try catalog.ingestRuns().map(\.status), [.interrupted, .finished])
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("killed/crops/.staging")), [], "no staging left")
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("killed/crops")),
                       TestFiles.files(under: dir.appendingPathComponent("whole/crops")), "the same crop files")
        for name in ["whole", "killed"] {
            let e = try TestCLI.run(["export", "--catalog", "\(name)/seqcurate.db", "--out", "export-\(name)"], in: dir)
            XCTAssertTrue(e.succeeded, e.all)
        }
        for f in TestFiles.files(under: dir.appendingPathComponent("export-whole")) where f.hasSuffix(".txt") {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("export-killed/\(f)")),
                           try Data(contentsOf: dir.appendingPathComponent("export-whole/\(f)")), f)
        }
    }
}
