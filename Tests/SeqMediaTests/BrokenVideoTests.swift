import Foundation
import SeqCore
import XCTest
@testable import SeqMedia
import SeqTestSupport

/// Videos cut off before their first frame: every reader of them must fail, never yield nothing.
final class BrokenVideoTests: XCTestCase {
    func testTruncatedWebMAndMKVFailInsteadOfEndingEmpty() throws {
        let dir = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self)
        for ext in ["mkv", "webm"] {
            let url = try TestMedia.truncatedMatroska(ext, in: dir)
            let expected = "\(url.path): no frame could be decoded (truncated or corrupt)"
            // Opening works (the header is whole); reading must not end quietly.
            let reader = try VideoReader(url: url, options: VideoReaderOptions(stride: 5))
            XCTAssertThrowsError(try reader.nextFrame(), ext) { XCTAssertEqual("\($0)", expected) }
            XCTAssertNil(try reader.nextFrame(), "after the error the reader is at its end")
            XCTAssertThrowsError(try VideoReader(url: url).countRemainingFrames(), ext) { XCTAssertEqual("\($0)", expected) }
            XCTAssertThrowsError(try MediaProbe.probe(url), ext) { XCTAssertEqual("\($0)", expected) }
        }
    }

    func testTruncatedAVIFailsAtTheEndForEveryReader() throws {
        let data = try Data(contentsOf: try TestFiles.asset("Megamind.avi"))
        let url = try TestFiles.tempDirectory("seqmedia-test", removedAfter: self).appendingPathComponent("third.avi")
        try data.prefix(data.count / 3).write(to: url)
        let reader = try VideoReader(url: url)
        var frames = 0
        XCTAssertThrowsError(try reader.forEachFrame { _ in frames += 1 }) { XCTAssertTrue("\($0)".contains("truncated: decoded"), "\($0)") }
        XCTAssertGreaterThan(frames, 0, "the frames that are there are still delivered")
    }

    func testWholeVideosAndTimeWindowsStillEndNormally() throws {
        let url = try TestFiles.asset("carphone_pristine.mp4")
        XCTAssertEqual(try VideoReader(url: url, options: VideoReaderOptions(stride: 7)).countRemainingFrames(), 18)
        // A window that stops early, or starts by seeking, is not a truncated file.
        XCTAssertEqual(try VideoReader(url: url, options: VideoReaderOptions(endTime: 0.5)).countRemainingFrames(), 15)
        XCTAssertEqual(try VideoReader(url: url, options: VideoReaderOptions(startTime: 3.9)).countRemainingFrames(), 3)
    }
}
