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
}
