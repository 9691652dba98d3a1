import Foundation
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest
@testable import SeqDetect

final class MTCNNTests: XCTestCase {
    func testAreaResamplingAveragesPyTorchWindows() {
        // 5 -> 2 columns: windows [0, 3) and [2, 5) (floor(i*5/2) ..< ceil((i+1)*5/2)), overlapping.
        XCTAssertEqual(AreaResampler.windows(input: 5, output: 2).start, [0, 2])
        XCTAssertEqual(AreaResampler.windows(input: 5, output: 2).end, [3, 5])
        // 2 -> 3 (upsampling): each output takes one or two inputs.
        XCTAssertEqual(AreaResampler.windows(input: 2, output: 3).start, [0, 0, 1])
        XCTAssertEqual(AreaResampler.windows(input: 2, output: 3).end, [1, 2, 2])

        var image = Image(width: 5, height: 2, channels: 3)
        for x in 0..<5 { for y in 0..<2 { image[x, y, 0] = UInt8(10 * x + y); image[x, y, 1] = 100; image[x, y, 2] = UInt8(x) } }
        var out = [Float](repeating: 0, count: 3 * 2 * 1)
        out.withUnsafeMutableBufferPointer { p in
            AreaResampler.resample(RGBRegion(image), x0: 0, y0: 0, width: 5, height: 2, outWidth: 2, outHeight: 1,
                                   gain: 1, offset: 0, into: p.baseAddress!)
        }
        // Red: mean of 10x+y over x in window, y in {0,1}.
        XCTAssertEqual(out[0], (0 + 10 + 20) / 3 + 0.5, accuracy: 1e-4)
        XCTAssertEqual(out[1], (20 + 30 + 40) / 3 + 0.5, accuracy: 1e-4)
        XCTAssertEqual(out[2], 100, accuracy: 1e-4)
        XCTAssertEqual(out[5], 3, accuracy: 1e-4)
    }

    func testNonMaximumSuppressionVariants() {
        func box(_ x1: Float, _ y1: Float, _ x2: Float, _ y2: Float, _ s: Float) -> Candidate {
            Candidate(x1: x1, y1: y1, x2: x2, y2: y2, score: s)
        }
        let boxes = [box(0, 0, 10, 10, 0.8), box(1, 1, 11, 11, 0.9), box(20, 20, 30, 30, 0.5), box(2, 2, 6, 6, 0.7)]
        // IoU(0, 1) = 81 / 119 = 0.68: kept at 0.7, suppressed at 0.5. Box 3 lies inside 1: IoU 0.16.
        XCTAssertEqual(nonMaximumSuppression(boxes, threshold: 0.7, measure: .union), [1, 0, 3, 2])
        XCTAssertEqual(nonMaximumSuppression(boxes, threshold: 0.5, measure: .union), [1, 3, 2])
        // Over the smaller area box 3 is fully covered by box 1.
        XCTAssertEqual(nonMaximumSuppression(boxes, threshold: 0.7, measure: .minimum), [1, 2])
        XCTAssertEqual(nonMaximumSuppression([], threshold: 0.5, measure: .union), [])
    }

    func testPyramidScales() throws {
        let mtcnn = try TestPaths.detector()
        let scales = mtcnn.pyramidScales(width: 176, height: 144)
        // 144 * 0.6 = 86.4 shrinks by 0.709 while at least 12: 86.4, 61.3, 43.4, 30.8, 21.8, 15.5.
        XCTAssertEqual(scales.count, 6)
        XCTAssertEqual(scales[0], 0.6, accuracy: 1e-12)
        XCTAssertEqual(scales[1], 0.6 * 0.709, accuracy: 1e-12)
        XCTAssertEqual(mtcnn.pyramidScales(width: 19, height: 100), [])
    }

    func testMissingAndCorruptWeightsSayHowToFetchThem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seqdetect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("mtcnn.safetensors")
        XCTAssertThrowsError(try MTCNN(weights: missing)) { error in
            XCTAssertTrue("\(error)".contains("run tools/setup.sh"), "\(error)")
            XCTAssertTrue("\(error)".contains(missing.path), "\(error)")
        }
        let corrupt = dir.appendingPathComponent("corrupt.safetensors")
        try Data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).write(to: corrupt)
        XCTAssertThrowsError(try MTCNN(weights: corrupt)) { error in
            XCTAssertTrue("\(error)".contains("run tools/setup.sh"), "\(error)")
        }
        // A well-formed file without the MTCNN tensors.
        let other = dir.appendingPathComponent("other.safetensors")
        try SafeTensorsTestWriter.write(["x": ([2], [1, 2])], to: other)
        XCTAssertThrowsError(try MTCNN(weights: other)) { error in
            XCTAssertTrue("\(error)".contains("missing tensor"), "\(error)")
            XCTAssertTrue("\(error)".contains("run tools/setup.sh"), "\(error)")
        }
    }

    func testInvalidOptionsAreRejected() throws {
        XCTAssertThrowsError(try MTCNNOptions(thresholds: (0.6, 1.5, 0.7)).validate())
        XCTAssertThrowsError(try MTCNNOptions(scaleFactor: 1.2).validate())
        XCTAssertThrowsError(try MTCNNOptions(minFaceSize: 0).validate())
        XCTAssertNoThrow(try MTCNNOptions().validate())
    }

    func testTinyAndEmptyImagesGiveNoFaces() throws {
        let mtcnn = try TestPaths.detector()
        XCTAssertEqual(mtcnn.detect(Image(width: 15, height: 15)).count, 0)
        XCTAssertEqual(mtcnn.detect(Image(width: 0, height: 0, channels: 3)).count, 0)
        XCTAssertEqual(mtcnn.detect(Image(width: 64, height: 48)).count, 0)
        XCTAssertEqual(mtcnn.detect(Image(width: 40, height: 30, channels: 1)).count, 0)
    }

    func testMaxSideReportsFullSizeCoordinates() throws {
        let image = try ImageIO.read(TestFiles.asset("messi5.jpg"))
        let full = try TestPaths.detector().detect(image)
        XCTAssertEqual(full.count, 1)
        // 548x342 -> 400x250: the 27 px face shrinks to 20 px, so look for faces from 12 px.
        let small = try TestPaths.detector(MTCNNOptions(minFaceSize: 12, maxSide: 400)).detect(image)
        guard let a = full.first, let b = small.max(by: { $0.box.iou(a.box) < $1.box.iou(a.box) }) else {
            return XCTFail("no face at max side 400")
        }
        XCTAssertGreaterThan(a.box.iou(b.box), 0.7, "\(a.box) vs \(b.box)")
        XCTAssertLessThan(hypotf(a.leftEye.x - b.leftEye.x, a.leftEye.y - b.leftEye.y), 0.1 * a.box.width)
    }

    /// `detect(_:minFaceSize:excluding:pnetThreshold:)`: known faces are left out, and a surer
    /// P-Net threshold still finds a clear face (ingest's light key frames and searches).
    func testExcludingKnownFacesAndSurerProposals() throws {
        let image = try ImageIO.read(TestFiles.asset("astronaut.png"))
        let mtcnn = try TestPaths.detector()
        let all = mtcnn.detect(image, minFaceSize: 40)
        let face = try XCTUnwrap(all.first)
        let sure = mtcnn.detect(image, minFaceSize: 40, excluding: [], pnetThreshold: 0.8)
        XCTAssertTrue(sure.contains { $0.box.iou(face.box) > 0.9 }, "\(sure) vs \(face)")
        XCTAssertLessThanOrEqual(sure.count, all.count)
        let others = mtcnn.detect(image, minFaceSize: 40, excluding: [face.box])
        XCTAssertFalse(others.contains { $0.box.iou(face.box) > 0.3 })
        XCTAssertEqual(others.count, all.filter { $0.box.iou(face.box) <= 0.3 }.count)
    }

    func testGrayscaleImagesAreDetected() throws {
        let image = try ImageIO.read(TestFiles.asset("messi5.jpg"), grayscale: true)
        XCTAssertEqual(image.channels, 1)
        XCTAssertEqual(try TestPaths.detector().detect(image).count, 1)
    }

    func testConcurrentDetectionMatchesSerial() throws {
        let mtcnn = try TestPaths.detector()
        let reader = try VideoReader(url: TestFiles.asset("carphone_pristine.mp4"),
                                     options: VideoReaderOptions(stride: 12))
        var frames: [Image] = []
        while let f = try reader.nextFrame() { frames.append(f.image) }
        XCTAssertEqual(frames.count, 10)
        let serial = frames.map { mtcnn.detect($0) }
        var parallel = [[FaceDetection]](repeating: [], count: frames.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: frames.count) { i in
            let faces = mtcnn.detect(frames[i])
            lock.lock(); parallel[i] = faces; lock.unlock()
        }
        XCTAssertEqual(serial, parallel)
        XCTAssertEqual(serial.map { $0.count }, [Int](repeating: 1, count: 10))
    }
}

/// Writes a minimal safetensors file for the bad-weights test (independent of SeqNN's writer).
enum SafeTensorsTestWriter {
    static func write(_ tensors: [String: (shape: [Int], values: [Float])], to url: URL) throws {
        var header: [(String, JSONValue)] = []
        var payload = Data()
        for (name, t) in tensors.sorted(by: { $0.key < $1.key }) {
            let start = payload.count
            for v in t.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
            header.append((name, .object([("dtype", .string("F32")), ("shape", .array(t.shape.map { .int($0) })),
                                          ("data_offsets", .array([.int(start), .int(payload.count)]))])))
        }
        let json = Data(JSONValue.object(header).serialized(.compact).utf8)
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(payload)
        try file.write(to: url)
    }
}
