import XCTest
@testable import SeqReport

/// The index holds counts, charts and one row per video, never per-face content, so its size
/// does not grow with the number of faces.
final class IndexSizeTests: XCTestCase {
    private func indexSize(tracksPerVideo: Int) throws -> (bytes: Int, faces: Int) {
        // 10 videos of tracks with 20 faces each: the same distributions, only more of them.
        let fx = try SyntheticCatalog.make(videos: 10, tracksPerVideo: tracksPerVideo, facesPerTrack: 20, writeCrops: false, failedVideo: false)
        defer { fx.remove() }
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: fx.folder.appendingPathComponent("report")))
        let bytes = try FileManager.default.attributesOfItem(atPath: summary.index.path)[.size] as! Int
        return (bytes, summary.faces)
    }

    func testIndexSizeDoesNotGrowWithFaces() throws {
        let small = try indexSize(tracksPerVideo: 20)
        let large = try indexSize(tracksPerVideo: 100)
        XCTAssertEqual(small.faces, 4_000)
        XCTAssertEqual(large.faces, 20_000)
        XCTAssertLessThan(large.bytes, 2_000_000)
        // Only digits of counts and tick labels may differ.
        XCTAssertLessThan(abs(large.bytes - small.bytes), 2_000, "index: \(small.bytes) bytes for 4k faces, \(large.bytes) for 20k")
    }
}
