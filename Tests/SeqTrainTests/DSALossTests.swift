import XCTest
import SeqCore
@testable import SeqTrain

final class DSALossTests: XCTestCase {
    private func config(from json: JSONValue) throws -> DSAConfig {
        DSAConfig(faceIDCount: try XCTUnwrap(json["faceid_num"]?.int),
                  sequenceIDCount: try XCTUnwrap(json["seqid_num"]?.int),
                  lambda: Float(try XCTUnwrap(json["lambda"]?.number)),
                  dropoutRatio: try XCTUnwrap(json["dropout_ratio"]?.number),
                  alpha: Float(try XCTUnwrap(json["alpha"]?.number)),
                  beta: Float(try XCTUnwrap(json["beta"]?.number)),
                  useNormalize: try XCTUnwrap(json["use_normalize"]?.bool),
                  scale: Float(try XCTUnwrap(json["scale"]?.number)))
    }

    func testReproducesSharedCases() throws {
        let cases = try TestData.lossCases("dsa")
        XCTAssertFalse(cases.isEmpty)
        for dir in cases {
            let name = dir.lastPathComponent
            let json = try TestData.caseJSON(dir)
            let features = try TestData.floats(dir, "features.npy")
            let labels = try TestData.ints(dir, "labels.npy")
            var centers = try TestData.floats(dir, "centers.npy").values
            let order = try TestData.ints(dir, "agent_order.npy").values.map(Int.init)
            let loss = try DSALoss(config: try config(from: json), featureDim: features.shape[1])
            let out = try loss.evaluate(features: features.values, labels: labels.values, centers: &centers, agentOrder: order)
            assertClose(Double(out.loss), try XCTUnwrap(json["loss"]?.number), "\(name) loss")
            assertClose(out.dfeatures, try TestData.floats(dir, "expected_dfeatures.npy").values, "\(name) dfeatures")
            assertClose(out.dcenters, try TestData.floats(dir, "expected_dcenters.npy").values, "\(name) dcenters")
            assertClose(centers, try TestData.floats(dir, "expected_centers_used.npy").values, "\(name) centers used")
        }
    }

    func testSampledAgentCountUsesDoubleFloor() {
        XCTAssertEqual(DSAConfig(faceIDCount: 10, sequenceIDCount: 30, dropoutRatio: 0.9).sampledAgentCount, 3)
        XCTAssertEqual(DSAConfig(faceIDCount: 5, sequenceIDCount: 7, dropoutRatio: 0.5).sampledAgentCount, 6)
        XCTAssertEqual(DSAConfig(faceIDCount: 5, sequenceIDCount: 0, dropoutRatio: 1).sampledAgentCount, 0)
    }

    func testNoValidSampleGivesZeroNotNaN() throws {
        let cfg = DSAConfig(faceIDCount: 2, sequenceIDCount: 0, dropoutRatio: 0)
        let loss = try DSALoss(config: cfg, featureDim: 3)
        var centers: [Float] = [1, 0, 0, 0, 1, 0]
        let out = try loss.evaluate(features: [1, 2, 3, 4, 5, 6], labels: [-1, -2], centers: &centers, agentOrder: [1, 0])
        XCTAssertEqual(out.loss, 0)
        XCTAssertEqual(out.validCount, 0)
        XCTAssertEqual(out.dfeatures, [Float](repeating: 0, count: 6))
        XCTAssertEqual(out.dcenters, [Float](repeating: 0, count: 6))
    }

    func testSequencesAreNotPushedFromSequences() throws {
        // One sequence sample near agent 1 (a sequence agent) and far from nothing else that is a face.
        let cfg = DSAConfig(faceIDCount: 1, sequenceIDCount: 2, lambda: 0, dropoutRatio: 0, alpha: 1, beta: 10)
        let loss = try DSALoss(config: cfg, featureDim: 2)
        var centers: [Float] = [100, 100, 0, 0, 0.1, 0]
        // Label -1 -> agent 1; the only other agents are sequence agent 2 (excluded) and face agent 0.
        let out = try loss.evaluate(features: [0, 0], labels: [-1], centers: &centers, agentOrder: [0, 1, 2])
        // Face agent 0 is far away: its hinge is inactive, and agent 2 is never used, so the loss is 0.
        XCTAssertEqual(out.loss, 0)
        // A face sample at the same place is pushed from both sequence agents.
        let out2 = try loss.evaluate(features: [0, 0], labels: [0], centers: &centers, agentOrder: [0, 1, 2])
        let own: Float = 20000 / 4
        let expected = (own - 0 + 10) + (own - 0.01 / 4 + 10)
        XCTAssertEqual(out2.loss, expected / 3, accuracy: 1e-2)
    }

    func testGradientIsFreshEachIterationAndMatchesFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 7)
        let cfg = DSAConfig(faceIDCount: 4, sequenceIDCount: 5, lambda: 0.4, dropoutRatio: 0.3, alpha: 1.5, beta: 2)
        let dim = 6, batch = 5
        let labels: [Int32] = [0, 3, -1, -5, 2]
        var centers = DSALoss.initialAgents(config: cfg, featureDim: dim, using: &rng)
        let x = (0..<(batch * dim)).map { _ in rng.nextGaussian() * 0.5 }
        let order = rng.permutation(cfg.agentCount)
        let loss = try DSALoss(config: cfg, featureDim: dim)
        let a = try loss.evaluate(features: x, labels: labels, centers: &centers, agentOrder: order)
        let b = try loss.evaluate(features: x, labels: labels, centers: &centers, agentOrder: order)
        XCTAssertEqual(a.dfeatures, b.dfeatures, "gradient must not accumulate across iterations")
        let h: Float = 1e-2
        for i in 0..<x.count {
            var xp = x, xm = x
            xp[i] += h; xm[i] -= h
            let lp = try loss.evaluate(features: xp, labels: labels, centers: &centers, agentOrder: order).loss
            let lm = try loss.evaluate(features: xm, labels: labels, centers: &centers, agentOrder: order).loss
            XCTAssertEqual(a.dfeatures[i], (lp - lm) / (2 * h), accuracy: 2e-3, "feature \(i)")
        }
    }

    func testWarmUpCounts() throws {
        let cfg = DSAConfig(faceIDCount: 3, sequenceIDCount: 0, lambda: 0.5, dropoutRatio: 0, alpha: 2, beta: 1,
                            centerIter: 1, diffIter: 2)
        let loss = try DSALoss(config: cfg, featureDim: 2)
        var centers: [Float] = [1, 0, 0, 1, -1, 0]
        let x: [Float] = [0.5, 0.5]
        // Iteration 1: both warm-ups active -> zero loss and gradient, agents still move.
        let i1 = try loss.evaluate(features: x, labels: [0], centers: &centers, agentOrder: [0, 1, 2])
        XCTAssertEqual(i1.loss, 0)
        XCTAssertEqual(i1.dfeatures, [0, 0])
        XCTAssertNotEqual(i1.dcenters, [Float](repeating: 0, count: 6))
        // Iteration 2: pull term only.
        let i2 = try loss.evaluate(features: x, labels: [0], centers: &centers, agentOrder: [0, 1, 2])
        XCTAssertEqual(i2.loss, 0.5 * 0.5 / 4, accuracy: 1e-6)
        // Iteration 3: pull plus hinges.
        let i3 = try loss.evaluate(features: x, labels: [0], centers: &centers, agentOrder: [0, 1, 2])
        XCTAssertGreaterThan(i3.loss, i2.loss)
    }

    func testBadInputsThrow() throws {
        let loss = try DSALoss(config: DSAConfig(faceIDCount: 2, sequenceIDCount: 1, dropoutRatio: 0), featureDim: 2)
        var centers: [Float] = [0, 0, 1, 1, 2, 2]
        XCTAssertThrowsError(try loss.evaluate(features: [0, 0], labels: [2], centers: &centers, agentOrder: [0, 1, 2]))
        XCTAssertThrowsError(try loss.evaluate(features: [0, 0], labels: [-2], centers: &centers, agentOrder: [0, 1, 2]))
        XCTAssertThrowsError(try loss.evaluate(features: [0, 0], labels: [0], centers: &centers, agentOrder: [0, 1, 1]))
        XCTAssertThrowsError(try loss.evaluate(features: [0, 0, 0], labels: [0], centers: &centers, agentOrder: [0, 1, 2]))
        XCTAssertThrowsError(try DSALoss(config: DSAConfig(faceIDCount: 2, sequenceIDCount: 1, alpha: 0.5), featureDim: 2))
    }
}
