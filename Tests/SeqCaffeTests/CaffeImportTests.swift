import Foundation
@testable import SeqCaffe
import SeqCore
import SeqMedia
import SeqNN
import SeqTestSupport
import SeqTrain
import XCTest

/// The Caffe fixtures of tools/make_caffe_fixture.py, imported and run against the NumPy
/// reference features that script computed (relative tolerance 1e-4).
final class CaffeImportTests: XCTestCase {
    static let tolerance: Float = 1e-4

    private func fixture(_ name: String) throws -> (deploy: URL, weights: URL, mean: URL, dir: URL) {
        let dir = try TestFiles.fixture("caffe/\(name)")
        return (dir.appendingPathComponent("deploy.prototxt"), dir.appendingPathComponent("model.caffemodel"),
                dir.appendingPathComponent("mean.binaryproto"), dir)
    }

    private func images() throws -> [URL] {
        [try TestFiles.fixture("caffe/face1.png"), try TestFiles.fixture("caffe/face2.png")]
    }

    private func npy(_ url: URL) throws -> NPYArray<Float> { try NPYArray<Float>.read(from: url) }

    /// Largest element difference relative to the largest reference magnitude.
    static func relativeError(_ got: [Float], _ want: [Float]) -> Float {
        precondition(got.count == want.count, "\(got.count) values vs \(want.count)")
        let scale = want.map(abs).max() ?? 0
        return zip(got, want).map { abs($0 - $1) }.max()! / max(scale, 1e-12)
    }

    private func assertClose(_ got: [Float], _ want: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let e = Self.relativeError(got, want)
        XCTAssertLessThan(e, Self.tolerance, "\(what): relative error \(e)", file: file, line: line)
        print("agreement \(what): max relative error \(e)")
    }

    private func resOptions() -> CaffeImportOptions {
        var o = CaffeImportOptions()
        o.resizeHeight = 36
        o.resizeWidth = 36
        return o
    }

    // MARK: - Agreement with the reference

    func testResNetFixtureMatchesTheReference() throws {
        let f = try fixture("res")
        let imported = try CaffeImporter.load(deploy: f.deploy, weights: f.weights, mean: f.mean, options: resOptions())
        let graph = imported.manifest.graph
        XCTAssertEqual(graph.inputShape, [3, 32, 32])
        XCTAssertEqual(graph.output, "norm")
        XCTAssertEqual(imported.report.skippedLayers, [], "the TRAIN-only loss layer is not part of the test net")
        XCTAssertEqual(imported.manifest.preprocess.channelOrder, "bgr")
        XCTAssertTrue(imported.manifest.preprocess.meanImage)

        let extractor = try GraphFeatureExtractor(manifest: imported.manifest, weights: imported.weights)
        // The network alone, on the reference input.
        let input = try npy(f.dir.appendingPathComponent("input.npy"))
        let want = try npy(f.dir.appendingPathComponent("features.npy"))
        XCTAssertEqual(want.shape, [2, 16])
        let y = extractor.network.forward(Tensor(shape: input.shape, data: input.values))
        assertClose(y.data, Array(want.values[0..<16]), "res network on input.npy")
        // Preprocessing alone.
        let x = extractor.input(for: [try ImageIO.read(try images()[0])])
        assertClose(x.data, input.values, "res preprocessing of face1.png")
        // Both, from the image files.
        assertClose(try extractor.extract(try images()), want.values, "res features of face1/face2.png")
    }

    func testOutputOptionPicksAnInnerBlob() throws {
        let f = try fixture("res")
        var options = resOptions()
        options.output = "fc5"
        let imported = try CaffeImporter.load(deploy: f.deploy, weights: f.weights, mean: f.mean, options: options)
        XCTAssertEqual(imported.manifest.graph.output, "fc5")
        XCTAssertEqual(imported.report.skippedLayers, ["norm"])
        let extractor = try GraphFeatureExtractor(manifest: imported.manifest, weights: imported.weights)
        let want = try npy(f.dir.appendingPathComponent("fc5.npy"))
        assertClose(try extractor.extract(try images()), want.values, "res --output fc5")

        options.output = "nonesuch"
        XCTAssertThrowsError(try CaffeImporter.load(deploy: f.deploy, weights: f.weights, mean: f.mean, options: options)) { e in
            XCTAssertTrue("\(e)".contains("--output 'nonesuch' is not a blob"), "\(e)")
        }
    }

    func testBatchNormScaleFixtureAtNonSquareInputFoldedAndNot() throws {
        let f = try fixture("bn")
        let want = try npy(f.dir.appendingPathComponent("features.npy"))
        let input = try npy(f.dir.appendingPathComponent("input.npy"))
        var nodeCounts: [Int] = []
        for fold in [true, false] {
            var options = CaffeImportOptions()
            options.fold = fold
            let imported = try CaffeImporter.load(deploy: f.deploy, weights: f.weights, mean: f.mean, options: options)
            XCTAssertEqual(imported.manifest.graph.inputShape, [3, 112, 96])
            XCTAssertEqual(imported.manifest.preprocess.resizeHeight, 144)
            XCTAssertEqual(imported.manifest.preprocess.resizeWidth, 144)
            XCTAssertEqual(imported.weights[ModelFolder.meanKey]?.shape, [3, 112, 96], "the 64x64 mean is resized to the input")
            let affine = imported.manifest.graph.nodes.filter { $0.op == .affine }.count
            XCTAssertEqual(affine, fold ? 0 : 4)
            XCTAssertEqual(imported.report.folded, fold ? 4 : 0)
            nodeCounts.append(imported.report.nodes)
            let extractor = try GraphFeatureExtractor(manifest: imported.manifest, weights: imported.weights)
            let x = extractor.input(for: [try ImageIO.read(try images()[0])])
            assertClose(x.data, input.values, "bn preprocessing of face1.png (144x144, crop 112x96)")
            let y = extractor.network.forward(Tensor(shape: input.shape, data: input.values))
            assertClose(y.data, Array(want.values[0..<10]), "bn network on input.npy, fold \(fold)")
            assertClose(try extractor.extract(try images()), want.values, "bn features, fold \(fold)")
        }
        XCTAssertLessThan(nodeCounts[0], nodeCounts[1])
    }

    func testModelFolderRoundTripsAndFlipAddsTheMirror() throws {
        let f = try fixture("res")
        let imported = try CaffeImporter.load(deploy: f.deploy, weights: f.weights, mean: f.mean, options: resOptions())
        let dir = try TestFiles.tempDirectory("caffe-model").appendingPathComponent("model")
        try ModelFolder.write(imported.manifest, weights: imported.weights, to: dir)
        XCTAssertTrue(ModelFolder.isModelFolder(dir))
        let embedder = try FeatureEmbedding.load(model: dir)
        XCTAssertEqual(embedder.featureDim, 16)
        let want = try npy(f.dir.appendingPathComponent("features.npy"))
        assertClose(try embedder.extract(try images(), flip: false, progress: nil), want.values, "res features from the model folder")
        let single = try embedder.extract(try images(), flip: false, progress: nil)
        let flipped = try embedder.extract(try images(), flip: true, progress: nil)
        XCTAssertNotEqual(single, flipped)
        XCTAssertNotNil(try FeatureEmbedding.weightsTag(model: dir))
        XCTAssertThrowsError(try FeatureEmbedding.load(model: dir, checkpoint: dir.appendingPathComponent("x.safetensors")))
    }

    // MARK: - Refusals

    /// Imports `deploy` text (written to a temporary file) with the res weights.
    private func importRes(prototxt edit: (String) -> String) throws -> Void {
        let f = try fixture("res")
        let dir = try TestFiles.tempDirectory("caffe-edit")
        let deploy = dir.appendingPathComponent("deploy.prototxt")
        try edit(try String(contentsOf: f.deploy, encoding: .utf8)).write(to: deploy, atomically: true, encoding: .utf8)
        _ = try CaffeImporter.load(deploy: deploy, weights: f.weights, mean: f.mean, options: resOptions())
    }

    private func assertRefused(_ message: String, file: StaticString = #filePath, line: UInt = #line, _ edit: @escaping (String) -> String) {
        XCTAssertThrowsError(try importRes(prototxt: edit), file: file, line: line) { e in
            XCTAssertTrue("\(e)".contains(message), "\(e)", file: file, line: line)
            XCTAssertFalse("\(e)".contains("\n"), "one line: \(e)", file: file, line: line)
        }
    }

    func testUnknownLayerTypeIsRefusedByName() {
        assertRefused("layer 'norm' of type 'Foo' is not supported; supported: Input, Data, ImageData, Convolution") {
            $0.replacingOccurrences(of: "type: \"NormL2\"", with: "type: \"Foo\"")
        }
    }

    func testUnknownLayerOffThePathIsLeftOut() throws {
        try importRes {
            $0 + "layer { name: \"probe\" type: \"Foo\" bottom: \"fc5\" top: \"probe\" }\n"
                + "layer { name: \"out\" type: \"NormL2\" bottom: \"fc5\" top: \"out\" }\n"
        }
    }

    func testMissingWeightsAreRefusedByLayer() {
        assertRefused("layer 'extra' (Convolution) needs 2 weight blobs, and model.caffemodel has no layer of that name") {
            $0 + "layer { name: \"extra\" type: \"Convolution\" bottom: \"fc5\" top: \"extra\" convolution_param { num_output: 4 kernel_size: 1 } }\n"
        }
        assertRefused("node 'fc5' (linear): weight 'fc5.weight' has shape [16, 300], the node needs [17, 300]") {
            $0.replacingOccurrences(of: "inner_product_param { num_output: 16 }", with: "inner_product_param { num_output: 17 }")
        }
    }

    func testUnsupportedSettingsAreRefusedByName() {
        assertRefused("convolution_param.dilation [2] is not supported") {
            $0.replacingOccurrences(of: "num_output: 8 kernel_size: 3 stride: 1 pad: 1", with: "num_output: 8 kernel_size: 3 stride: 1 pad: 1 dilation: 2")
        }
        assertRefused("stride_h/stride_w") {
            $0.replacingOccurrences(of: "num_output: 12 kernel_size: 1 stride: 2", with: "num_output: 12 kernel_size: 1 stride_h: 2 stride_w: 1")
        }
        assertRefused("pooling_param.pool STOCHASTIC is not supported") {
            $0.replacingOccurrences(of: "pool: MAX kernel_size: 3", with: "pool: STOCHASTIC kernel_size: 3")
        }
        assertRefused("reads blob 'nothing', which no earlier layer writes") {
            $0.replacingOccurrences(of: "bottom: \"pool2\" top: \"fc5\"", with: "bottom: \"nothing\" top: \"fc5\"")
        }
        assertRefused("not a Caffe network description") { $0 + "layer { bogus_field: 1 }\n" }
    }

    func testUseGlobalStatsFalseIsRefused() throws {
        let f = try fixture("bn")
        let dir = try TestFiles.tempDirectory("caffe-bn")
        let deploy = dir.appendingPathComponent("deploy.prototxt")
        try (try String(contentsOf: f.deploy, encoding: .utf8)).replacingOccurrences(of: "use_global_stats: true", with: "use_global_stats: false")
            .write(to: deploy, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CaffeImporter.load(deploy: deploy, weights: f.weights, mean: f.mean)) { e in
            XCTAssertTrue("\(e)".contains("layer 'bn1' (BatchNorm): batch_norm_param.use_global_stats: false"), "\(e)")
        }
    }

    func testBadFilesAreOneLineErrors() throws {
        let f = try fixture("res")
        XCTAssertThrowsError(try CaffeImporter.load(deploy: f.deploy, weights: f.deploy, mean: nil)) { e in
            XCTAssertTrue("\(e)".contains("not a Caffe weights file"), "\(e)")
        }
        XCTAssertThrowsError(try CaffeImporter.load(deploy: f.deploy, weights: f.weights, mean: f.deploy)) { e in
            XCTAssertTrue("\(e)".contains("mean"), "\(e)")
        }
        XCTAssertThrowsError(try CaffeImporter.load(deploy: f.dir.appendingPathComponent("missing.prototxt"), weights: f.weights, mean: nil)) { e in
            XCTAssertTrue("\(e)".contains("no such file"), "\(e)")
        }
    }

    // MARK: - Pieces

    func testFaceCropFollowsFixBox() throws {
        let pre = try ModelPreprocessor(settings: InputPreprocessing(resizeHeight: 144, resizeWidth: 144), inputShape: [3, 128, 128], mean: nil)
        // fix_box: centre (50+40/2, 60+50/2) = (70, 85); 40*1.1 = 44, 50*1.1 = 55.
        let c = pre.faceCrop(x: 50, y: 60, width: 40, height: 50, imageWidth: 200, imageHeight: 200)
        XCTAssertEqual(c.x, 48); XCTAssertEqual(c.y, 58); XCTAssertEqual(c.width, 44); XCTAssertEqual(c.height, 55)
        // Near the edge the box is limited to twice the distance to it.
        let e = pre.faceCrop(x: 0, y: 0, width: 20, height: 20, imageWidth: 200, imageHeight: 200)
        XCTAssertEqual(e.width, 20); XCTAssertEqual(e.x, 0)
    }

    func testPhaseRules() {
        var layer = Caffe_LayerParameter()
        XCTAssertTrue(CaffeImporter.includedAtTest(layer))
        var rule = Caffe_NetStateRule()
        rule.phase = .train
        layer.include = [rule]
        XCTAssertFalse(CaffeImporter.includedAtTest(layer))
        layer.include = []
        layer.exclude = [rule]
        XCTAssertTrue(CaffeImporter.includedAtTest(layer))
        rule.phase = .test
        layer.exclude = [rule]
        XCTAssertFalse(CaffeImporter.includedAtTest(layer))
    }
}

extension CaffeImportTests {
    /// Old weight files list their layers as V1 `layers`; blobs are matched by name all the same.
    func testWeightsInTheOldLayersFormAreRead() throws {
        let f = try fixture("res")
        let net = try CaffeFiles.readPrototxt(f.deploy)
        let trained = try CaffeFiles.readCaffemodel(f.weights)
        var old = Caffe_NetParameter()
        for layer in trained.layer {
            var v1 = Caffe_V1LayerParameter()
            v1.name = layer.name
            v1.blobs = layer.blobs
            old.layers.append(v1)
        }
        let (manifest, weights, _) = try CaffeImporter.convert(net: net, trained: old, mean: try CaffeFiles.readMean(f.mean),
                                                               options: resOptions(), weightsName: "old.caffemodel")
        let extractor = try GraphFeatureExtractor(manifest: manifest, weights: weights)
        assertClose(try extractor.extract(try images()), try npy(f.dir.appendingPathComponent("features.npy")).values, "res from V1 layers")
    }
}
