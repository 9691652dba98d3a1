import CTurboJPEG
import Foundation
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest

/// Bad and unusual inputs through the command-line tool, as a user meets them: one line per bad
/// file on standard error, the rest still processed, a non-zero exit and never a crash.
final class MediaHardeningTests: XCTestCase {
    private func run(_ args: [String]) throws -> CLIResult { try TestCLI.run(args) }

    private func weights() throws -> [String] { ["--weights", try TestFiles.asset("mtcnn.safetensors").path] }

    /// messi5.jpg with its frame header changed to claim 60000x60000 (10.8 GB as RGB).
    private func bomb(in dir: URL) throws -> URL {
        var d = try Data(contentsOf: try TestFiles.asset("messi5.jpg"))
        var i = 2
        while i + 9 < d.count, d[i + 1] != 0xC0, d[i + 1] != 0xC2 { i += 2 + (Int(d[i + 2]) << 8 | Int(d[i + 3])) }
        XCTAssertLessThan(i + 9, d.count, "no frame header found")
        d.replaceSubrange((i + 5)..<(i + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        let url = dir.appendingPathComponent("bomb.jpg")
        try d.write(to: url)
        return url
    }

    func testImagesOverThePixelLimitAreRefusedAndTheRestGoOn() throws {
        let dir = try TestFiles.tempDirectory("cli-media", removedAfter: self)
        let bomb = try bomb(in: dir), messi = try TestFiles.asset("messi5.jpg").path
        let refused = "seqcurate: \(bomb.path): image too large: 60000x60000 is 3600 megapixels, over the limit of 200 megapixels\n"
        let d = try run(["detect", bomb.path, messi] + weights())
        XCTAssertEqual(d.status, 1)
        XCTAssertEqual(d.err, refused + "seqcurate: 1 of 2 files failed\n")
        XCTAssertTrue(d.out.hasPrefix("\(messi): 1 face"), d.out)

        let a = try run(["align", bomb.path, messi, "--out", dir.appendingPathComponent("crops").path] + weights())
        XCTAssertEqual(a.status, 1)
        XCTAssertEqual(a.err, refused + "seqcurate: 1 of 2 images failed\n")
        XCTAssertTrue(a.out.contains("wrote 1 crop to"), a.out)

        // The bound is an option: messi5.jpg is 548x342 = 187416 pixels.
        let low = try run(["detect", messi, "--max-pixels", "187415"] + weights())
        XCTAssertEqual(low.status, 1)
        XCTAssertTrue(low.err.contains("\(messi): image too large: 548x342 is 0.2 megapixels, over the limit of 0.2 megapixels"), low.err)
        XCTAssertEqual(try run(["detect", messi, "--max-pixels", "187416"] + weights()).status, 0)
        XCTAssertNotEqual(try run(["detect", messi, "--max-pixels", "0"] + weights()).status, 0)
    }

    func testImportIdentitiesRecordsTooLargeImagesAndContinues() throws {
        let dir = try TestFiles.tempDirectory("cli-media", removedAfter: self)
        let root = dir.appendingPathComponent("people")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("messi"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: try bomb(in: dir), to: root.appendingPathComponent("messi/bomb.jpg"))
        try FileManager.default.copyItem(at: try TestFiles.asset("messi5.jpg"), to: root.appendingPathComponent("messi/good.jpg"))
        let db = dir.appendingPathComponent("seqcurate.db").path
        let r = try run(["import-identities", root.path, "--aligned", "--quiet", "--catalog", db])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("imported 1 new images of 1 identities into dataset people; failed: too_large 1"), r.out)
        // The option reaches the importer.
        let db2 = dir.appendingPathComponent("second.db").path
        let low = try run(["import-identities", root.path, "--aligned", "--quiet", "--catalog", db2, "--max-pixels", "1000"])
        XCTAssertEqual(low.status, 0, low.err)
        XCTAssertTrue(low.out.contains("imported 0 new images of 1 identities into dataset people; failed: too_large 2"), low.out)
    }

    func testDetectWithMaxSideDecodesSmallerAndReportsFullSizeCoordinates() throws {
        let dir = try TestFiles.tempDirectory("cli-media", removedAfter: self)
        let messi = try ImageIO.read(try TestFiles.asset("messi5.jpg"))
        // Four times the photo (each pixel a 4x4 block): at --max-side 548 the decoder takes 1/4.
        let big = dir.appendingPathComponent("big.jpg")
        try ImageIO.writeJPEG(messi.resizedArea(width: 548 * 4, height: 342 * 4), to: big, quality: 95)
        XCTAssertEqual(try ImageIO.read(big, reducingTo: 548).image.width, 548)
        let small = try run(["detect", "--json", try TestFiles.asset("messi5.jpg").path] + weights())
        let large = try run(["detect", "--json", "--max-side", "548", big.path] + weights())
        XCTAssertEqual(large.status, 0, large.err)
        func firstBox(_ line: String) throws -> [Double] {
            let obj = try JSONValue.parse(line)
            let faces = try XCTUnwrap(obj["faces"]?.array)
            return try XCTUnwrap(faces.first?["box"]?.array?.compactMap(\.number))
        }
        let expected = try firstBox(small.out).map { $0 * 4 }
        for (got, want) in zip(try firstBox(large.out), expected) {
            XCTAssertEqual(got, want, accuracy: 8, "box in full-size pixels: \(large.out)")
        }
    }

    func testTruncatedVideosFailInDetectAndFrames() throws {
        let dir = try TestFiles.tempDirectory("cli-media", removedAfter: self)
        for ext in ["webm", "mkv"] {
            let cut = try TestMedia.truncatedMatroska(ext, in: dir)
            let message = "seqcurate: \(cut.path): no frame could be decoded (truncated or corrupt)\n"
            let d = try run(["detect", cut.path] + weights())
            XCTAssertEqual(d.status, 1, ext)
            XCTAssertEqual(d.err, message)
            XCTAssertEqual(d.out, "")
            let f = try run(["frames", cut.path, "--raw", dir.appendingPathComponent("raw.bin").path])
            XCTAssertEqual(f.status, 1, ext)
            XCTAssertTrue(f.err.hasSuffix(message), f.err)
            XCTAssertEqual(try run(["probe", cut.path]).status, 1)
        }
    }

    func testADirectoryIsReportedAsADirectory() throws {
        let dir = try TestFiles.tempDirectory("cli-media", removedAfter: self)
        let video = dir.appendingPathComponent("clip.mp4"), image = dir.appendingPathComponent("photo.jpg")
        for d in [video, image] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        let d = try run(["detect", video.path, image.path] + weights())
        XCTAssertEqual(d.status, 1)
        XCTAssertEqual(d.err, "seqcurate: \(video.path): is a directory, not a video file\n"
                       + "seqcurate: \(image.path): is a directory, not an image file\nseqcurate: 2 of 2 files failed\n")
        let p = try run(["probe", video.path])
        XCTAssertEqual(p.status, 1)
        XCTAssertEqual(p.err, "seqcurate: \(video.path): is a directory, not a video file\n")
        let f = try run(["frames", video.path, "--raw", dir.appendingPathComponent("raw.bin").path])
        XCTAssertEqual(f.status, 1)
        XCTAssertEqual(f.err, "seqcurate: \(video.path): is a directory, not a video file\n")
        let a = try run(["align", image.path, "--out", dir.appendingPathComponent("crops").path] + weights())
        XCTAssertEqual(a.status, 1)
        XCTAssertTrue(a.err.hasPrefix("seqcurate: \(image.path): is a directory, not an image file\n"), a.err)
    }

    func testCMYKGrayAndOneLineImagesGoThroughDetect() throws {
        let dir = try TestFiles.tempDirectory("cli-media", removedAfter: self)
        let messi = try ImageIO.read(try TestFiles.asset("messi5.jpg"))
        // The photo as CMYK, inverted the Adobe way (255 = no ink), as Photoshop writes it.
        var cmyk = [UInt8](repeating: 0, count: messi.width * messi.height * 4)
        for p in 0..<(messi.width * messi.height) {
            let r = messi.pixels[3 * p], g = messi.pixels[3 * p + 1], b = messi.pixels[3 * p + 2]
            let k = max(r, g, b)  // inverted black: the brightest channel
            cmyk[4 * p + 3] = k
            for (c, v) in [r, g, b].enumerated() { cmyk[4 * p + c] = k == 0 ? 255 : UInt8(Int(v) * 255 / Int(k)) }
        }
        let handle = try XCTUnwrap(tjInitCompress())
        defer { tjDestroy(handle) }
        var buf: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        XCTAssertEqual(cmyk.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(messi.width), 0, Int32(messi.height), Int32(TJPF_CMYK.rawValue), &buf, &size,
                        Int32(TJSAMP_444.rawValue), 95, 0)
        }, 0)
        defer { tjFree(buf) }
        let cmykURL = dir.appendingPathComponent("cmyk.jpg")
        try Data(bytes: try XCTUnwrap(buf), count: Int(size)).write(to: cmykURL)
        let gray = dir.appendingPathComponent("gray.jpg"), row = dir.appendingPathComponent("row.png"), column = dir.appendingPathComponent("column.jpg")
        try ImageIO.writeJPEG(messi.grayscale(), to: gray)
        try ImageIO.writePNG(messi.resizedArea(width: 548, height: 1), to: row)
        try ImageIO.writeJPEG(messi.resizedArea(width: 1, height: 342), to: column)
        let r = try run(["detect", cmykURL.path, gray.path, row.path, column.path] + weights())
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "")
        let lines = r.out.split(separator: "\n").filter { !$0.hasPrefix(" ") }
        XCTAssertEqual(lines, ["\(cmykURL.path): 1 face", "\(gray.path): 1 face", "\(row.path): 0 faces", "\(column.path): 0 faces"])
        // Shrinking a one-pixel side, in the decoder and in the detector, keeps it one pixel.
        let shrunk = try run(["detect", row.path, column.path, "--max-side", "12"] + weights())
        XCTAssertEqual(shrunk.status, 0, shrunk.err)
        XCTAssertEqual(shrunk.out, "\(row.path): 0 faces\n\(column.path): 0 faces\n")
    }
}
