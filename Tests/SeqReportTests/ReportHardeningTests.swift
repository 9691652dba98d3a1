import Foundation
import SeqCatalog
import SeqTestSupport
import XCTest
@testable import SeqReport

/// The report never destroys catalog data, reads read-only catalogs, and tells dead runs apart.
final class ReportHardeningTests: XCTestCase {
    private func fixture() throws -> SyntheticCatalog {
        let fx = try SyntheticCatalog.make(videos: 1, tracksPerVideo: 1, facesPerTrack: 8, failedVideo: false)
        addTeardownBlock { fx.remove() }
        return fx
    }

    func testForceNeverReplacesTheCropsFolderOrAnythingAroundTheCatalog() throws {
        let fx = try fixture()
        let crops = fx.folder.appendingPathComponent("crops")
        let before = TestFiles.files(under: crops)
        XCTAssertFalse(before.isEmpty)
        let inside = crops.appendingPathComponent(before[0].split(separator: "/")[0].description)
        for out in [crops, inside, fx.folder, fx.folder.deletingLastPathComponent()] {
            XCTAssertThrowsError(try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out, force: true)), out.path) { error in
                XCTAssertTrue("\(error)".contains("Choose another --out"), "\(error)")
            }
        }
        XCTAssertEqual(TestFiles.files(under: crops), before, "every crop is still there")
        XCTAssertTrue(FileManager.default.fileExists(atPath: fx.catalog.url.path))
    }

    func testAReadOnlyCatalogIsReportedAndADeadRunIsShownAsSuch() throws {
        let fx = try fixture()
        // A run whose process is gone (a reaped child's pid), as a killed ingest leaves it.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        _ = try fx.catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: "{}", seqcurateVersion: "t",
                                                          pid: child.processIdentifier, host: Catalog.hostName))
        let reader = try Catalog.openForReading(at: fx.catalog.url)
        defer { reader.close() }
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: reader, options: ReportOptions(outDirectory: out))
        let index = try String(contentsOf: summary.index, encoding: .utf8)
        XCTAssertTrue(index.contains("running, but its process is gone"), "the dead run is not shown as running")
    }
}
