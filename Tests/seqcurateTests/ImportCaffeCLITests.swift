import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// `seqcurate import-caffe` end to end: a Caffe fixture (tools/make_caffe_fixture.py) becomes a
/// model folder that `features` and `eval --model` use like a training run.
final class ImportCaffeCLITests: XCTestCase {
    private func importRes(into dir: URL, extra: [String] = []) throws -> (model: URL, result: CLIResult) {
        let fixture = try TestFiles.fixture("caffe/res")
        let model = dir.appendingPathComponent("model")
        let r = try TestCLI.run(["import-caffe",
                                 "--deploy", fixture.appendingPathComponent("deploy.prototxt").path,
                                 "--weights", fixture.appendingPathComponent("model.caffemodel").path,
                                 "--mean", fixture.appendingPathComponent("mean.binaryproto").path,
                                 "--resize", "36x36", "--out", model.path] + extra)
        return (model, r)
    }

    func testImportThenFeaturesMatchesTheReference() throws {
        let dir = try TestFiles.tempDirectory("import-caffe")
        let (model, r) = try importRes(into: dir)
        XCTAssertTrue(r.succeeded, r.err)
        let summary = try JSONValue.parse(r.out)
        XCTAssertEqual(summary["output"]?.string, "norm")
        XCTAssertEqual(summary["feature_dim"]?.int, 16)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("model.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: model.appendingPathComponent("weights.safetensors").path))

        let images = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for name in ["face1.png", "face2.png"] {
            try FileManager.default.copyItem(at: try TestFiles.fixture("caffe/\(name)"), to: images.appendingPathComponent(name))
        }
        let out = dir.appendingPathComponent("f.npy")
        let f = try TestCLI.run(["features", "--model", model.path, "--images", images.path, "--out", out.path, "--quiet"])
        XCTAssertTrue(f.succeeded, f.err)
        let got = try NPYArray<Float>.read(from: out)
        let want = try NPYArray<Float>.read(from: try TestFiles.fixture("caffe/res/features.npy"))
        XCTAssertEqual(got.shape, [2, 16])
        let keys = try String(contentsOf: dir.appendingPathComponent("f.keys.txt"), encoding: .utf8)
        XCTAssertEqual(keys, "face1.png\nface2.png\n")
        let scale = want.values.map(abs).max()!
        let error = zip(got.values, want.values).map { abs($0 - $1) }.max()! / scale
        XCTAssertLessThan(error, 1e-4, "features of the imported model vs the NumPy reference")

        // --checkpoint belongs to training runs.
        let c = try TestCLI.run(["features", "--model", model.path, "--checkpoint", out.path, "--images", images.path, "--out", out.path])
        XCTAssertFalse(c.succeeded)
        XCTAssertTrue(c.err.contains("--checkpoint applies to training runs"), c.err)
    }

    func testEvalModelModeTakesAModelFolder() throws {
        let dir = try TestFiles.tempDirectory("import-caffe-eval")
        let (model, r) = try importRes(into: dir)
        XCTAssertTrue(r.succeeded, r.err)
        // An LFW-layout folder: two people, two images each (the fixture images under .jpg names
        // are still PNG inside; the reader goes by content).
        let root = dir.appendingPathComponent("lfw")
        let faces = [try TestFiles.fixture("caffe/face1.png"), try TestFiles.fixture("caffe/face2.png")]
        for (person, index) in [("Ann_A", 0), ("Bob_B", 1)] {
            let folder = root.appendingPathComponent(person)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for k in 1...2 {
                try FileManager.default.copyItem(at: faces[(index + k) % 2], to: folder.appendingPathComponent("\(person)_000\(k).jpg"))
            }
        }
        let pairs = dir.appendingPathComponent("pairs.txt")
        try """
        Ann_A/Ann_A_0001.jpg Ann_A/Ann_A_0002.jpg 1
        Bob_B/Bob_B_0001.jpg Bob_B/Bob_B_0002.jpg 1
        Ann_A/Ann_A_0001.jpg Bob_B/Bob_B_0001.jpg 0
        Ann_A/Ann_A_0002.jpg Bob_B/Bob_B_0002.jpg 0

        """.write(to: pairs, atomically: true, encoding: .utf8)
        let e = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--root", root.path, "--model", model.path, "--json"])
        XCTAssertTrue(e.succeeded, e.err)
        XCTAssertTrue(e.out.contains("accuracy"), e.out)
        // The features are cached in the model folder, under a name tied to its weights.
        let cache = try FileManager.default.contentsOfDirectory(atPath: model.appendingPathComponent("eval_cache").path)
        XCTAssertTrue(cache.contains { $0.hasPrefix("lfw-model-") }, "\(cache)")
    }

    func testImportRefusesAnUnknownLayerByName() throws {
        let dir = try TestFiles.tempDirectory("import-caffe-bad")
        let fixture = try TestFiles.fixture("caffe/res")
        let deploy = dir.appendingPathComponent("deploy.prototxt")
        let text = try String(contentsOf: fixture.appendingPathComponent("deploy.prototxt"), encoding: .utf8)
        try text.replacingOccurrences(of: "type: \"NormL2\"", with: "type: \"Foo\"").write(to: deploy, atomically: true, encoding: .utf8)
        let r = try TestCLI.run(["import-caffe", "--deploy", deploy.path,
                                 "--weights", fixture.appendingPathComponent("model.caffemodel").path,
                                 "--out", dir.appendingPathComponent("m").path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains("layer 'norm' of type 'Foo' is not supported; supported: "), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m").path), "nothing is written")

        let bad = try TestCLI.run(["import-caffe", "--deploy", deploy.path, "--weights", deploy.path, "--out", "m", "--resize", "big"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.err.contains("--resize must be HxW"), bad.err)
    }
}
