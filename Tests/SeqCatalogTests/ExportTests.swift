import Foundation
import XCTest
import SeqCore
@testable import SeqCatalog
import SeqTestSupport
import SeqCore

final class ExportTests: XCTestCase {
    /// (path, label) lines of a Caffe list.
    private func readList(_ url: URL) throws -> [(path: String, label: Int)] {
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.isEmpty || text.hasSuffix("\n"))
        return text.split(separator: "\n").map { line in
            let space = line.lastIndex(of: " ")!
            return (String(line[..<space]), Int(line[line.index(after: space)...])!)
        }
    }

    private func manifest(_ out: URL) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: out.appendingPathComponent("manifest.json")))
    }

    private func assertValidManifest(_ out: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let schema = try JSONValue.parse(try Data(contentsOf: TestFiles.repoRoot.appendingPathComponent("schemas/export-manifest.schema.json")))
        let errors = MiniJSONSchema(root: schema).validate(try manifest(out), schema)
        XCTAssertEqual(errors, [], file: file, line: line)
    }

    func testDefaultExportWritesContiguousLabelsAndAValidManifest() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let out = dir.appendingPathComponent("lists")
        var options = ExportOptions(outDir: out)
        options.toolVersion = "0.1.0"
        let result = try TrainingListExporter(catalog: catalog).export(options)
        XCTAssertEqual(result.faceidNum, 4)
        XCTAssertEqual(result.seqidNum, 4)

        let part1 = try readList(out.appendingPathComponent("image_train_part1.txt"))
        let part2 = try readList(out.appendingPathComponent("image_train_part2_seq.txt"))
        XCTAssertEqual(part1.count, 8)
        XCTAssertEqual(part2.count, 23)
        // Labels: 0 … F-1 and -1 … -S, each label's lines together, in order.
        XCTAssertEqual(part1.map(\.label), [0, 0, 0, 1, 1, 2, 3, 3])
        XCTAssertEqual(part2.map(\.label), Array(repeating: -1, count: 6) + Array(repeating: -2, count: 5) + Array(repeating: -3, count: 7) + Array(repeating: -4, count: 5))
        XCTAssertEqual(part1.first?.path, "ids/Alice_Smith/000.jpg")
        XCTAssertEqual(part2.first?.path, "crops/v1/t1/f0.jpg")
        // Every listed file exists relative to the root (the catalog folder here).
        for entry in part1 + part2 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(entry.path).path), entry.path)
        }
        XCTAssertFalse(part1.contains { $0.path.contains("broken.jpg") }, "failed images are not listed")

        try assertValidManifest(out)
        let m = try manifest(out)
        XCTAssertEqual(m["faceid_num"]?.int, 4)
        XCTAssertEqual(m["seqid_num"]?.int, 4)
        XCTAssertEqual(m["catalog_schema_version"]?.int, Catalog.currentSchemaVersion)
        XCTAssertEqual(m["labels"]?["identities"]?.array?.map { $0["name"]?.string }, ["Alice_Smith", "Bob_Jones", "Carol_White", "george w bush"])
        XCTAssertEqual(m["labels"]?["sequences"]?.array?.first?["video"]?.string, "/data/videos/George_W_Bush_speech.mp4")
        for f in m["files"]?.array ?? [] {
            let name = try XCTUnwrap(f["name"]?.string)
            XCTAssertEqual(f["sha256"]?.string, try SHA256.hex(fileAt: out.appendingPathComponent(name)), name)
        }
        // Recorded in the catalog.
        let exports = try catalog.exports()
        XCTAssertEqual(exports.count, 1)
        XCTAssertEqual(exports[0].seqidNum, 4)
        XCTAssertEqual(exports[0].manifestSHA256, try SHA256.hex(fileAt: out.appendingPathComponent("manifest.json")))
        XCTAssertEqual(try catalog.stats().exports, 1)
    }

    func testSameCatalogAndOptionsGiveByteIdenticalOutput() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        var options = ExportOptions(outDir: dir.appendingPathComponent("a"))
        options.maxSequencesPerVideo = 1
        options.valFraction = 0.3
        _ = try TrainingListExporter(catalog: catalog).export(options)
        options.outDir = dir.appendingPathComponent("b")
        _ = try TrainingListExporter(catalog: catalog).export(options)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("a").path).sorted()
        XCTAssertEqual(names, ["image_train_part1.txt", "image_train_part2_seq.txt", "image_val.txt", "manifest.json"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("b").path).sorted(), names)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("a/\(name)")), try Data(contentsOf: dir.appendingPathComponent("b/\(name)")), name)
        }
    }

    func testExcludedRowsNeverAppearAndFiltersKeepLabelsContiguous() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        _ = try catalog.excludeNames(["George_W_Bush"], protocolName: "lfw", source: "pairs.txt")
        // Exclude one face of the 7-face sequence too.
        let video2 = try XCTUnwrap(try catalog.video(contentHash: "h2"))
        let face = try XCTUnwrap(try catalog.faces(videoID: video2.id!).first { $0.kept })
        try catalog.addExclusions([ExclusionRecord(target: .face(face.id!), reason: "test", protocolName: "images", source: "/t")])

        var options = ExportOptions(outDir: dir.appendingPathComponent("out"))
        options.minImagesPerIdentity = 2
        options.maxSequencesPerVideo = 1
        let result = try TrainingListExporter(catalog: catalog).export(options)
        let part1 = try readList(result.outDir.appendingPathComponent("image_train_part1.txt"))
        let part2 = try readList(result.outDir.appendingPathComponent("image_train_part2_seq.txt"))
        // Alice (3) and Bob (2) remain; Carol has 1 image, george w bush is excluded.
        XCTAssertEqual(result.faceidNum, 2)
        XCTAssertEqual(part1.map(\.label), [0, 0, 0, 1, 1])
        XCTAssertFalse(part1.contains { $0.path.lowercased().contains("george") })
        // Video 1 is excluded by name; video 2 keeps its largest sequence (7 - 1 excluded = 6 vs 5).
        XCTAssertEqual(result.seqidNum, 1)
        XCTAssertEqual(part2.count, 6)
        XCTAssertEqual(Set(part2.map(\.label)), [-1])
        XCTAssertFalse(part2.contains { $0.path == face.cropPath })
        XCTAssertFalse(part2.contains { $0.path.hasPrefix("crops/v1/") })
        try assertValidManifest(result.outDir)
    }

    func testMissingFilesAreLeftOutAndCounted() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("crops/v1/t1/f0.jpg"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("ids/Carol_White/000.jpg"))
        let result = try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: dir.appendingPathComponent("out")))
        XCTAssertEqual(result.missingFiles.count, 2)
        XCTAssertEqual(result.faceidNum, 3)          // Carol had only that image
        XCTAssertEqual(result.sequenceFaces, 22)
        XCTAssertEqual(try manifest(result.outDir)["counts"]?["missing_files"]?.int, 2)
        let part1 = try readList(result.outDir.appendingPathComponent("image_train_part1.txt"))
        XCTAssertEqual(Set(part1.map(\.label)), [0, 1, 2])
    }

    func testNonEmptyOutputNeedsForceAndFailuresLeaveNothing() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let out = dir.appendingPathComponent("out")
        try touch(out.appendingPathComponent("old.txt"))
        let exporter = TrainingListExporter(catalog: catalog)
        XCTAssertThrowsError(try exporter.export(ExportOptions(outDir: out))) {
            XCTAssertTrue("\($0)".contains("not empty; use --force"), "\($0)")
        }
        var options = ExportOptions(outDir: out)
        options.force = true
        _ = try exporter.export(options)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("old.txt").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path))
        // --force never replaces the folder holding the catalog.
        options.outDir = dir
        XCTAssertThrowsError(try exporter.export(options)) { XCTAssertTrue("\($0)".contains("holds the catalog"), "\($0)") }
        options.outDir = dir.appendingPathComponent("crops/v1")
        XCTAssertThrowsError(try exporter.export(options)) { XCTAssertTrue("\($0)".contains("holds catalog crops"), "\($0)") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("crops/v1/t1/f0.jpg").path))

        // A path that cannot go into a list fails the export before anything appears.
        let weird = dir.appendingPathComponent("ids/Bad\nName/0.jpg")
        try touch(weird)
        let id = try catalog.upsertIdentity(dataset: "casia", name: "Bad\nName")
        try catalog.insertIdentityImages([IdentityImageRecord(identityID: id, sourcePath: weird.path, cropPath: nil, aligned: true)])
        let failed = dir.appendingPathComponent("failed")
        XCTAssertThrowsError(try exporter.export(ExportOptions(outDir: failed)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: failed.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(leftovers.filter { $0.contains("export-") || $0.contains(".old-") }, [])
        XCTAssertEqual(try catalog.exports().count, 1)
    }

    func testPartsValidationAbsolutePathsAndCSV() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let exporter = TrainingListExporter(catalog: catalog)

        var options = ExportOptions(outDir: dir.appendingPathComponent("ids-only"))
        options.identitiesOnly = true
        options.valFraction = 0.25
        let ids = try exporter.export(options)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: ids.outDir.path).sorted(),
                       ["image_train_part1.txt", "image_val.txt", "manifest.json"])
        XCTAssertEqual(ids.faceidNum, 3)
        XCTAssertEqual(ids.validationIdentities, 1)
        XCTAssertEqual(ids.seqidNum, 0)
        XCTAssertEqual(Set(try readList(ids.outDir.appendingPathComponent("image_val.txt")).map(\.label)), [0])
        XCTAssertEqual(Set(try readList(ids.outDir.appendingPathComponent("image_train_part1.txt")).map(\.label)), [0, 1, 2])
        try assertValidManifest(ids.outDir)

        options = ExportOptions(outDir: dir.appendingPathComponent("seq-only"))
        options.sequencesOnly = true
        options.paths = .absolute
        let seqs = try exporter.export(options)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: seqs.outDir.path).sorted(), ["image_train_part2_seq.txt", "manifest.json"])
        let part2 = try readList(seqs.outDir.appendingPathComponent("image_train_part2_seq.txt"))
        XCTAssertTrue(part2.allSatisfy { $0.path.hasPrefix("/") && FileManager.default.fileExists(atPath: $0.path) })

        options = ExportOptions(outDir: dir.appendingPathComponent("csv"))
        options.format = .csv
        options.root = dir.appendingPathComponent("crops")
        let csv = try exporter.export(options)
        let lines = try String(contentsOf: csv.outDir.appendingPathComponent("train.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "path,face_id,seq_id,track,video,source")
        XCTAssertEqual(lines.count, 1 + 8 + 23)
        XCTAssertEqual(lines[1], "../ids/Alice_Smith/000.jpg,0,,,,casia")
        XCTAssertTrue(lines[9].hasPrefix("v1/t1/f0.jpg,,-1,1,1,/data/videos/George_W_Bush_speech.mp4"), String(lines[9]))
        try assertValidManifest(csv.outDir)

        options = ExportOptions(outDir: dir.appendingPathComponent("x"))
        options.identitiesOnly = true
        options.sequencesOnly = true
        XCTAssertThrowsError(try exporter.export(options))
    }

    /// The manifest is `ExportManifest` (SeqCore), which training reads: what the exporter wrote
    /// decodes, encodes to the same bytes, and still matches the schema; a missing key is an error
    /// naming the file and the key.
    func testManifestContractRoundTripsAndRefusesMissingKeys() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        var options = ExportOptions(outDir: dir.appendingPathComponent("out"))
        options.maxSequencesPerVideo = 2
        options.valFraction = 0.25
        let result = try TrainingListExporter(catalog: catalog).export(options)
        let url = result.outDir.appendingPathComponent(ExportManifest.fileName)
        let data = try Data(contentsOf: url)
        let decoded = try ExportManifest.read(data, file: url.path)
        XCTAssertEqual(decoded.faceidNum, result.faceidNum)
        XCTAssertEqual(decoded.filters.maxSequencesPerVideo, 2)
        XCTAssertEqual(decoded.labels.validation.count, result.validationIdentities)
        XCTAssertEqual(try decoded.serialized(), data, "decode then encode gives the same bytes")
        try assertValidManifest(result.outDir)
        // Without the optional filter the key is written as null, as the schema wants.
        var open = decoded
        open.filters.maxSequencesPerVideo = nil
        XCTAssertEqual(try JSONValue.parse(try open.serialized())["filters"]?["max_sequences_per_video"], .null)
        XCTAssertEqual(try ExportManifest.read(try open.serialized(), file: "m.json"), open)

        guard case .object(var members) = try JSONValue.parse(data),
              let counts = members.firstIndex(where: { $0.0 == "counts" }), case .object(var inner) = members[counts].1 else {
            return XCTFail("manifest is not an object with counts")
        }
        inner.removeAll { $0.0 == "videos" }
        members[counts].1 = .object(inner)
        XCTAssertThrowsError(try ExportManifest.read(Data(JSONValue.object(members).serialized(.condensed).utf8), file: url.path)) { e in
            XCTAssertEqual("\(e)", "\(url.path): missing key \"counts.videos\"")
        }
    }

    func testRelativePaths() {
        XCTAssertEqual(TrainingListExporter.relativePath(URL(fileURLWithPath: "/a/b/c.jpg"), to: URL(fileURLWithPath: "/a")), "b/c.jpg")
        XCTAssertEqual(TrainingListExporter.relativePath(URL(fileURLWithPath: "/a/b/c.jpg"), to: URL(fileURLWithPath: "/a/x/y")), "../../b/c.jpg")
        XCTAssertEqual(TrainingListExporter.relativePath(URL(fileURLWithPath: "/a/./b/../c.jpg"), to: URL(fileURLWithPath: "/a/")), "c.jpg")
    }
}

/// Crop geometry: read from each crop's ingest run; an export never mixes geometries.
final class ExportGeometryTests: XCTestCase {
    typealias Geometry = ExportManifest.CropGeometry

    /// The fixture catalog with its videos cut by a seqface/144 ingest run and its identity images
    /// by a similarity/112 import.
    private func mixedCatalog() throws -> (Catalog, URL) {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let ingest = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil,
                                                                parametersJSON: #"{"align":"seqface","detectEvery":1}"#, seqcurateVersion: "t"))
        let import_ = try catalog.beginIngestRun(IngestRunRecord(command: "import-identities", detector: "mtcnn", weightsSHA256: nil,
                                                                 parametersJSON: #"{"align":"similarity","aligned":false}"#, seqcurateVersion: "t"))
        try catalog.db.execute("UPDATE videos SET ingest_run_id = \(ingest)")
        try catalog.db.execute("UPDATE identity_images SET ingest_run_id = \(import_), aligned = 0")
        return (catalog, dir)
    }

    func testGeometryRule() {
        func g(_ json: String?, aligned: Bool = false) -> String? { Catalog.cropGeometry(parametersJSON: json, aligned: aligned)?.description }
        XCTAssertEqual(g(#"{"align":"seqface"}"#), "seqface/144")
        XCTAssertEqual(g(#"{"align":"similarity"}"#), "similarity/112")
        XCTAssertEqual(g(#"{"align":"seqface","cropSize":160}"#), "seqface/160")
        XCTAssertEqual(g("{}"), "seqface/144", "IngestOptions' default")
        // Images taken as they are: the run's stated geometry (a RecordIO import states similarity/112) …
        XCTAssertEqual(g(#"{"aligned":true,"align":"similarity","cropSize":112}"#, aligned: true), "similarity/112")
        XCTAssertEqual(g(#"{"aligned":true,"align":"similarity"}"#, aligned: true), "similarity/112")
        // … else as-is, unless a size declares the geometry.
        XCTAssertEqual(g(#"{"aligned":true,"align":"seqface"}"#, aligned: true), "as-is")
        // A size given with --aligned declares the geometry of the images as they are.
        XCTAssertEqual(g(#"{"aligned":true,"align":"seqface","cropSize":144}"#, aligned: true), "seqface/144")
        XCTAssertEqual(g(nil, aligned: true), "as-is")
        XCTAssertNil(g(nil), "no run: unknown")
        XCTAssertNil(g("not json"))
        XCTAssertEqual(Geometry(parsing: "seqface/144"), Geometry(method: "seqface", size: 144))
        XCTAssertEqual(Geometry(parsing: "as-is"), Geometry(method: "as-is", size: nil))
        XCTAssertNil(Geometry(parsing: "seqface/0"))
        XCTAssertNil(Geometry(parsing: "a/b/c"))
        XCTAssertNil(Geometry(parsing: ""))
    }

    func testMixedGeometriesAreRefusedWithTheirCounts() throws {
        let (catalog, dir) = try mixedCatalog()
        let out = dir.appendingPathComponent("lists")
        XCTAssertThrowsError(try TrainingListExporter(catalog: catalog).export(ExportOptions(outDir: out))) { e in
            XCTAssertEqual((e as? SeqError)?.reason, "the export would mix crop geometries: seqface/144 (23 faces), similarity/112 (8 images); "
                           + "export one geometry at a time with --geometry seqface/144 or --geometry similarity/112 "
                           + "(or re-ingest / re-import so that every crop has one geometry)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written")
    }

    func testOneGeometryAtATimeIsRecordedInTheManifest() throws {
        let (catalog, dir) = try mixedCatalog()
        let exporter = TrainingListExporter(catalog: catalog)
        var options = ExportOptions(outDir: dir.appendingPathComponent("sim"))
        options.geometry = Geometry(method: "similarity", size: 112)
        let sim = try exporter.export(options)
        XCTAssertEqual(sim.faceidNum, 4)
        XCTAssertEqual(sim.seqidNum, 0)
        let data = try Data(contentsOf: sim.outDir.appendingPathComponent("manifest.json"))
        let m = try ExportManifest.read(data, file: "manifest.json")
        XCTAssertEqual(m.cropGeometry, Geometry(method: "similarity", size: 112))
        XCTAssertEqual(m.filters.geometry, "similarity/112")
        XCTAssertEqual(try m.serialized(), data, "round trip")
        let schema = try JSONValue.parse(try Data(contentsOf: TestFiles.repoRoot.appendingPathComponent("schemas/export-manifest.schema.json")))
        XCTAssertEqual(MiniJSONSchema(root: schema).validate(try JSONValue.parse(data), schema), [])

        options.outDir = dir.appendingPathComponent("sim2")
        let again = try exporter.export(options)
        XCTAssertEqual(try Data(contentsOf: again.outDir.appendingPathComponent("manifest.json")), data, "byte-identical")

        var seq = ExportOptions(outDir: dir.appendingPathComponent("seq"))
        seq.sequencesOnly = true
        let s = try exporter.export(seq)
        XCTAssertEqual(s.seqidNum, 4)
        let sm = try JSONValue.parse(try Data(contentsOf: s.outDir.appendingPathComponent("manifest.json")))
        XCTAssertEqual(sm["crop_geometry"]?["method"]?.string, "seqface")
        XCTAssertEqual(sm["crop_geometry"]?["size"]?.int, 144)
        XCTAssertEqual(sm["filters"]?["geometry"], .null)
    }

    func testUnknownGeometryIsNull() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        var options = ExportOptions(outDir: dir.appendingPathComponent("lists"))
        options.sequencesOnly = true
        let result = try TrainingListExporter(catalog: catalog).export(options)
        let m = try JSONValue.parse(try Data(contentsOf: result.outDir.appendingPathComponent("manifest.json")))
        XCTAssertEqual(m["crop_geometry"], .null, "faces without an ingest run: not known")
    }
}

/// `--format webdataset`: deterministic ustar shards of KEY.jpg + KEY.json.
final class WebDatasetExportTests: XCTestCase {
    func testTarWriterHeaders() throws {
        var tar = TarWriter()
        try tar.append(name: "000000000.jpg", contents: Data("abc".utf8))
        try tar.append(name: "000000000.json", contents: Data())
        let data = tar.finished()
        XCTAssertEqual(data.count, 512 + 512 + 512 + 1024)
        XCTAssertEqual(String(decoding: data[124..<135], as: UTF8.self), "00000000003", "octal size")
        XCTAssertEqual(String(decoding: data[257..<263], as: UTF8.self), "ustar\0")
        let members = try XCTUnwrap(TarReader.members(data))
        XCTAssertEqual(members.map(\.name), ["000000000.jpg", "000000000.json"])
        XCTAssertEqual(members.first?.contents, Data("abc".utf8))
        XCTAssertThrowsError(try tar.append(name: String(repeating: "a", count: 101), contents: Data()))
        var corrupt = data
        corrupt[0] = UInt8(ascii: "x")
        XCTAssertNil(TarReader.members(corrupt), "the checksum catches a changed header")
    }

    func testShardsHoldEverySampleWithItsLabelAndAreByteIdentical() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        var options = ExportOptions(outDir: dir.appendingPathComponent("wds"))
        options.format = .webdataset
        options.shardSize = 10
        let exporter = TrainingListExporter(catalog: catalog)
        let result = try exporter.export(options)
        // 8 identity images + 23 sequence faces = 31 samples.
        XCTAssertEqual(result.files.map(\.name), ["shard-000000.tar", "shard-000001.tar", "shard-000002.tar", "shard-000003.tar"])
        XCTAssertEqual(result.files.map(\.lines), [10, 10, 10, 1])
        var samples: [JSONValue] = []
        for f in result.files {
            let data = try Data(contentsOf: result.outDir.appendingPathComponent(f.name))
            XCTAssertEqual(SHA256.hex(data), f.sha256)
            let members = try XCTUnwrap(TarReader.members(data), f.name)
            XCTAssertEqual(members.count, 2 * f.lines)
            for i in stride(from: 0, to: members.count, by: 2) {
                let key = String(members[i].name.prefix { $0 != "." })
                XCTAssertEqual(members[i].name, key + ".jpg")
                XCTAssertEqual(members[i + 1].name, key + ".json")
                let json = try JSONValue.parse(members[i + 1].contents)
                let path = try XCTUnwrap(json["path"]?.string)
                XCTAssertEqual(members[i].contents, try Data(contentsOf: dir.appendingPathComponent(path)), "the image's bytes")
                samples.append(json)
            }
        }
        XCTAssertEqual(samples.map { $0["label"]?.int }, [0, 0, 0, 1, 1, 2, 3, 3]
                       + Array(repeating: -1, count: 6) + Array(repeating: -2, count: 5) + Array(repeating: -3, count: 7) + Array(repeating: -4, count: 5))
        XCTAssertEqual(samples[0]["dataset"]?.string, "casia")
        XCTAssertEqual(samples[0]["name"]?.string, "Alice_Smith")
        XCTAssertNotNil(samples[0]["identity_id"]?.int)
        XCTAssertEqual(samples[8]["video"]?.string, "/data/videos/George_W_Bush_speech.mp4")
        XCTAssertNotNil(samples[8]["sequence_id"]?.int)
        XCTAssertEqual(samples[8]["frame"]?.int, 0)
        XCTAssertEqual(samples[8]["crop_geometry"], .null, "no ingest run in the fixture")

        let m = try JSONValue.parse(try Data(contentsOf: result.outDir.appendingPathComponent("manifest.json")))
        XCTAssertEqual(m["filters"]?["format"]?.string, "webdataset")
        XCTAssertEqual(m["filters"]?["shard_size"]?.int, 10)
        XCTAssertEqual(m["files"]?.array?.map { $0["role"]?.string }, Array(repeating: "shard", count: 4))
        let schema = try JSONValue.parse(try Data(contentsOf: TestFiles.repoRoot.appendingPathComponent("schemas/export-manifest.schema.json")))
        XCTAssertEqual(MiniJSONSchema(root: schema).validate(m, schema), [])

        options.outDir = dir.appendingPathComponent("wds2")
        let again = try exporter.export(options)
        for f in result.files + [ExportResult.File(name: "manifest.json", role: "", lines: 0, sha256: "")] {
            XCTAssertEqual(try Data(contentsOf: again.outDir.appendingPathComponent(f.name)),
                           try Data(contentsOf: result.outDir.appendingPathComponent(f.name)), "\(f.name) byte-identical")
        }
    }

    func testValidationGoesToItsOwnShards() throws {
        let (catalog, dir) = try makeFixtureCatalog(self)
        var options = ExportOptions(outDir: dir.appendingPathComponent("wds"))
        options.format = .webdataset
        options.valFraction = 0.25
        options.identitiesOnly = true
        let result = try TrainingListExporter(catalog: catalog).export(options)
        XCTAssertEqual(result.files.map(\.name), ["shard-000000.tar", "val-shard-000000.tar"])
        XCTAssertEqual(result.files.map(\.role), ["shard", "validation_shard"])
        XCTAssertEqual(result.files[1].lines, result.validationImages)
        options.shardSize = 0
        XCTAssertThrowsError(try options.validate())
    }
}
