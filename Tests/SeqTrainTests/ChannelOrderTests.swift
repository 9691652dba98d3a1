import XCTest
import SeqCore
import SeqMedia
import SeqNN
import SeqTestSupport
@testable import SeqTrain

/// `network.channel_order`: the colour-plane order a network is fed, recorded in the run's config
/// and honoured by the trainer's data path and by `FeatureExtractor`.
final class ChannelOrderTests: XCTestCase {
    private func image(_ pixels: [UInt8], side: Int) -> Image { Image(width: side, height: side, channels: 3, pixels: pixels) }

    func testPreprocessorWritesThePlanesInTheConfiguredOrder() {
        let side = 2
        var pixels: [UInt8] = []
        for i in 0..<(side * side) { pixels += [UInt8(200 + i), UInt8(100 + i), UInt8(i)] }   // R, G, B
        var rgb = [Float](repeating: 0, count: 3 * side * side), bgr = rgb
        FacePreprocessor(imageSize: side, cropSize: side, channels: 3).fill(image(pixels, side: side), offset: nil, mirror: false, into: &rgb)
        FacePreprocessor(imageSize: side, cropSize: side, channels: 3, channelOrder: .bgr)
            .fill(image(pixels, side: side), offset: nil, mirror: false, into: &bgr)
        let plane = side * side
        XCTAssertEqual(rgb[0], (200 - 127.5) / 128, "RGB: red first")
        XCTAssertEqual(bgr[0], (0 - 127.5) / 128, "BGR: blue first")
        XCTAssertEqual(Array(bgr[0..<plane]), Array(rgb[(2 * plane)...]))
        XCTAssertEqual(Array(bgr[plane..<(2 * plane)]), Array(rgb[plane..<(2 * plane)]))
        XCTAssertEqual(Array(bgr[(2 * plane)...]), Array(rgb[0..<plane]))
        // A gray network has one plane either way.
        var gray1 = [Float](repeating: 0, count: plane), gray2 = gray1
        FacePreprocessor(imageSize: side, cropSize: side, channels: 1).fill(image(pixels, side: side), offset: nil, mirror: false, into: &gray1)
        FacePreprocessor(imageSize: side, cropSize: side, channels: 1, channelOrder: .bgr)
            .fill(image(pixels, side: side), offset: nil, mirror: false, into: &gray2)
        XCTAssertEqual(gray1, gray2)
    }

    func testTheConfigRecordsTheOrderAndDefaultsToRGB() throws {
        let dir = try TestFiles.tempDirectory("seqorder", removedAfter: self)
        let url = dir.appendingPathComponent("config.json")
        func load(_ json: String) throws -> TrainConfig {
            try json.write(to: url, atomically: true, encoding: .utf8)
            return try TrainConfig.load(from: url)
        }
        XCTAssertEqual(NetworkConfig().channelOrder, .rgb)
        XCTAssertEqual(try load("{}").network.channelOrder, .rgb, "runs whose config does not name it were trained on RGB")
        var bgr = try load(#"{"network": {"channel_order": "bgr"}}"#)
        XCTAssertEqual(bgr.network.channelOrder, .bgr)
        XCTAssertTrue(String(decoding: try bgr.jsonData(), as: UTF8.self).contains(#""channel_order" : "bgr""#))
        XCTAssertThrowsError(try load(#"{"network": {"channel_order": "rbg"}}"#))
        // A preset replaces the shape, not the order.
        var flags = TrainOverrides()
        flags.network = .tiny
        try flags.apply(to: &bgr)
        XCTAssertEqual(bgr.network.channelOrder, .bgr)
        XCTAssertEqual(bgr.network.channels, NetworkConfig.tiny.channels)
    }

    /// A BGR network fed an image gives the features an RGB network with the same weights gives
    /// for the image with red and blue swapped.
    func testFeatureExtractorFollowsTheNetworksOrder() throws {
        let dir = try TestFiles.tempDirectory("seqorder", removedAfter: self)
        var rng = SeededGenerator(seed: 9)
        let side = 36
        let pixels = (0..<(side * side * 3)).map { _ in UInt8(rng.next() % 256) }
        var swapped = pixels
        for p in stride(from: 0, to: pixels.count, by: 3) { swapped.swapAt(p, p + 2) }
        let original = dir.appendingPathComponent("a.png"), mirrored = dir.appendingPathComponent("b.png")
        try ImageIO.writePNG(image(pixels, side: side), to: original)
        try ImageIO.writePNG(image(swapped, side: side), to: mirrored)
        var config = NetworkConfig.tiny
        var seed = SeededGenerator(seed: 1)
        let rgbNet = try FaceResNet(config: config, using: &seed)
        config.channelOrder = .bgr
        seed = SeededGenerator(seed: 1)
        let bgrNet = try FaceResNet(config: config, using: &seed)
        let rgb = FeatureExtractor(network: rgbNet, imageSize: 36), bgr = FeatureExtractor(network: bgrNet, imageSize: 36)
        XCTAssertEqual(bgr.preprocessor.channelOrder, .bgr)
        let a = try bgr.extract([original]), b = try rgb.extract([mirrored]), c = try rgb.extract([original])
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        XCTAssertGreaterThan(zip(a, c).map { abs($0 - $1) }.max()!, 1e-4, "the order matters for these weights")
    }

    /// The trainer's batches and a run's feature extractor both use the run's order.
    func testTrainerAndRunExtractorUseTheRunsOrder() throws {
        let work = try TestFiles.tempDirectory("seqorder", removedAfter: self)
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try TrainingList(file: try gen.writeList("identity.txt", folder: "id", classes: 2, perClass: 2, label: { $0 }), kind: .identity)
        var config = TrainConfig()
        config.network = .tiny
        config.network.channelOrder = .bgr
        config.data.imageSize = 36
        config.data.identityBatch = 2
        config.data.sequenceBatch = 0
        config.solver.maxIter = 1
        let run = work.appendingPathComponent("run")
        let trainer = try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, quiet: true))
        XCTAssertEqual(trainer.loader.preprocessor.channelOrder, .bgr)
        try trainer.run()
        XCTAssertEqual(try FeatureExtractor.load(run: run).preprocessor.channelOrder, .bgr)
        XCTAssertEqual(try TrainConfig.load(from: run.appendingPathComponent("config.json")).network.channelOrder, .bgr)
    }
}
