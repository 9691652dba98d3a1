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

    /// With many videos the index lists the first ones and links list pages holding all of them,
    /// so it stays small however many videos there are; every list page links valid files.
    func testManyVideosGoToListPagesAndTheIndexStaysSmall() throws {
        let count = IndexPage.indexVideoRows + IndexPage.listPageRows + 30
        let fx = try SyntheticCatalog.make(videos: count, tracksPerVideo: 1, facesPerTrack: 6, writeCrops: false, failedVideo: false)
        defer { fx.remove() }
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        XCTAssertEqual(summary.videoPages, count)
        let index = try String(contentsOf: summary.index, encoding: .utf8)
        XCTAssertEqual(HTMLInspector.count("<tr><td>", in: index.components(separatedBy: "id=\"video-table\"")[1].components(separatedBy: "</table>")[0]),
                       IndexPage.indexVideoRows)
        XCTAssertTrue(index.contains("href=\"videos/list-1.html\"") && index.contains("href=\"videos/list-2.html\""))
        var listed = 0
        for n in 1...2 {
            let page = out.appendingPathComponent("videos/list-\(n).html")
            let html = try String(contentsOf: page, encoding: .utf8)
            XCTAssertEqual(HTMLInspector.balanceProblems(html), [])
            XCTAssertEqual(try HTMLInspector.missingFiles(page: page), [], page.lastPathComponent)
            listed += HTMLInspector.count("<tr><td>", in: html)
        }
        XCTAssertEqual(listed, count, "every video is on a list page")
        // Index size is set by the 200 rows, not by the number of videos.
        let bytes = try FileManager.default.attributesOfItem(atPath: summary.index.path)[.size] as! Int
        XCTAssertLessThan(bytes, 200_000)
    }
}
