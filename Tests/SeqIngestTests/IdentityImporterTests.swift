import Foundation
import SeqCatalog
import SeqIngest
import SeqMedia
import XCTest
import SeqTestSupport

final class IdentityImporterTests: XCTestCase {
    /// ROOT/messi/{a.jpg (real photo), b.png (same photo), broken.jpg}, ROOT/blank/plain.png (no face), ROOT/empty/
    private func makeTree() throws -> URL {
        let root = try TestFiles.tempDirectory("seqcurate-ingest").appendingPathComponent("celebs")
        let fm = FileManager.default
        for d in ["messi", "blank", "empty"] { try fm.createDirectory(at: root.appendingPathComponent(d), withIntermediateDirectories: true) }
        let photo = try TestFiles.asset("messi5.jpg")
        try fm.copyItem(at: photo, to: root.appendingPathComponent("messi/a.jpg"))
        try ImageIO.writePNG(try ImageIO.read(photo), to: root.appendingPathComponent("messi/b.png"))
        try "not an image".write(to: root.appendingPathComponent("messi/broken.jpg"), atomically: true, encoding: .utf8)
        var plain = Image(width: 200, height: 150)
        for i in 0..<plain.pixels.count { plain.pixels[i] = UInt8(i % 200) }
        try ImageIO.writePNG(plain, to: root.appendingPathComponent("blank/plain.png"))
        return root
    }

    private func importer(_ catalog: Catalog, aligned: Bool = false, batch: Int = 64) throws -> IdentityImporter {
        var options = IdentityImportOptions()
        options.aligned = aligned
        options.batchSize = batch
        return IdentityImporter(catalog: catalog, detector: aligned ? nil : try IngestTestSupport.makeDetector(),
                                cropper: aligned ? nil : FaceCropping.make(.seqface, size: 144), options: options, runID: nil)
    }

    func testImportsDetectsAlignsAndRecordsFailures() throws {
        let root = try makeTree()
        let catalog = try Catalog.open(at: root.deletingLastPathComponent().appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, batch: 2).run(root: root, quiet: true)
        XCTAssertEqual(summary.identities, 2)
        XCTAssertEqual(summary.imported, 2)
        XCTAssertEqual(summary.failed, ["unreadable": 1, "no_face": 1])
        XCTAssertEqual(summary.emptyIdentities, ["empty"])
        let images = try catalog.identityImages()
        XCTAssertEqual(images.count, 4)
        for m in images where m.status == .ok {
            let crop = catalog.resolve(try XCTUnwrap(m.cropPath))
            let img = try ImageIO.read(crop)
            XCTAssertEqual([img.width, img.height], [144, 144])
            XCTAssertGreaterThan(m.score ?? 0, 0.9)
        }
        XCTAssertEqual(try catalog.identities(dataset: "celebs").map(\.name), ["blank", "messi"])

        // A re-run adds nothing and reports what was already there.
        let again = try importer(catalog).run(root: root, quiet: true)
        XCTAssertEqual(again.imported, 0)
        XCTAssertEqual(again.alreadyThere, 4)
        XCTAssertEqual(try catalog.identityImages().count, 4)
    }

    func testAlignedImportUsesImagesAsTheyAre() throws {
        let root = try makeTree()
        let catalog = try Catalog.open(at: root.deletingLastPathComponent().appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, aligned: true).run(root: root, quiet: true)
        XCTAssertEqual(summary.imported, 3)
        XCTAssertEqual(summary.failed, ["unreadable": 1])
        XCTAssertTrue(try catalog.identityImages().filter { $0.status == .ok }.allSatisfy { $0.cropPath == nil && $0.aligned })
    }

    func testMissingOrEmptyRootIsAClearError() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-ingest")
        XCTAssertThrowsError(try IdentityImporter.scan(dir.appendingPathComponent("nope"))) { XCTAssertTrue("\($0)".contains("no such folder")) }
        XCTAssertThrowsError(try IdentityImporter.scan(dir)) { XCTAssertTrue("\($0)".contains("no identity folders")) }
    }
}
