import Foundation
import SeqCore
import SeqDetect
import SeqMedia
import SeqNN
import SeqTestSupport
import XCTest
@testable import SeqEmbed

/// The dlib face embedding against dlib's own descriptors (Tests/Fixtures/embedding, made by
/// tools/make_embedding_fixture.py with dlib-bin 20.0.1) on real weights from assets/.
final class FaceEmbedderTests: XCTestCase {
    /// One embedder for all tests of this class (loading 22 MB of weights once).
    nonisolated(unsafe) static var shared: FaceEmbedder?

    func embedder() throws -> FaceEmbedder {
        if let e = Self.shared { return e }
        let e = try FaceEmbedder(weights: TestFiles.asset(FaceEmbedder.weightsFileName))
        Self.shared = e
        return e
    }

    func chip(_ name: String) throws -> Image {
        try ImageIO.read(TestFiles.fixture("embedding/\(name)_chip.png"))
    }

    func dlibDescriptor(_ name: String) throws -> [Float] {
        try NPYArray<Float>.read(from: TestFiles.fixture("embedding/\(name)_dlib.npy")).values
    }

    /// Our network on dlib's own chips gives dlib's descriptors, every number within 1e-3.
    func testDescriptorsMatchDlibOnItsChips() throws {
        let names = ["messi", "carphone_000", "carphone_110"]
        let ours = try embedder().embed(names.map(chip))
        for (name, d) in zip(names, ours) {
            let ref = try dlibDescriptor(name)
            XCTAssertEqual(d.count, 128)
            let worst = zip(d, ref).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-3, "\(name): largest difference \(worst)")
        }
    }

    /// Batches give the same numbers as single chips (the batch is one set of wide products).
    func testBatchAgreesWithSingleChips() throws {
        let e = try embedder()
        let chips = try ["messi", "carphone_000", "carphone_110"].map(chip)
        let batch = try e.embed(chips + chips)
        XCTAssertEqual(batch.count, 6)
        for (i, c) in chips.enumerated() {
            let one = try e.embed(c)
            XCTAssertLessThan(FaceEmbedder.distance(one, batch[i]), 1e-4)
            XCTAssertLessThan(FaceEmbedder.distance(one, batch[i + 3]), 1e-4)
        }
    }

    /// Calls from several threads at once each borrow a network of the pool; the copies share
    /// the first one's weights and transforms and give the same descriptors.
    func testConcurrentCallsAgreeWithOneThread() throws {
        let e = try embedder()
        let chips = try ["messi", "carphone_000", "carphone_110"].map(chip)
        let expected = try chips.map { try e.embed($0) }
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 12)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 12) { i in
            results[i] = (try? e.embed(chips[i % 3])) ?? []
        }
        for i in 0..<12 {
            XCTAssertEqual(results[i].count, FaceEmbedder.dimension)
            XCTAssertLessThan(FaceEmbedder.distance(results[i], expected[i % 3]), 1e-5, "call \(i)")
        }
    }

    /// Two frames of the carphone speaker are the same person at dlib's threshold; the speaker
    /// and the player in messi5.jpg are not.
    func testSameAndDifferentPeople() throws {
        let d = try embedder().embed(["messi", "carphone_000", "carphone_110"].map(chip))
        XCTAssertLessThan(FaceEmbedder.distance(d[1], d[2]), FaceEmbedder.sameIdentityThreshold)
        XCTAssertGreaterThan(FaceEmbedder.distance(d[0], d[1]), FaceEmbedder.sameIdentityThreshold)
        XCTAssertGreaterThan(FaceEmbedder.distance(d[0], d[2]), FaceEmbedder.sameIdentityThreshold)
    }

    /// The whole path on a photo: MTCNN, our chip from its five landmarks, the network; the
    /// descriptor lands near dlib's full pipeline (its detector, shape predictor and chip) for
    /// the same face.
    func testMTCNNChipIsNearDlibsPipeline() throws {
        let image = try ImageIO.read(TestFiles.asset("messi5.jpg"))
        let mtcnn = try MTCNN(weights: TestFiles.asset("mtcnn.safetensors"))
        let faces = mtcnn.detect(image)
        // The face dlib found (its box is 225,94 to 261,130).
        let face = try XCTUnwrap(faces.first { $0.box.center.x > 225 && $0.box.center.x < 261 && $0.box.center.y > 94 && $0.box.center.y < 130 })
        let chip = try XCTUnwrap(FaceChip.extract(from: image, face: face))
        XCTAssertEqual([chip.width, chip.height, chip.channels], [150, 150, 3])
        let ours = try embedder().embed(chip)
        XCTAssertLessThan(FaceEmbedder.distance(ours, try dlibDescriptor("messi")), 0.2)
        // dlib's own pipeline (the shape predictor and the detector's filters lie next to the
        // weights in assets/): dlib's box, landmarks and chip, so dlib's descriptor up to the
        // JPEG decoder (tools/chip_template.py measure: within 0.0005 on PNG-decoded images).
        XCTAssertNotNil(try embedder().shapePredictor)
        XCTAssertNotNil(try embedder().detector)
        let dlibChip = try XCTUnwrap(try embedder().chip(of: face, in: image))
        let viaPredictor = try embedder().embed(dlibChip)
        let distance = FaceEmbedder.distance(viaPredictor, try dlibDescriptor("messi"))
        XCTAssertLessThan(distance, 0.001)  // 0.0001 here
        let viaFaces = try embedder().embed(faces: [face], in: image)
        XCTAssertEqual(viaFaces.count, 1)
        XCTAssertLessThan(FaceEmbedder.distance(try XCTUnwrap(viaFaces[0]), viaPredictor), 1e-5)
    }

    /// A large face (astronaut.png's, each pixel repeated 3 x 3: dlib halves the image around it
    /// with its pyramid_down<2> before sampling): our pipeline cuts dlib's chip, value for value
    /// but for a few rounding flips, and so gives dlib's descriptor.
    func testLargeFaceChipIsDlibsChip() throws {
        let source = try ImageIO.read(TestFiles.asset("astronaut.png"))
        // Rows 40-219, columns 130-309, each pixel 3 x 3 (tools/make_embedding_fixture.py).
        var image = Image(width: 540, height: 540, channels: 3)
        for y in 0..<540 {
            for x in 0..<540 {
                for c in 0..<3 { image.pixels[(y * 540 + x) * 3 + c] = source.pixels[((40 + y / 3) * source.width + 130 + x / 3) * 3 + c] }
            }
        }
        let mtcnn = try MTCNN(weights: TestFiles.asset("mtcnn.safetensors"))
        let face = try XCTUnwrap(FaceDetection.mainFace(mtcnn.detect(image), width: 540, height: 540))
        let ours = try XCTUnwrap(try embedder().chip(of: face, in: image))
        let dlib = try chip("astronaut_x3")
        let differing = zip(ours.pixels, dlib.pixels).filter { $0 != $1 }.count
        let largest = zip(ours.pixels, dlib.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThanOrEqual(largest, 1, "largest difference to dlib's chip")
        XCTAssertLessThan(differing, ours.pixels.count / 100, "values differing from dlib's chip")
        XCTAssertLessThan(FaceEmbedder.distance(try embedder().embed(ours), try dlibDescriptor("astronaut_x3")), 0.001)
    }

    func testWrongChipSizeIsAnError() throws {
        let e = try embedder()
        XCTAssertThrowsError(try e.embed(Image(width: 112, height: 112))) { error in
            XCTAssertTrue("\(error)".contains("150x150"), "\(error)")
        }
        XCTAssertThrowsError(try e.embed(Image(width: 150, height: 150, channels: 1)))
        XCTAssertEqual(try e.embed([]).count, 0)
    }

    func testMissingOrBadWeightsAreOneLineErrors() throws {
        let dir = try TestFiles.tempDirectory("embed-weights")
        let missing = dir.appendingPathComponent("none.safetensors")
        XCTAssertThrowsError(try FaceEmbedder(weights: missing)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("none.safetensors") && text.contains("tools/setup.sh"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
        // A valid safetensors file without the network's tensors.
        let other = dir.appendingPathComponent("other.safetensors")
        try SafeTensors.write(["x": Tensor(zeros: [2])], to: other)
        XCTAssertThrowsError(try FaceEmbedder(weights: other)) { error in
            XCTAssertTrue("\(error)".contains("conv0.weight"), "\(error)")
        }
        let garbage = dir.appendingPathComponent("garbage.safetensors")
        try Data("not a weights file".utf8).write(to: garbage)
        XCTAssertThrowsError(try FaceEmbedder(weights: garbage)) { error in
            XCTAssertTrue("\(error)".contains("garbage.safetensors"), "\(error)")
        }
    }

    /// dlib's add_prev: tensors of different channel counts and sizes add as if zero-padded.
    func testZeroPaddedAdd() {
        let a = Tensor(shape: [1, 1, 1, 2], data: [1, 2])
        let b = Tensor(shape: [1, 2, 2, 1], data: [10, 20, 30, 40])
        let s = DlibResNet.addZeroPadded(a, b)
        XCTAssertEqual(s.shape, [1, 2, 2, 2])
        XCTAssertEqual(s.data, [11, 2, 20, 0, 30, 0, 40, 0])
    }
}
