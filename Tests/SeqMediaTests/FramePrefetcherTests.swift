import Foundation
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest

/// Decoding ahead on a thread of its own gives exactly the frames, in the order and with the
/// errors, that reading the video directly gives.
final class FramePrefetcherTests: XCTestCase {
    func testBatchesHoldTheReadersFramesInOrder() throws {
        let url = try TestFiles.asset("carphone_pristine.mp4")
        let direct = try VideoReader(url: url)
        var expected: [VideoFrame] = []
        while let f = try direct.nextFrame() { expected.append(f) }

        let frames = FramePrefetcher(try VideoReader(url: url), batchSize: 7, depth: 2)
        defer { frames.stop() }
        var got: [VideoFrame] = []
        var sizes: [Int] = []
        while case let batch = try frames.nextBatch(), !batch.isEmpty {
            sizes.append(batch.count)
            got += batch
        }
        XCTAssertEqual(got.count, expected.count)
        XCTAssertEqual(sizes.dropLast().allSatisfy { $0 == 7 }, true)
        XCTAssertEqual(sizes.last, expected.count % 7 == 0 ? 7 : expected.count % 7)
        for (a, b) in zip(got, expected) {
            XCTAssertEqual(a.index, b.index)
            XCTAssertEqual(a.time, b.time)
            XCTAssertEqual(a.image.pixels, b.image.pixels, "frame \(a.index)")
        }
        // After the end: nothing more, again and again.
        XCTAssertTrue(try frames.nextBatch().isEmpty)
        XCTAssertTrue(try frames.nextBatch().isEmpty)
    }

    func testAReadErrorComesAfterTheFramesDecodedBeforeIt() throws {
        // A third of the AVI: frames decode, then the reader reports the truncation.
        let data = try Data(contentsOf: try TestFiles.asset("Megamind.avi"))
        let url = try TestFiles.tempDirectory("seqcurate-prefetch", removedAfter: self).appendingPathComponent("third.avi")
        try data.prefix(data.count / 3).write(to: url)
        let frames = FramePrefetcher(try VideoReader(url: url), batchSize: 16)
        defer { frames.stop() }
        var decoded = 0
        do {
            while case let batch = try frames.nextBatch(), !batch.isEmpty { decoded += batch.count }
            XCTFail("a truncated video must end in an error")
        } catch let error as SeqError {
            XCTAssertTrue(error.reason.contains("truncated"), error.reason)
            XCTAssertEqual(error.file, url.path)
        }
        XCTAssertGreaterThan(decoded, 0)
        XCTAssertTrue(try frames.nextBatch().isEmpty, "nothing comes after the error")
    }

    func testStoppingEarlyReleasesTheReader() throws {
        let frames = FramePrefetcher(try VideoReader(url: try TestFiles.asset("carphone_pristine.mp4")), batchSize: 4, depth: 1)
        XCTAssertEqual(try frames.nextBatch().count, 4)
        frames.stop()
        frames.stop()  // twice is fine
        XCTAssertTrue(try frames.nextBatch().isEmpty)
    }
}
