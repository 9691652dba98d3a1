import Foundation
import SeqCore
import XCTest
@testable import SeqMedia
import SeqTestSupport

final class ImageIOTests: XCTestCase {
    private func gradient(_ w: Int, _ h: Int, seed: Int = 0) -> Image {
        var img = Image(width: w, height: h)
        for y in 0..<h { for x in 0..<w {
            img[x, y, 0] = UInt8((x * 255 / max(w - 1, 1) + seed) & 255)
            img[x, y, 1] = UInt8((y * 255 / max(h - 1, 1)) & 255)
            img[x, y, 2] = UInt8(((x + y) * 3 + seed * 7) & 255)
        } }
        return img
    }

    func testPNGRoundTripIsLossless() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-test")
        let img = gradient(37, 23)
        let url = dir.appendingPathComponent("a.png")
        try ImageIO.writePNG(img, to: url)
        XCTAssertEqual(try ImageIO.read(url), img)
        let gray = img.grayscale()
        try ImageIO.writePNG(gray, to: url)
        XCTAssertEqual(try ImageIO.read(url, grayscale: true), gray)
    }

    func testConsecutivePNGsDoNotBlend() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-test")
        let a = gradient(32, 32, seed: 0), b = gradient(32, 32, seed: 100)
        try ImageIO.writePNG(a, to: dir.appendingPathComponent("a.png"))
        try ImageIO.writePNG(b, to: dir.appendingPathComponent("b.png"))
        XCTAssertEqual(try ImageIO.read(dir.appendingPathComponent("a.png")), a)
        XCTAssertEqual(try ImageIO.read(dir.appendingPathComponent("b.png")), b)
        XCTAssertEqual(try ImageIO.read(dir.appendingPathComponent("a.png")), a)
    }

    func testJPEGRoundTripIsClose() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-test")
        let img = gradient(64, 48)
        let hi = dir.appendingPathComponent("hi.jpg"), lo = dir.appendingPathComponent("lo.jpg")
        try ImageIO.writeJPEG(img, to: hi, quality: 95)
        try ImageIO.writeJPEG(img, to: lo, quality: 10)
        let back = try ImageIO.read(hi)
        XCTAssertEqual(back.width, 64)
        XCTAssertEqual(back.height, 48)
        let mae = zip(back.pixels, img.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / img.pixels.count
        XCTAssertLessThan(mae, 6)
        let size = { (u: URL) in (try FileManager.default.attributesOfItem(atPath: u.path)[.size] as! Int) }
        XCTAssertLessThan(try size(lo), try size(hi))
    }

    func testReadsRealJPEGAndHandWrittenBMP() throws {
        let messi = try ImageIO.read(try TestFiles.asset("messi5.jpg"))
        XCTAssertEqual(messi.width, 548)
        XCTAssertEqual(messi.height, 342)
        // 2x2 24-bit BMP, rows bottom-up, BGR, rows padded to 4 bytes.
        var bmp = Data([0x42, 0x4D])
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bmp.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bmp.append(contentsOf: $0) } }
        u32(70); u32(0); u32(54); u32(40); u32(2); u32(2); u16(1); u16(24); u32(0); u32(16); u32(2835); u32(2835); u32(0); u32(0)
        bmp.append(contentsOf: [0, 0, 255, 0, 255, 0, 0, 0]) // bottom row: red, green
        bmp.append(contentsOf: [255, 0, 0, 255, 255, 255, 0, 0]) // top row: blue, white
        let url = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("t.bmp")
        try bmp.write(to: url)
        let img = try ImageIO.read(url)
        XCTAssertEqual(img.pixels, [0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0])
    }

    func testUnreadableImagesNameTheFile() throws {
        let dir = try TestFiles.tempDirectory("seqcurate-test")
        let text = dir.appendingPathComponent("x.jpg")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ImageIO.read(text)) { XCTAssertTrue("\($0)".contains(text.path)) }
        let jpeg = try Data(contentsOf: try TestFiles.asset("messi5.jpg"))
        let cut = dir.appendingPathComponent("cut.jpg")
        try jpeg.prefix(200).write(to: cut)
        XCTAssertThrowsError(try ImageIO.read(cut)) { XCTAssertTrue("\($0)".contains(cut.path)) }
        XCTAssertThrowsError(try ImageIO.read(dir.appendingPathComponent("none.png"))) { XCTAssertTrue("\($0)".contains("no such file")) }
    }
}
