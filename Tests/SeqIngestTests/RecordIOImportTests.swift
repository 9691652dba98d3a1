import Foundation
import SeqCatalog
import SeqCore
import SeqIngest
import SeqMedia
import XCTest
import SeqTestSupport

final class RecordIOImportTests: XCTestCase {
    /// Five 112x112 JPEGs: a real face (messi5.jpg resized) and four generated images.
    private func jpegs() throws -> [Data] {
        let photo = try ImageIO.read(try TestFiles.asset("messi5.jpg")).resizedArea(width: 112, height: 112)
        var out = [try ImageIO.encodeJPEG(photo, quality: 90)]
        for k in 1...4 {
            var img = Image(width: 112, height: 112)
            for i in 0..<img.pixels.count { img.pixels[i] = UInt8((i * k / 3 + k * 40) % 256) }
            out.append(try ImageIO.encodeJPEG(img, quality: 90))
        }
        return out
    }

    /// A pack of labels 0,0,1,2,2 (records 1...5), record 3 (label 1) unreadable bytes.
    private func pack() throws -> (RecordIOTestWriter, [Data]) {
        var j = try jpegs()
        j[2] = Data("not a jpeg".utf8)
        return (RecordIOTestWriter.insightface([(0, j[0]), (0, j[1]), (1, j[2]), (2, j[3]), (2, j[4])]), j)
    }

    private func importer(_ catalog: Catalog, batch: Int = 64) -> IdentityImporter {
        var options = IdentityImportOptions()
        options.aligned = true
        options.align = .similarity
        options.cropSize = 112
        options.batchSize = batch
        return IdentityImporter(catalog: catalog, detector: nil, cropper: nil, options: options, runID: nil)
    }

    func testImportsLabelsAsIdentitiesAndResumes() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        let (writer, j) = try pack()
        let rec = try writer.write(to: dir.appendingPathComponent("faces_tiny"), property: "3,112,112\n")
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, batch: 2).runRecordIO(rec: rec, quiet: true)
        XCTAssertEqual(summary.identities, 3)
        XCTAssertEqual(summary.imported, 4)
        XCTAssertEqual(summary.failed, ["unreadable": 1])
        XCTAssertEqual(summary.notes, [])
        XCTAssertEqual(try catalog.identities(dataset: "faces_tiny").map(\.name).sorted(), ["0", "1", "2"])
        let images = try catalog.identityImages()
        XCTAssertEqual(images.map(\.sourcePath).sorted(), (1...5).map { rec.path + "#\($0)" })
        for m in images where m.status == .ok {
            XCTAssertTrue(m.aligned)
            XCTAssertNotNil(m.cropHash)
            let key = Int(m.sourcePath.split(separator: "#").last!)!
            // The JPEG is written as it is: the same bytes.
            XCTAssertEqual(try Data(contentsOf: catalog.resolve(try XCTUnwrap(m.cropPath))), j[[0, 0, 1, 2, 3, 4][key]])
        }
        let failed = images.filter { $0.status == .failed }
        XCTAssertEqual(failed.map(\.sourcePath), [rec.path + "#3"])

        let again = try importer(catalog).runRecordIO(rec: rec, quiet: true)
        XCTAssertEqual(again.imported, 0)
        XCTAssertEqual(again.alreadyThere, 5)
        XCTAssertEqual(try catalog.identityImages().count, 5)
    }

    func testCorruptRecordStopsWithOneLineErrorAndRerunResumes() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        let (writer, _) = try pack()
        let folder = dir.appendingPathComponent("pack")
        let rec = try writer.write(to: folder)
        let index = try RecordIOReader.readIndex(folder.appendingPathComponent("train.idx"))
        var bytes = writer.recData
        let at = Int(index.first { $0.key == 4 }!.offset)
        bytes[at] ^= 0xff
        try bytes.write(to: rec)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        XCTAssertThrowsError(try importer(catalog, batch: 2).runRecordIO(rec: rec, quiet: true)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(rec.path) && text.contains("record 4") && text.contains("corrupt"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        // Records 1 and 2 (the first batch) were committed.
        XCTAssertEqual(try catalog.identityImages().map(\.sourcePath).sorted(), [rec.path + "#1", rec.path + "#2"])

        // Repaired, a re-run imports the rest.
        try writer.recData.write(to: rec)
        let again = try importer(catalog, batch: 2).runRecordIO(rec: rec, quiet: true)
        XCTAssertEqual(again.alreadyThere, 2)
        XCTAssertEqual(again.imported + again.failed.values.reduce(0, +), 3)
        XCTAssertEqual(try catalog.identityImages().count, 5)
    }

    func testTruncatedPackNamesTheRecord() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        let (writer, _) = try pack()
        let folder = dir.appendingPathComponent("pack")
        let rec = try writer.write(to: folder)
        let index = try RecordIOReader.readIndex(folder.appendingPathComponent("train.idx"))
        let cut = Int(index.first { $0.key == 5 }!.offset) + 20
        try writer.recData.prefix(cut).write(to: rec)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        XCTAssertThrowsError(try importer(catalog).runRecordIO(rec: rec, quiet: true)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(rec.path) && text.contains("record 5 is truncated"), text)
        }
    }

    func testWithoutIndexReadsSequentially() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        let (writer, _) = try pack()
        let rec = try writer.write(to: dir.appendingPathComponent("pack"), index: false)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog, batch: 2).runRecordIO(rec: rec, quiet: true)
        XCTAssertEqual(summary.identities, 3)
        XCTAssertEqual(summary.imported, 4)
        XCTAssertEqual(try catalog.identityImages().map(\.sourcePath).sorted(), (1...5).map { rec.path + "#\($0)" })
    }

    func testLabelsBeyondThePropertyFileAreNoted() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        let (writer, _) = try pack()
        let rec = try writer.write(to: dir.appendingPathComponent("pack"), property: "2,112,112")
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let summary = try importer(catalog).runRecordIO(rec: rec, quiet: true)
        XCTAssertEqual(summary.notes, ["2 records have a label at or above the 2 identities the property file gives"])
    }

    func testReaderJoinsPartsSplitAtTheMagic() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        var magic = Data()
        withUnsafeBytes(of: RecordIOReader.magic.littleEndian) { magic.append(contentsOf: $0) }
        let image = Data("abc".utf8) + magic + Data("defgh".utf8) + magic
        var w = RecordIOTestWriter()
        w.append(key: 0, payload: RecordIOTestWriter.payload(label: 7, labels: [7, 1], image: image))
        let rec = try w.write(to: dir)
        let reader = try RecordIOReader(rec)
        let (payload, next) = try reader.record(at: 0, name: "0")
        XCTAssertEqual(next, reader.fileSize)
        let (header, bytes) = try reader.unpack(payload, name: "0")
        XCTAssertEqual(header.flag, 2)
        XCTAssertEqual(header.classLabel, 7)
        XCTAssertEqual(bytes, image)
    }
}

final class RecordIOFolderHintTests: XCTestCase {
    func testAFolderHoldingAPackPointsAtTheRecFile() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-rec")
        try RecordIOTestWriter.insightface([(0, Data("x".utf8))]).write(to: dir.appendingPathComponent("faces_emore"))
        XCTAssertThrowsError(try IdentityImporter.scan(dir.appendingPathComponent("faces_emore"))) {
            XCTAssertTrue("\($0)".contains("it holds train.rec: give that file to import an insightface RecordIO pack"), "\($0)")
        }
    }
}
