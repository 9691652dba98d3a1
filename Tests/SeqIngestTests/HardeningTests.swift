import Foundation
import SeqCatalog
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqIngest

/// Concurrent runs meeting a video, full disks, and identity imports that tell the truth.
final class IngestHardeningTests: XCTestCase {
    private func ingestor(_ catalog: Catalog, options: IngestOptions = IngestOptions()) throws -> (VideoIngestor, Int64) {
        let runID = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "test"))
        let ingestor = VideoIngestor(catalog: catalog, detector: try IngestTestSupport.makeDetector(),
                                     cropper: FaceCropping.make(options.align, size: options.effectiveCropSize), options: options, runID: runID)
        return (ingestor, runID)
    }

    // MARK: D2: two runs meet one video

    func testARunThatLosesTheRaceForAVideoSkipsItAndLeavesNoCrops() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let url = dir.appendingPathComponent("seqcurate.db")
        let catalog = try Catalog.open(at: url)
        let video = try TestFiles.asset("carphone_pristine.mp4")
        let (ingestor, _) = try ingestor(catalog)
        // Another process commits the same content while this one is analysing it.
        ingestor.beforeTransaction = {
            let other = try Catalog.open(at: url)
            defer { other.close() }
            _ = try other.insertVideo(VideoRecord(path: "/elsewhere/copy.mp4", contentHash: try SHA256.hex(fileAt: video),
                                                  duration: 4, fps: 30, width: 176, height: 144, frameCount: 120))
        }
        let result = try ingestor.ingest(video, quiet: true)
        XCTAssertEqual(result.outcome, .skippedConcurrent)
        XCTAssertEqual(try catalog.videos().map(\.path), ["/elsewhere/copy.mp4"], "the video is in the catalog once, the winner's")
        XCTAssertEqual(try catalog.tracks().count, 0, "nothing of the loser's work was kept")
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), [], "the loser's staged crops are gone")
    }

    // MARK: disk full

    func testFullDiskWhileStagingCropsSaysNoSpaceLeftAndLeavesNothing() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let (ingestor, _) = try ingestor(catalog)
        let saved = CropStore.writeCrop
        defer { CropStore.writeCrop = saved }
        CropStore.writeCrop = { _, url in throw SeqError("cannot write: \(IOFailure.reason(errno: ENOSPC))", file: url.path) }
        XCTAssertThrowsError(try ingestor.ingest(try TestFiles.asset("carphone_pristine.mp4"), quiet: true)) { error in
            XCTAssertTrue("\(error)".contains("no space left on the device"), "\(error)")
            XCTAssertTrue((error as? SeqError)?.file?.contains("/crops/.staging/") == true, "names the crop: \(error)")
        }
        XCTAssertEqual(try catalog.videos().count, 0, "a full disk is not the video's fault: no failed row")
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), [])
    }

    func testFullTmpfsWhileStagingCropsSaysNoSpaceLeft() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        guard getuid() == 0 else { throw XCTSkip("mounting a small tmpfs needs root") }
        let mount = dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        guard TestCLI.sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.path) else { throw XCTSkip("tmpfs mounts are not allowed here") }
        addTeardownBlock { _ = TestCLI.sh("umount", mount.path) }
        let catalog = try Catalog.open(at: mount.appendingPathComponent("seqcurate.db"))
        let (ingestor, runID) = try ingestor(catalog)
        // Leave 40 KB: room for the catalog's few pages, not for the ~130 KB of crops.
        var fs = statvfs()
        XCTAssertEqual(statvfs(mount.path, &fs), 0)
        let free = Int(fs.f_bavail) * Int(fs.f_bsize)
        let filler = mount.appendingPathComponent("filler")
        try Data(count: max(0, free - 40_000)).write(to: filler)
        XCTAssertThrowsError(try ingestor.ingest(try TestFiles.asset("carphone_pristine.mp4"), quiet: true)) { error in
            XCTAssertTrue("\(error)".hasSuffix("no space left on the device"), "\(error)")
            XCTAssertTrue("\(error)".contains("/crops/"), "names the crop: \(error)")
        }
        XCTAssertEqual(TestFiles.files(under: mount.appendingPathComponent("crops")), [], "staging removed")
        // With room again, the same run goes on.
        try FileManager.default.removeItem(at: filler)
        XCTAssertEqual(try ingestor.ingest(try TestFiles.asset("carphone_pristine.mp4"), quiet: true).outcome, .ingested)
        try catalog.finishIngestRun(id: runID, status: .finished)
        catalog.close()
    }

    // MARK: identity imports

    /// ROOT/<name>/<file> for each entry, each a copy of the sample photo.
    private func makeTree(_ entries: [(String, String)]) throws -> URL {
        let root = try TestFiles.tempDirectory("seqcurate-ids", removedAfter: self).appendingPathComponent("celebs")
        let photo = try TestFiles.asset("messi5.jpg")
        for (folder, file) in entries {
            let dir = root.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: photo, to: dir.appendingPathComponent(file))
        }
        return root
    }

    private func importer(_ catalog: Catalog, name: String?, aligned: Bool = false) throws -> IdentityImporter {
        var options = IdentityImportOptions()
        options.dataset = name
        options.aligned = aligned
        return IdentityImporter(catalog: catalog, detector: aligned ? nil : try IngestTestSupport.makeDetector(),
                                cropper: aligned ? nil : FaceCropping.make(.seqface, size: 144), options: options, runID: nil)
    }

    func testReimportUnderASecondNameAddsNothingSaysWhereAndLeavesNoOrphanCrop() throws {
        let root = try makeTree([("messi", "a.jpg")])
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let first = try importer(catalog, name: "first").run(root: root, quiet: true)
        XCTAssertEqual(first.imported, 1)

        let second = try importer(catalog, name: "second").run(root: root, quiet: true)
        XCTAssertEqual(second.imported, 0)
        XCTAssertEqual(second.inOtherDatasets, ["first": 1])
        XCTAssertEqual(second.identities, 0)
        XCTAssertEqual(try catalog.identities(dataset: "second").count, 0, "no empty identity is left under the second name")
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), ["identities/first/messi/a.jpg"])
        XCTAssertEqual(try catalog.identityImages().count, 1)
    }

    func testHiddenFoldersAreReportedByName() throws {
        let root = try makeTree([("messi", "a.jpg"), (".hidden", "b.jpg"), ("...", "c.jpg")])
        let tree = try IdentityImporter.scanTree(root)
        XCTAssertEqual(tree.identities.map(\.identity), ["messi"])
        XCTAssertEqual(tree.hiddenFolders, ["...", ".hidden"])
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        XCTAssertEqual(try importer(catalog, name: nil, aligned: true).run(root: root, quiet: true).hiddenFolders, ["...", ".hidden"])
    }

    func testLineBreaksInNamesAreRefusedAtImportAndExportsStillWork() throws {
        let root = try makeTree([("messi", "a.jpg"), ("messi", "bad\nname.jpg"), ("messi", "tab\tname.jpg")])
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, name: nil, aligned: true).run(root: root, quiet: true)
        XCTAssertEqual(summary.imported, 2)
        XCTAssertEqual(summary.failed, [IdentityImporter.lineBreakReason: 1])
        XCTAssertEqual(summary.refusedNames, [PrintableName.escaped(root.appendingPathComponent("messi/bad\nname.jpg").path)])
        XCTAssertTrue(summary.refusedNames[0].hasSuffix("messi/bad\\nname.jpg"))
        let failed = try catalog.identityImages().filter { $0.status == .failed }
        XCTAssertEqual(failed.map(\.reason), [IdentityImporter.lineBreakReason])

        // Later exports are not blocked; the tab survives in the list (split at the last space).
        let out = dir.appendingPathComponent("lists")
        let result = try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))
        XCTAssertEqual(result.identityImages, 2)
        let list = try String(contentsOf: out.appendingPathComponent(TrainingListExporter.identityListName), encoding: .utf8)
        XCTAssertEqual(list.split(separator: "\n").count, 2)
        XCTAssertTrue(list.contains("tab\tname.jpg 0"))

        // A re-run records nothing twice.
        let again = try importer(catalog, name: nil, aligned: true).run(root: root, quiet: true)
        XCTAssertEqual(again.imported, 0)
        XCTAssertEqual(again.failed, [:])
    }

    func testFullDiskStopsAnImportWithoutRecordingFailuresOrLeavingCrops() throws {
        let root = try makeTree([("messi", "a.jpg"), ("messi", "b.jpg")])
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let saved = CropStore.writeCrop
        defer { CropStore.writeCrop = saved }
        // The first crop is written, the second finds the disk full.
        let count = Counter()
        CropStore.writeCrop = { data, url in
            if count.next() > 1 { throw SeqError("cannot write: \(IOFailure.reason(errno: ENOSPC))", file: url.path) }
            try saved(data, url)
        }
        XCTAssertThrowsError(try importer(catalog, name: nil).run(root: root, quiet: true)) {
            XCTAssertTrue("\($0)".contains("no space left on the device"), "\($0)")
        }
        XCTAssertEqual(try catalog.identityImages().count, 0, "nothing recorded as failed: a re-run must retry them")
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")), [], "no orphan crop")
        CropStore.writeCrop = saved
        XCTAssertEqual(try importer(catalog, name: nil).run(root: root, quiet: true).imported, 2)
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; n += 1; return n }
}
