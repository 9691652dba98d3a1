import XCTest
import SeqNN
@testable import SeqTrain

final class SGDSolverTests: XCTestCase {
    func testMomentumDecayAndMultipliers() {
        var config = SolverConfig()
        config.momentum = 0.5
        config.weightDecay = 0.1
        let solver = SGDSolver(config: config)
        let w = Parameter(name: "w", value: Tensor(shape: [1], data: [2]))
        let b = Parameter(name: "b", value: Tensor(shape: [1], data: [2]), lrMult: 2, decayMult: 0)
        for p in [w, b] { p.grad.data = [1] }
        solver.step([w, b], learningRate: 0.1)
        // v = 0.1 * (1 + 0.1 * 2) = 0.12 ; bias: v = 0.2 * 1 = 0.2
        XCTAssertEqual(w.value.data[0], 2 - 0.12, accuracy: 1e-6)
        XCTAssertEqual(b.value.data[0], 2 - 0.2, accuracy: 1e-6)
        solver.step([w, b], learningRate: 0.1)
        // v = 0.5 * 0.12 + 0.1 * (1 + 0.1 * 1.88) = 0.1788
        XCTAssertEqual(w.value.data[0], 1.88 - 0.1788, accuracy: 1e-6)
        XCTAssertEqual(b.value.data[0], 1.8 - (0.5 * 0.2 + 0.2), accuracy: 1e-6)
    }

    func testSchedules() {
        var c = SolverConfig()
        c.baseLR = 1
        c.gamma = 0.5
        c.stepSize = 3
        XCTAssertEqual([0, 2, 3, 6, 7].map { c.learningRate(at: $0) }, [1, 1, 0.5, 0.25, 0.25])
        c.lrPolicy = .multistep
        c.stepValues = [1, 4]
        XCTAssertEqual([0, 1, 3, 4].map { c.learningRate(at: $0) }, [1, 0.5, 0.5, 0.25])
        c.lrPolicy = .fixed
        XCTAssertEqual(c.learningRate(at: 100), 1)
    }
}
