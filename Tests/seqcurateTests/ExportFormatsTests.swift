import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// `seqcurate export` as a user runs it: crop geometries and output formats.
final class ExportFormatsTests: XCTestCase {
    /// A catalog with one identity imported --aligned as-is (dataset `plain`) and one imported
    /// --aligned with a stated similarity geometry (dataset `sim`).
    private func mixedCatalog() throws -> (db: String, dir: URL) {
        let dir = try TestFiles.tempDirectory("export-formats", removedAfter: self)
        let photo = try TestFiles.asset("messi5.jpg")
        for (root, name) in [("plain", "alice"), ("sim", "bob")] {
            let folder = dir.appendingPathComponent(root).appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: photo, to: folder.appendingPathComponent("a.jpg"))
        }
        let db = dir.appendingPathComponent("seqcurate.db").path
        let plain = try TestCLI.run(["import-identities", dir.appendingPathComponent("plain").path, "--aligned", "--catalog", db, "--quiet"])
        XCTAssertEqual(plain.status, 0, plain.err)
        let sim = try TestCLI.run(["import-identities", dir.appendingPathComponent("sim").path, "--aligned", "--align", "similarity",
                                   "--catalog", db, "--quiet"])
        XCTAssertEqual(sim.status, 0, sim.err)
        return (db, dir)
    }

    func testMixedGeometriesAreRefusedAndOneCanBeChosen() throws {
        let (db, dir) = try mixedCatalog()
        let out = dir.appendingPathComponent("lists").path
        let refused = try TestCLI.run(["export", "--catalog", db, "--out", out])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.err.contains("the export would mix crop geometries: as-is (1 image), similarity/112 (1 image); "
                                           + "export one geometry at a time with --geometry as-is or --geometry similarity/112"), refused.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let chosen = try TestCLI.run(["export", "--catalog", db, "--out", out, "--geometry", "similarity/112"])
        XCTAssertEqual(chosen.status, 0, chosen.err)
        XCTAssertTrue(chosen.out.contains("faceid_num (F) = 1 identities, 1 images"), chosen.out)
        let m = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("manifest.json")))
        XCTAssertEqual(m["crop_geometry"]?["method"]?.string, "similarity")
        XCTAssertEqual(m["crop_geometry"]?["size"]?.int, 112)
        XCTAssertEqual(m["labels"]?["identities"]?.array?.first?["name"]?.string, "bob")

        let bad = try TestCLI.run(["export", "--catalog", db, "--out", out, "--geometry", "seqface/x"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--geometry must be METHOD/SIZE"), bad.err)
    }

    func testWebDatasetShards() throws {
        let (db, dir) = try mixedCatalog()
        let out = dir.appendingPathComponent("shards")
        let r = try TestCLI.run(["export", "--catalog", db, "--out", out.path, "--geometry", "similarity/112",
                                 "--format", "webdataset", "--shard-size", "1"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("shard-000000.tar (1 samples)"), r.out)
        let tar = try Data(contentsOf: out.appendingPathComponent("shard-000000.tar"))
        XCTAssertEqual(String(decoding: tar[0..<13], as: UTF8.self), "000000000.jpg")
        XCTAssertEqual(tar.count % 512, 0)
        let zero = try TestCLI.run(["export", "--catalog", db, "--out", out.path, "--format", "webdataset", "--shard-size", "0", "--force"])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.err.contains("--shard-size must be at least 1"), zero.err)
    }
}
