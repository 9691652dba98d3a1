import Foundation
import SeqCatalog
import SeqIngest
import SeqMedia
import XCTest
import SeqTestSupport

final class RecursiveImportTests: XCTestCase {
    /// ROOT/messi/a.jpg, ROOT/messi/x/a.jpg, ROOT/messi/y/z/b.jpg, ROOT/messi/.h/c.jpg (hidden)
    private func makeTree() throws -> URL {
        let root = try TestFiles.tempDirectory("seqcurate-rec-tree").appendingPathComponent("celebs")
        let photo = try TestFiles.asset("messi5.jpg")
        for path in ["messi/a.jpg", "messi/x/a.jpg", "messi/y/z/b.jpg", "messi/.h/c.jpg"] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: photo, to: url)
        }
        return root
    }

    private func importer(_ catalog: Catalog, recursive: Bool) throws -> IdentityImporter {
        var options = IdentityImportOptions()
        options.recursive = recursive
        return IdentityImporter(catalog: catalog, detector: try IngestTestSupport.makeDetector(),
                                cropper: FaceCropping.make(.seqface, size: 144), options: options, runID: nil)
    }

    func testWithoutRecursiveSubfolderImagesAreCountedAndSkipped() throws {
        let root = try makeTree()
        let catalog = try Catalog.open(at: root.deletingLastPathComponent().appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, recursive: false).run(root: root, quiet: true)
        XCTAssertEqual(summary.imported, 1)
        XCTAssertEqual(summary.skippedInSubfolders, 2)
        XCTAssertEqual(try catalog.identityImages().map(\.sourcePath), [root.appendingPathComponent("messi/a.jpg").path])
    }

    func testRecursiveImportsUnderTheTopFolderWithDistinctCrops() throws {
        let root = try makeTree()
        let dir = root.deletingLastPathComponent()
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, recursive: true).run(root: root, quiet: true)
        XCTAssertEqual(summary.imported, 3)
        XCTAssertEqual(summary.identities, 1)
        XCTAssertEqual(summary.skippedInSubfolders, 0)
        XCTAssertEqual(try catalog.identities(dataset: "celebs").map(\.name), ["messi"])
        XCTAssertEqual(TestFiles.files(under: dir.appendingPathComponent("crops")),
                       ["identities/celebs/messi/a.jpg", "identities/celebs/messi/x/a.jpg", "identities/celebs/messi/y/z/b.jpg"])
        // A re-run resumes by source path.
        XCTAssertEqual(try importer(catalog, recursive: true).run(root: root, quiet: true).alreadyThere, 3)
    }
}
