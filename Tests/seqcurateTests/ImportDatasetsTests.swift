import Foundation
import XCTest
import SeqTestSupport

/// `seqcurate import-identities` on the formats researchers have: insightface RecordIO packs.
final class ImportDatasetsTests: XCTestCase {
    private func makePack(in dir: URL) throws -> URL {
        let jpeg = try Data(contentsOf: try TestFiles.asset("messi5.jpg"))
        let w = RecordIOTestWriter.insightface([(0, jpeg), (0, jpeg), (1, jpeg), (1, Data("broken".utf8))])
        return try w.write(to: dir.appendingPathComponent("faces_tiny"), property: "2,112,112\n")
    }

    func testImportsRecordIOPackAndResumes() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli-rec")
        let rec = try makePack(in: dir)
        let db = dir.appendingPathComponent("seqcurate.db").path
        let r = try TestCLI.run(["import-identities", rec.path, "--catalog", db, "--quiet"])
        XCTAssertTrue(r.succeeded, r.err)
        XCTAssertTrue(r.out.contains("imported 3 new images of 2 identities into dataset faces_tiny; failed: unreadable 1"), r.out)

        let again = try TestCLI.run(["import-identities", rec.path, "--catalog", db, "--quiet"])
        XCTAssertTrue(again.succeeded, again.err)
        XCTAssertTrue(again.out.contains("imported 0 new images") && again.out.contains("4 already in the catalog"), again.out)
    }

    func testCorruptRecordIsOneLineNamingFileAndRecord() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli-rec")
        let rec = try makePack(in: dir)
        var bytes = try Data(contentsOf: rec)
        bytes = bytes.prefix(bytes.count - 40)
        // Cut inside the last image record (records after the images are identity ranges).
        let index = try String(contentsOf: rec.deletingPathExtension().appendingPathExtension("idx"), encoding: .utf8)
        let offsets = index.split(separator: "\n").map { $0.split(separator: "\t") }.map { (Int($0[0])!, Int($0[1])!) }
        let cut = offsets.first { $0.0 == 4 }!.1 + 12
        try bytes.prefix(cut).write(to: rec)
        let r = try TestCLI.run(["import-identities", rec.path, "--catalog", dir.appendingPathComponent("seqcurate.db").path, "--quiet"])
        XCTAssertFalse(r.succeeded)
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.err)
        XCTAssertTrue(r.err.contains("\(rec.path): record 4 is truncated"), r.err)
    }

    func testMissingPackIsAPlainError() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli-rec")
        let r = try TestCLI.run(["import-identities", dir.appendingPathComponent("none/train.rec").path,
                                 "--catalog", dir.appendingPathComponent("seqcurate.db").path])
        XCTAssertFalse(r.succeeded)
        XCTAssertTrue(r.err.contains("train.rec: no such file"), r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("seqcurate.db").path))
    }
}

/// `--recursive`: nested folders under the identity folders.
final class ImportNestedFoldersTests: XCTestCase {
    private func makeTree() throws -> URL {
        let root = try TestFiles.tempDirectory("seqcurate-cli-tree").appendingPathComponent("nested")
        let photo = try TestFiles.asset("messi5.jpg")
        for path in ["messi/a.jpg", "messi/2019/b.jpg", "messi/2019/red/c.jpg", "other/d.jpg"] {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: photo, to: url)
        }
        return root
    }

    func testSubfolderImagesAreSkippedWithOneLineUnlessRecursive() throws {
        let root = try makeTree()
        let db = root.deletingLastPathComponent().appendingPathComponent("seqcurate.db").path
        let plain = try TestCLI.run(["import-identities", root.path, "--aligned", "--catalog", db, "--quiet"])
        XCTAssertTrue(plain.succeeded, plain.err)
        XCTAssertTrue(plain.out.contains("imported 2 new images of 2 identities"), plain.out)
        XCTAssertEqual(plain.err.split(separator: "\n").filter { $0.contains("subfolders") },
                       ["seqcurate: \(root.path): skipped 2 images in subfolders of the identity folders (give --recursive to import them)"])

        let deep = try TestCLI.run(["import-identities", root.path, "--aligned", "--recursive", "--catalog", db, "--quiet"])
        XCTAssertTrue(deep.succeeded, deep.err)
        XCTAssertTrue(deep.out.contains("imported 2 new images of 2 identities") && deep.out.contains("2 already in the catalog"), deep.out)
        XCTAssertFalse(deep.err.contains("subfolders"), deep.err)
    }
}

/// `import-failures.tsv` and `--strict`.
final class ImportFailuresTests: XCTestCase {
    func testFailuresAreListedNextToTheCatalogAndStrictExitsNonZeroAfterCommitting() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-cli-fail")
        let root = dir.appendingPathComponent("celebs")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("messi"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try TestFiles.asset("messi5.jpg"), to: root.appendingPathComponent("messi/a.jpg"))
        try Data("not an image".utf8).write(to: root.appendingPathComponent("messi/broken\tname.jpg"))
        let db = dir.appendingPathComponent("work/seqcurate.db")
        let list = dir.appendingPathComponent("work/import-failures.tsv")

        let strict = try TestCLI.run(["import-identities", root.path, "--aligned", "--strict", "--catalog", db.path, "--quiet"])
        XCTAssertTrue(strict.exited)
        XCTAssertEqual(strict.status, 1, strict.err)
        XCTAssertTrue(strict.out.contains("imported 1 new images of 1 identities"), strict.out)
        XCTAssertTrue(strict.err.contains("1 image failed in this run") && strict.err.contains(list.path), strict.err)
        let want = "path\treason\tdataset\n\(root.path)/messi/broken\\tname.jpg\tunreadable\tcelebs\n"
        XCTAssertEqual(try String(contentsOf: list, encoding: .utf8), want)

        // A re-run fails nothing new: exit 0 even with --strict, and the list is rewritten with the catalog's failures.
        let again = try TestCLI.run(["import-identities", root.path, "--aligned", "--strict", "--catalog", db.path, "--quiet"])
        XCTAssertTrue(again.succeeded, again.err)
        XCTAssertEqual(try String(contentsOf: list, encoding: .utf8), want)
    }
}
