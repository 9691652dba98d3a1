import Foundation
import SeqCore
import XCTest
@testable import SeqMedia
import SeqTestSupport

final class VideoReaderTests: XCTestCase {
    func testDecodesEveryFrameOfTheSample() throws {
        let url = try TestFiles.asset("carphone_pristine.mp4")
        let reader = try VideoReader(url: url)
        XCTAssertEqual(reader.info.width, 176)
        XCTAssertEqual(reader.info.height, 144)
        XCTAssertEqual(reader.info.codec, "h264")
        XCTAssertEqual(reader.info.fps, 29.97, accuracy: 0.01)
        var frames: [VideoFrame] = []
        try reader.forEachFrame { frames.append($0) }
        XCTAssertEqual(frames.count, 120)
        XCTAssertEqual(frames.map(\.index), Array(0..<120))
        XCTAssertEqual(frames[0].time, 0, accuracy: 1e-6)
        XCTAssertEqual(frames[30].time, 30 / 29.97, accuracy: 1e-3)
        XCTAssertEqual(frames[0].image.channels, 3)
        XCTAssertEqual(frames[0].image.pixels.count, 176 * 144 * 3)
        // A real picture, not a blank buffer.
        let mean = frames[60].image.pixels.reduce(0) { $0 + Int($1) } / frames[60].image.pixels.count
        XCTAssertTrue((40...220).contains(mean), "mean \(mean)")
        XCTAssertNotEqual(frames[0].image, frames[119].image)
    }

    func testSkippingNonReferenceFramesKeepsTheOthersExactlyAtTheirIndices() throws {
        // carphone_pristine.mp4 is H.264 with 60 B-frames of 120; the decoder drops those that
        // no other frame refers to. Each frame it gives is the same picture, at the same index
        // and time, as when every frame is decoded.
        let url = try TestFiles.asset("carphone_pristine.mp4")
        var all: [Int: VideoFrame] = [:]
        try VideoReader(url: url).forEachFrame { all[$0.index] = $0 }
        let reader = try VideoReader(url: url, options: VideoReaderOptions(skipNonReferenceFrames: true))
        var kept: [VideoFrame] = []
        try reader.forEachFrame { kept.append($0) }
        XCTAssertGreaterThanOrEqual(kept.count, 60)
        XCTAssertLessThan(kept.count, 100, "non-reference frames dropped")
        XCTAssertEqual(kept.map(\.index), kept.map(\.index).sorted())
        XCTAssertEqual(Set(kept.map(\.index)).count, kept.count)
        XCTAssertEqual(kept.first?.index, 0)
        for f in kept {
            let same = try XCTUnwrap(all[f.index])
            XCTAssertEqual(f.time, same.time, accuracy: 1e-6)
            XCTAssertEqual(f.image, same.image, "frame \(f.index)")
        }
        // An MPEG-4 (AVI) stream drops its B-frames the same way.
        let avi = try VideoReader(url: try TestFiles.asset("Megamind.avi"), options: VideoReaderOptions(skipNonReferenceFrames: true))
        var aviFrames: [VideoFrame] = []
        try avi.forEachFrame { aviFrames.append($0) }
        XCTAssertLessThan(aviFrames.count, 270)
        XCTAssertEqual(Set(aviFrames.map(\.index)).count, aviFrames.count)
        XCTAssertTrue(aviFrames.allSatisfy { $0.index < 270 })
    }

    func testSkippingStillReportsATruncatedStream() throws {
        let data = try Data(contentsOf: try TestFiles.asset("Megamind.avi"))
        let url = try TestFiles.tempDirectory("seqcurate-test", removedAfter: self).appendingPathComponent("third.avi")
        try data.prefix(data.count / 3).write(to: url)
        let reader = try VideoReader(url: url, options: VideoReaderOptions(skipNonReferenceFrames: true))
        XCTAssertThrowsError(try reader.forEachFrame { _ in }) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testStrideTimeWindowSizeAndGray() throws {
        let url = try TestFiles.asset("carphone_pristine.mp4")
        var options = VideoReaderOptions(width: 88, grayscale: true, stride: 5)
        options.startTime = 1.0
        options.endTime = 2.0
        let reader = try VideoReader(url: url, options: options)
        var frames: [VideoFrame] = []
        try reader.forEachFrame { frames.append($0) }
        XCTAssertFalse(frames.isEmpty)
        for f in frames {
            XCTAssertEqual(f.index % 5, 0)
            XCTAssertGreaterThanOrEqual(f.time, 1.0 - 1e-6)
            XCTAssertLessThan(f.time, 2.0)
            XCTAssertEqual(f.image.width, 88)
            XCTAssertEqual(f.image.height, 72)
            XCTAssertEqual(f.image.channels, 1)
        }
        XCTAssertEqual(frames.count, 6) // frames 30...59 with index % 5 == 0
    }

    func testProbeCountsDecodedFrames() throws {
        let r = try MediaProbe.probe(try TestFiles.asset("carphone_pristine.mp4"))
        XCTAssertEqual(r.frames, 120)
        XCTAssertEqual(r.width, 176)
        XCTAssertEqual(r.height, 144)
        let m = try MediaProbe.probe(try TestFiles.asset("Megamind.avi"))
        XCTAssertEqual(m.frames, 270)
        XCTAssertEqual(m.codec, "mpeg4")
    }

    func testRotationMetadataIsHonoured() throws {
        let src = try TestFiles.asset("carphone_pristine.mp4")
        let ffmpeg = try TestMedia.ffmpeg()
        let out = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("rotated.mp4")
        let p = Process()
        p.executableURL = ffmpeg
        p.arguments = ["-v", "error", "-i", src.path, "-c", "copy", "-metadata:s:v:0", "rotate=90", "-y", out.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let reader = try VideoReader(url: out)
        XCTAssertEqual(reader.info.rotation, 270)
        XCTAssertEqual(reader.info.width, 144)
        XCTAssertEqual(reader.info.height, 176)
        let f = try XCTUnwrap(try reader.nextFrame())
        XCTAssertEqual(f.image.width, 144)
        XCTAssertEqual(f.image.height, 176)
        // The ffmpeg tool's own autorotation is the reference.
        let q = Process()
        let pipe = Pipe()
        q.executableURL = ffmpeg
        q.arguments = ["-v", "error", "-i", out.path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        q.standardOutput = pipe
        try q.run()
        let raw = pipe.fileHandleForReading.readDataToEndOfFile()
        q.waitUntilExit()
        XCTAssertEqual(raw.count, 144 * 176 * 3)
        let mae = zip(raw, f.image.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / raw.count
        XCTAssertLessThanOrEqual(mae, 2)
    }
}

final class BadVideoTests: XCTestCase {
    private func expectError(_ url: URL, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try MediaProbe.probe(url), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(url.path), "message does not name the file: \(message)", file: file, line: line)
            XCTAssertTrue(message.contains(text), "expected '\(text)' in: \(message)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), file: file, line: line)
        }
    }

    func testMissingFile() throws {
        expectError(URL(fileURLWithPath: "/nonexistent/video.mp4"), containing: "no such file")
    }

    func testZeroByteFile() throws {
        let url = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("empty.mp4")
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
        expectError(url, containing: "empty")
    }

    func testTextFileNamedMP4() throws {
        let url = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("notes.mp4")
        try "this is not a video\n".write(to: url, atomically: true, encoding: .utf8)
        expectError(url, containing: "not a readable video")
    }

    func testTruncatedMP4() throws {
        let data = try Data(contentsOf: try TestFiles.asset("carphone_pristine.mp4"))
        let url = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("half.mp4")
        try data.prefix(data.count / 2).write(to: url)
        expectError(url, containing: "not a readable video")
    }

    func testTruncatedAVIKeepsWhatItCanButReportsTruncation() throws {
        let data = try Data(contentsOf: try TestFiles.asset("Megamind.avi"))
        let url = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("half.avi")
        try data.prefix(data.count / 3).write(to: url)
        expectError(url, containing: "truncated")
    }

    func testAudioOnlyFileHasNoVideoStream() throws {
        // A one-second 8 kHz mono WAV, written by hand.
        var wav = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        let samples = 8000
        wav.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + samples * 2)); wav.append(contentsOf: Array("WAVE".utf8))
        wav.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(1); u32(8000); u32(16000); u16(2); u16(16)
        wav.append(contentsOf: Array("data".utf8)); u32(UInt32(samples * 2))
        for i in 0..<samples { u16(UInt16(bitPattern: Int16(sin(Double(i) * 0.3) * 8000))) }
        let url = try TestFiles.tempDirectory("seqcurate-test").appendingPathComponent("sound.mp4")
        try wav.write(to: url)
        expectError(url, containing: "no video stream")
    }
}
