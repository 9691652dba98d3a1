import CTurboJPEG
import Foundation
import SeqCore
import XCTest
@testable import SeqMedia
import SeqTestSupport

/// Hand-written PNG files: every colour type and depth FFmpeg must read, with known pixels.
/// Uses stored (uncompressed) deflate blocks, so no compressor is needed.
enum PNGWriter {
    static func file(width: Int, height: Int, depth: UInt8, colorType: UInt8, rows: [[UInt8]], palette: [UInt8]? = nil) -> Data {
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var ihdr = Data()
        ihdr.append(be32(UInt32(width))); ihdr.append(be32(UInt32(height)))
        ihdr.append(contentsOf: [depth, colorType, 0, 0, 0])
        png.append(chunk("IHDR", ihdr))
        if let palette { png.append(chunk("PLTE", Data(palette))) }
        var raw = Data()
        for row in rows { raw.append(0); raw.append(contentsOf: row) }  // filter type 0 (none)
        png.append(chunk("IDAT", zlibStored(raw)))
        png.append(chunk("IEND", Data()))
        return png
    }

    static func be32(_ v: UInt32) -> Data { Data([UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]) }

    static func chunk(_ type: String, _ body: Data) -> Data {
        var c = be32(UInt32(body.count))
        let typed = Data(type.utf8) + body
        c.append(typed)
        c.append(be32(crc32(typed)))
        return c
    }

    static func zlibStored(_ raw: Data) -> Data {
        var out = Data([0x78, 0x01])
        var offset = 0
        repeat {
            let n = min(65535, raw.count - offset)
            let last: UInt8 = offset + n == raw.count ? 1 : 0
            out.append(contentsOf: [last, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)])
            out.append(raw[offset..<(offset + n)])
            offset += n
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        out.append(be32(b << 16 | a))
        return out
    }

    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// Image files whose header lies about their size, and the odd formats real datasets contain.
final class ImageHardeningTests: XCTestCase {
    private func gradient(_ w: Int, _ h: Int) -> Image {
        var img = Image(width: w, height: h)
        for y in 0..<h { for x in 0..<w {
            img[x, y, 0] = UInt8(x * 255 / max(w - 1, 1))
            img[x, y, 1] = UInt8(y * 255 / max(h - 1, 1))
            img[x, y, 2] = UInt8((x / 16 + y / 16) % 2 * 200 + 20)
        } }
        return img
    }

    /// A JPEG with its frame header (SOF0) changed to claim `width` x `height`.
    private func jpegClaiming(width: Int, height: Int) throws -> Data {
        var d = try ImageIO.encodeJPEG(gradient(64, 48))
        var i = 2
        while i + 9 < d.count {
            let marker = d[i + 1], length = Int(d[i + 2]) << 8 | Int(d[i + 3])
            if marker == 0xC0 {
                d[i + 5] = UInt8(height >> 8); d[i + 6] = UInt8(height & 255)
                d[i + 7] = UInt8(width >> 8); d[i + 8] = UInt8(width & 255)
                return d
            }
            i += 2 + length
        }
        throw XCTSkip("no SOF0 in the encoder's output")
    }

    private func assertRefused(_ url: URL, mentioning size: String, maxPixels: Int = ImageIO.defaultMaxPixels,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageIO.read(url, maxPixels: maxPixels), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(ImageIO.isSizeLimitError(error), message, file: file, line: line)
            XCTAssertTrue(message.hasPrefix(url.path + ": image too large: " + size), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), file: file, line: line)
        }
    }

    func testHeadersClaimingHugeSizesAreRefusedBeforeDecoding() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        // 60000x60000 RGB would take 10.8 GB; the files themselves are a few hundred bytes.
        let jpeg = dir.appendingPathComponent("bomb.jpg")
        try jpegClaiming(width: 60000, height: 60000).write(to: jpeg)
        assertRefused(jpeg, mentioning: "60000x60000 is 3600 megapixels, over the limit of 200 megapixels")
        XCTAssertThrowsError(try ImageIO.read(jpeg, maxPixels: 1_000_000_000, reducingTo: 1000)) {
            XCTAssertTrue(ImageIO.isSizeLimitError($0), "\($0)")  // scaled decoding is bounded too
        }

        var png = PNGWriter.file(width: 2, height: 1, depth: 8, colorType: 2, rows: [[1, 2, 3, 4, 5, 6]])
        png.replaceSubrange(16..<24, with: PNGWriter.be32(60000) + PNGWriter.be32(60000))
        let pngURL = dir.appendingPathComponent("bomb.png")
        try png.write(to: pngURL)
        assertRefused(pngURL, mentioning: "60000x60000")

        // A BMP header claiming 60000 x -60000 (top-down rows) and no pixel data.
        var bmp = Data([0x42, 0x4D])
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bmp.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bmp.append(contentsOf: $0) } }
        u32(54); u32(0); u32(54); u32(40); u32(60000); u32(UInt32(bitPattern: -60000)); u16(1); u16(24)
        u32(0); u32(0); u32(2835); u32(2835); u32(0); u32(0)
        let bmpURL = dir.appendingPathComponent("bomb.bmp")
        try bmp.write(to: bmpURL)
        assertRefused(bmpURL, mentioning: "60000x60000")
    }

    func testThePixelLimitIsAParameter() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        let jpeg = dir.appendingPathComponent("a.jpg"), png = dir.appendingPathComponent("a.png")
        try ImageIO.writeJPEG(gradient(64, 48), to: jpeg)
        try ImageIO.writePNG(gradient(64, 48), to: png)
        for url in [jpeg, png] {
            assertRefused(url, mentioning: "64x48 is 0.0 megapixels, over the limit of 0.0 megapixels", maxPixels: 64 * 48 - 1)
            XCTAssertEqual(try ImageIO.read(url, maxPixels: 64 * 48).width, 64)
        }
        // Other failures are not size-limit errors.
        XCTAssertFalse(ImageIO.isSizeLimitError(SeqError("corrupt JPEG", file: jpeg.path)))
    }

    func testLargeJPEGDecodesAtReducedScale() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        let url = dir.appendingPathComponent("large.jpg")
        let full = gradient(2048, 1536)
        try ImageIO.writeJPEG(full, to: url, quality: 90)
        // The strongest of 1/2, 1/4, 1/8 that keeps the longer side at least as long as asked.
        let cases: [(Int?, Int, Int)] = [(nil, 2048, 1536), (2048, 2048, 1536), (2000, 2048, 1536), (1024, 1024, 768),
                                         (1000, 1024, 768), (300, 512, 384), (256, 256, 192), (100, 256, 192)]
        for (side, w, h) in cases {
            let d = try ImageIO.read(url, reducingTo: side)
            XCTAssertEqual([d.image.width, d.image.height, d.fullWidth, d.fullHeight], [w, h, 2048, 1536], "reducing to \(side ?? 0)")
            XCTAssertEqual(d.scaleX, Float(2048) / Float(w))
        }
        // Odd sides round up, as TurboJPEG's own TJSCALED does.
        XCTAssertEqual(JPEGCodec.scaled(1001, tjscalingfactor(num: 1, denom: 8)), 126)
        // The reduced decode is the same picture: close to decoding fully and averaging 4x4 blocks.
        let quarter = try ImageIO.read(url, reducingTo: 512).image
        let reference = try ImageIO.read(url).resizedArea(width: 512, height: 384)
        let mae = zip(quarter.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / quarter.pixels.count
        XCTAssertLessThanOrEqual(mae, 6)
        // PNG has no reduced decoding: it comes back whole, with its size.
        let png = dir.appendingPathComponent("p.png")
        try ImageIO.writePNG(gradient(300, 200), to: png)
        let p = try ImageIO.read(png, reducingTo: 50)
        XCTAssertEqual([p.image.width, p.fullWidth, p.fullHeight], [300, 300, 200])
        XCTAssertEqual(p.scaleX, 1)
    }

    /// CMYK written through TurboJPEG (as YCCK with Adobe's marker, like Photoshop), inverted the
    /// Adobe way: 255 means no ink.
    private func cmykJPEG(_ inks: [[UInt8]], width: Int, height: Int) throws -> Data {
        var pixels: [UInt8] = []
        for p in 0..<(width * height) { pixels += inks[p % inks.count].map { 255 - $0 } }
        let handle = try XCTUnwrap(tjInitCompress())
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_CMYK.rawValue), &out, &size,
                        Int32(TJSAMP_444.rawValue), 100, 0)
        }
        XCTAssertEqual(rc, 0)
        defer { tjFree(out) }
        return Data(bytes: try XCTUnwrap(out), count: Int(size))
    }

    func testCMYKJPEGDecodesToRGB() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        let url = dir.appendingPathComponent("cmyk.jpg")
        // Whole 8x8 blocks of one ink mix each, so compression keeps them near exact.
        let inks: [[UInt8]] = [[0, 255, 255, 0], [255, 0, 255, 0], [255, 255, 0, 0], [0, 0, 0, 0], [0, 0, 0, 128], [0, 0, 0, 255]]
        let expected: [[Int]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [127, 127, 127], [0, 0, 0]]
        var blocks: [[UInt8]] = []
        let w = 8 * inks.count, h = 8
        for y in 0..<h { for x in 0..<w { _ = y; blocks.append(inks[x / 8]) } }
        let data = try cmykJPEG(blocks, width: w, height: h)
        data.withUnsafeBytes { XCTAssertTrue(JPEGCodec.hasAdobeMarker($0)) }
        try data.write(to: url)
        let img = try ImageIO.read(url)
        XCTAssertEqual([img.width, img.height, img.channels], [w, h, 3])
        for (k, rgb) in expected.enumerated() {
            for c in 0..<3 {
                XCTAssertEqual(Int(img[8 * k + 4, 4, c]), rgb[c], accuracy: 6, "block \(k) channel \(c)")
            }
        }
        let gray = try ImageIO.read(url, grayscale: true)
        XCTAssertEqual(gray.channels, 1)
        XCTAssertEqual(Int(gray[8 * 3 + 4, 4, 0]), 255, accuracy: 6)
        // Reduced-scale decoding works for CMYK too.
        let small = try ImageIO.read(url, reducingTo: 12)
        XCTAssertEqual([small.image.width, small.image.height, small.fullWidth], [12, 2, 48])
        // Without Adobe's marker the values are taken as plain ink amounts.
        XCTAssertEqual(JPEGCodec.rgb(fromCMYK: [0, 255, 255, 0], width: 1, height: 1, inverted: false).pixels, [255, 0, 0])
        XCTAssertEqual(JPEGCodec.rgb(fromCMYK: [255, 0, 0, 255], width: 1, height: 1, inverted: true).pixels, [255, 0, 0])
    }

    func testGrayscaleJPEGReadsAsRGBOrGray() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        let url = dir.appendingPathComponent("gray.jpg")
        let gray = gradient(40, 30).grayscale()
        try ImageIO.writeJPEG(gray, to: url, quality: 100)
        let rgb = try ImageIO.read(url)
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(rgb[10, 10, 0], rgb[10, 10, 2])
        let back = try ImageIO.read(url, grayscale: true)
        let mae = zip(back.pixels, gray.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / gray.pixels.count
        XCTAssertLessThanOrEqual(mae, 1)
    }

    func testPNGColourTypesAndDepths() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        func read(_ data: Data, _ name: String) throws -> Image {
            let url = dir.appendingPathComponent(name)
            try data.write(to: url)
            return try ImageIO.read(url)
        }
        // 16-bit RGB: the high byte of each sample.
        let rgb16 = try read(PNGWriter.file(width: 2, height: 1, depth: 16, colorType: 2,
                                            rows: [[0xFF, 0x00, 0x80, 0x01, 0x00, 0xFF, 0x10, 0x00, 0x20, 0x00, 0x30, 0x00]]), "rgb16.png")
        XCTAssertEqual(rgb16.pixels, [255, 128, 1, 16, 32, 48])  // 0x00FF rounds to 1, 0x8001 to 128
        // 16-bit gray.
        let gray16 = try read(PNGWriter.file(width: 2, height: 1, depth: 16, colorType: 0, rows: [[0x00, 0x00, 0xC8, 0x00]]), "g16.png")
        XCTAssertEqual(gray16.pixels, [0, 0, 0, 200, 200, 200])
        // Paletted, 8 and 2 bits per index.
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]
        let pal8 = try read(PNGWriter.file(width: 3, height: 1, depth: 8, colorType: 3, rows: [[2, 0, 1]], palette: palette), "pal8.png")
        XCTAssertEqual(pal8.pixels, [0, 0, 255, 255, 0, 0, 0, 255, 0])
        // Packed indices, leftmost pixel in the high bits.
        let pal2 = try read(PNGWriter.file(width: 4, height: 1, depth: 2, colorType: 3, rows: [[0b11_10_01_00]], palette: palette), "pal2.png")
        XCTAssertEqual(pal2.pixels, [9, 9, 9, 0, 0, 255, 0, 255, 0, 255, 0, 0])
        // RGBA and gray+alpha: the colour is kept, the alpha channel dropped.
        let rgba = try read(PNGWriter.file(width: 2, height: 1, depth: 8, colorType: 6, rows: [[10, 20, 30, 255, 40, 50, 60, 0]]), "rgba.png")
        XCTAssertEqual(rgba.pixels, [10, 20, 30, 40, 50, 60])
        let ga = try read(PNGWriter.file(width: 2, height: 1, depth: 8, colorType: 4, rows: [[70, 255, 90, 0]]), "ga.png")
        XCTAssertEqual(ga.pixels, [70, 70, 70, 90, 90, 90])
        let rgba16 = try read(PNGWriter.file(width: 1, height: 1, depth: 16, colorType: 6, rows: [[0xFF, 0, 0x80, 0, 0, 0, 0xFF, 0xFF]]), "rgba16.png")
        XCTAssertEqual(rgba16.pixels, [255, 128, 0])
    }

    func testEmptyAndOneLineImages() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        // Headers that claim no pixels fail cleanly, naming the file.
        let png0 = dir.appendingPathComponent("zero.png")
        try PNGWriter.file(width: 0, height: 1, depth: 8, colorType: 2, rows: [[]]).write(to: png0)
        let jpeg0 = dir.appendingPathComponent("zero.jpg")
        try jpegClaiming(width: 64, height: 0).write(to: jpeg0)
        var bmp = Data([0x42, 0x4D])
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bmp.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bmp.append(contentsOf: $0) } }
        u32(54); u32(0); u32(54); u32(40); u32(0); u32(5); u16(1); u16(24); u32(0); u32(0); u32(2835); u32(2835); u32(0); u32(0)
        let bmp0 = dir.appendingPathComponent("zero.bmp")
        try bmp.write(to: bmp0)
        for url in [png0, jpeg0, bmp0] {
            XCTAssertThrowsError(try ImageIO.read(url)) { error in
                XCTAssertTrue("\(error)".hasPrefix(url.path + ": "), "\(error)")
                XCTAssertFalse(ImageIO.isSizeLimitError(error))
            }
        }
        XCTAssertThrowsError(try ImageIO.read(png0)) { XCTAssertTrue("\($0)".contains("no pixels (0x1)"), "\($0)") }
        // One row, one column, one pixel: they read back, shrink and grow.
        for (w, h) in [(97, 1), (1, 97), (1, 1)] {
            let img = gradient(w, h)
            for ext in ["png", "jpg"] {
                let url = dir.appendingPathComponent("line_\(w)x\(h).\(ext)")
                try ImageIO.write(img, to: url)
                let back = try ImageIO.read(url)
                XCTAssertEqual([back.width, back.height], [w, h], url.lastPathComponent)
                // Reduced decoding keeps the longer side at least as asked and never reaches zero.
                let reduced = try ImageIO.read(url, reducingTo: 8).image
                let expected = ext == "jpg" ? [(w + 7) / 8, (h + 7) / 8] : [w, h]
                XCTAssertEqual([reduced.width, reduced.height], expected, url.lastPathComponent)
                XCTAssertEqual(back.resizedArea(width: max(1, w / 10), height: max(1, h / 10)).pixels.count, max(1, w / 10) * max(1, h / 10) * 3)
                XCTAssertEqual(back.resizedArea(width: 3, height: 3).pixels.count, 27)
            }
        }
    }

    func testADirectoryIsNotAFile() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        let folder = dir.appendingPathComponent("photo.jpg")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageIO.read(folder)) { XCTAssertEqual("\($0)", "\(folder.path): is a directory, not an image file") }
        let video = dir.appendingPathComponent("clip.mp4")
        try FileManager.default.createDirectory(at: video, withIntermediateDirectories: true)
        XCTAssertThrowsError(try VideoReader(url: video)) { XCTAssertEqual("\($0)", "\(video.path): is a directory, not a video file") }
        XCTAssertThrowsError(try ImageIO.read(dir.appendingPathComponent("none.png"))) { XCTAssertTrue("\($0)".hasSuffix(": no such file")) }
    }
}
