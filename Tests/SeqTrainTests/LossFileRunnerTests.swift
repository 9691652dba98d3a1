import XCTest
import SeqCore
@testable import SeqTrain

/// The file-level runner behind `seqcurate loss`.
final class LossFileRunnerTests: XCTestCase {
    private var out: URL!

    override func setUpWithError() throws {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("seqloss-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: out) }

    func testDSAFilesMatchSharedCase() throws {
        let dir = TestData.losses.appendingPathComponent("dsa_2")
        let json = try TestData.caseJSON(dir)
        let config = DSAConfig(faceIDCount: 10, sequenceIDCount: 30, lambda: 0.5, dropoutRatio: 0.9, alpha: 2, beta: 1,
                               useNormalize: true, scale: 4)
        let loss = try LossFileRunner.runDSA(features: dir.appendingPathComponent("features.npy"), labels: dir.appendingPathComponent("labels.npy"),
                                             centers: dir.appendingPathComponent("centers.npy"), agentOrder: dir.appendingPathComponent("agent_order.npy"),
                                             config: config, outDir: out)
        assertClose(Double(loss), try XCTUnwrap(json["loss"]?.number), "loss")
        for (written, expected) in [("dfeatures.npy", "expected_dfeatures.npy"), ("dcenters.npy", "expected_dcenters.npy"),
                                    ("centers.npy", "expected_centers_used.npy")] {
            let a = try NPYArray<Float>.read(from: out.appendingPathComponent(written))
            let b = try TestData.floats(dir, expected)
            XCTAssertEqual(a.shape, b.shape, written)
            assertClose(a.values, b.values, written)
        }
        XCTAssertEqual(LossFileRunner.lossJSON(1.5), #"{"loss": 1.5}"#)
    }

    func testLSROFilesAndBadInputs() throws {
        let dir = TestData.losses.appendingPathComponent("lsro_1")
        let logits = dir.appendingPathComponent("logits.npy"), labels = dir.appendingPathComponent("labels.npy")
        _ = try LossFileRunner.runLSRO(logits: logits, labels: labels, outDir: out)
        assertClose(try NPYArray<Float>.read(from: out.appendingPathComponent("dlogits.npy")).values,
                    try TestData.floats(dir, "expected_dlogits.npy").values, "dlogits")
        // Swapped inputs: labels are int32, not float32 -> an error naming the file.
        XCTAssertThrowsError(try LossFileRunner.runLSRO(logits: labels, labels: logits, outDir: out)) { e in
            XCTAssertTrue("\(e)".contains(labels.path), "\(e)")
        }
        // Label count that does not match the logits.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let short = out.appendingPathComponent("short.npy")
        try NPYArray<Int32>(shape: [3], values: [0, 1, 2]).write(to: short)
        XCTAssertThrowsError(try LossFileRunner.runLSRO(logits: logits, labels: short, outDir: out)) { e in
            XCTAssertTrue("\(e)".contains("shape"), "\(e)")
        }
        let nan = out.appendingPathComponent("nan.npy")
        try NPYArray<Float>(shape: [1, 2], values: [0, .nan]).write(to: nan)
        try NPYArray<Int32>(shape: [1], values: [0]).write(to: short)
        XCTAssertThrowsError(try LossFileRunner.runLSRO(logits: nan, labels: short, outDir: out)) { e in
            XCTAssertTrue("\(e)".contains("non-finite"), "\(e)")
        }
        // DSA with an agent order that is not a permutation.
        let d = TestData.losses.appendingPathComponent("dsa_0")
        let badOrder = out.appendingPathComponent("order.npy")
        try NPYArray<Int32>(shape: [12], values: [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).write(to: badOrder)
        XCTAssertThrowsError(try LossFileRunner.runDSA(features: d.appendingPathComponent("features.npy"), labels: d.appendingPathComponent("labels.npy"),
                                                       centers: d.appendingPathComponent("centers.npy"), agentOrder: badOrder,
                                                       config: DSAConfig(faceIDCount: 5, sequenceIDCount: 7, dropoutRatio: 0.5), outDir: out)) { e in
            XCTAssertTrue("\(e)".contains("permutation"), "\(e)")
        }
    }

    /// `loss margin` on files: the hand-worked example of MarginHeadTests (rows of norm 2 and 0.5,
    /// rewritten to unit norm), and inputs that do not fit.
    func testMarginFilesAndBadInputs() throws {
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        func write(_ name: String, _ shape: [Int], _ values: [Float]) throws -> URL {
            let url = out.appendingPathComponent(name)
            try NPYArray<Float>(shape: shape, values: values).write(to: url)
            return url
        }
        let x = try write("x.npy", [1, 2], [3, 4]), w = try write("w.npy", [2, 2], [2, 0, 0, 0.5])
        let g = try write("g.npy", [1, 2], [0.5, -0.25])
        let y = out.appendingPathComponent("y.npy")
        try NPYArray<Int32>(shape: [1], values: [0]).write(to: y)
        let result = out.appendingPathComponent("result")
        let lambda = try LossFileRunner.runMargin(features: x, weight: w, labels: y, topDiff: g, config: MarginConfig(), iteration: 1, outDir: result)
        XCTAssertEqual(lambda, 5)
        XCTAssertEqual(LossFileRunner.lambdaJSON(lambda), #"{"lambda": 5}"#)
        func read(_ name: String) throws -> NPYArray<Float> { try NPYArray<Float>.read(from: result.appendingPathComponent(name)) }
        for (name, shape, want) in [("logits.npy", [1, 2], [Float(9.8304), 25.6]), ("dfeatures.npy", [1, 2], [2.81582, -2.11187]),
                                    ("dweight.npy", [2, 2], [9.6, 12.8, -4.8, -6.4]), ("weight.npy", [2, 2], [1, 0, 0, 1])] {
            let a = try read(name)
            XCTAssertEqual(a.shape, shape, name)
            for (got, expected) in zip(a.values, want) { XCTAssertEqual(got, expected, accuracy: 1e-4, name) }
        }
        // The exact rule differs in the gradients only.
        let exact = out.appendingPathComponent("exact")
        _ = try LossFileRunner.runMargin(features: x, weight: w, labels: y, topDiff: g, config: MarginConfig(kind: .sphereface, backward: .exact),
                                         iteration: 1, outDir: exact)
        XCTAssertEqual(try NPYArray<Float>.read(from: exact.appendingPathComponent("logits.npy")).values, try read("logits.npy").values)
        XCTAssertNotEqual(try NPYArray<Float>.read(from: exact.appendingPathComponent("dweight.npy")).values, try read("dweight.npy").values)

        let wide = try write("wide.npy", [2, 3], [1, 0, 0, 0, 1, 0])
        let zero = try write("zero.npy", [2, 2], [1, 0, 0, 0])
        let tall = try write("tall.npy", [2, 2], [0, 0, 0, 0])
        let high = out.appendingPathComponent("high.npy")
        try NPYArray<Int32>(shape: [1], values: [2]).write(to: high)
        for (args, message, file) in [((x, wide, y, g), "matching the features' dim", wide), ((x, zero, y, g), "row 1 is zero", zero),
                                      ((x, w, y, tall), "top diff must have shape (1, 2)", tall), ((x, w, high, g), "not below the class count 2", high)] {
            XCTAssertThrowsError(try LossFileRunner.runMargin(features: args.0, weight: args.1, labels: args.2, topDiff: args.3,
                                                              config: MarginConfig(), iteration: 1, outDir: result)) { e in
                XCTAssertTrue("\(e)".contains(message) && "\(e)".contains(file.path), "\(e)")
            }
        }
    }
}
