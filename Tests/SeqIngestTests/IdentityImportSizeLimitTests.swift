import Foundation
import SeqCatalog
import SeqIngest
import SeqMedia
import SeqTestSupport
import XCTest

final class IdentityImportSizeLimitTests: XCTestCase {
    /// An image whose header claims more than the pixel limit is recorded as `too_large` and the
    /// import goes on, instead of the reader allocating gigabytes and the run dying.
    func testImagesOverThePixelLimitAreRecordedAndSkipped() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest", removedAfter: self)
        let root = dir.appendingPathComponent("people")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("messi"), withIntermediateDirectories: true)
        var jpeg = try Data(contentsOf: try TestFiles.asset("messi5.jpg"))
        try jpeg.write(to: root.appendingPathComponent("messi/a_good.jpg"))
        var i = 2
        while jpeg[i + 1] != 0xC0 && jpeg[i + 1] != 0xC2 { i += 2 + (Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])) }
        jpeg.replaceSubrange((i + 5)..<(i + 9), with: [0xEA, 0x60, 0xEA, 0x60])  // 60000x60000
        try jpeg.write(to: root.appendingPathComponent("messi/b_huge.jpg"))
        try "not an image".write(to: root.appendingPathComponent("messi/c_text.jpg"), atomically: true, encoding: .utf8)

        var options = IdentityImportOptions()
        options.aligned = true
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let summary = try IdentityImporter(catalog: catalog, detector: nil, cropper: nil, options: options, runID: nil)
            .run(root: root, quiet: true)
        XCTAssertEqual(summary.imported, 1)
        XCTAssertEqual(summary.failed, ["too_large": 1, "unreadable": 1])
        let huge = try XCTUnwrap(try catalog.identityImages().first { $0.sourcePath.hasSuffix("b_huge.jpg") })
        XCTAssertEqual(huge.status, .failed)
        XCTAssertEqual(huge.reason, "too_large")

        // The limit is an option.
        options.maxPixels = 548 * 342 - 1
        let strict = try Catalog.open(at: dir.appendingPathComponent("strict.db"))
        let low = try IdentityImporter(catalog: strict, detector: nil, cropper: nil, options: options, runID: nil).run(root: root, quiet: true)
        XCTAssertEqual(low.failed, ["too_large": 2, "unreadable": 1])
    }
}
