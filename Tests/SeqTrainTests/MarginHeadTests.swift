import XCTest
import SeqNN
@testable import SeqTrain

final class MarginHeadTests: XCTestCase {
    private func makeHead(_ kind: MarginKind, m: Float? = nil, d: Int = 5, c: Int = 4, seed: UInt64 = 3) throws -> MarginHead {
        var rng = SeededGenerator(seed: seed)
        return try MarginHead(featureDim: d, classes: c, config: MarginConfig(kind: kind, m: m, scale: 8, lambdaMin: 2), using: &rng)
    }

    /// Central differences of `sum(R * logits)` in double-checked float arithmetic.
    func testGradientsMatchFiniteDifferences() throws {
        for kind in MarginKind.allCases {
            let head = try makeHead(kind)
            var rng = SeededGenerator(seed: 11)
            let b = 6, d = 5, c = 4
            let x = Tensor(shape: [b, d], data: (0..<(b * d)).map { _ in rng.nextGaussian() })
            let labels: [Int32] = [0, 1, 2, 3, -1, 1]
            let r = (0..<(b * c)).map { _ in rng.nextGaussian() }
            func objective(_ x: Tensor) -> Double {
                let z = head.forward(x, labels: labels, iteration: 10)
                return zip(z.data, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
            _ = head.forward(x, labels: labels, iteration: 10)
            head.weight.zeroGrad()
            let dx = head.backward(Tensor(shape: [b, c], data: r))
            let dw = head.weight.grad.data
            let h: Float = 1e-3
            for i in 0..<x.count {
                var xp = x, xm = x
                xp.data[i] += h; xm.data[i] -= h
                let numeric = (objective(xp) - objective(xm)) / Double(2 * h)
                XCTAssertEqual(Double(dx.data[i]), numeric, accuracy: 2e-2 * max(1, abs(numeric)), "\(kind) dx[\(i)]")
            }
            let w0 = head.weight.value
            for i in 0..<w0.count {
                head.weight.value.data[i] = w0.data[i] + h
                let fp = objective(x)
                head.weight.value.data[i] = w0.data[i] - h
                let fm = objective(x)
                head.weight.value = w0
                let numeric = (fp - fm) / Double(2 * h)
                XCTAssertEqual(Double(dw[i]), numeric, accuracy: 2e-2 * max(1, abs(numeric)), "\(kind) dw[\(i)]")
            }
        }
    }

    func testMarginValues() throws {
        let x = Tensor(shape: [2, 2], data: [1, 0, 1, 0])
        // Class 0 along (cos 60°, sin 60°): the cosine between x and class 0 is 0.5.
        for (kind, m, expected) in [(MarginKind.none, Float(0), Float(0.5)),
                                    (.cosface, 0.35, 0.15),
                                    (.arcface, 0.5, cosf(Float.pi / 3 + 0.5))] {
            let head = try makeHead(kind, m: m, d: 2, c: 1)
            head.weight.value = Tensor(shape: [1, 2], data: [0.5, Float(0.75).squareRoot()])
            let z = head.forward(x, labels: [0, -1])
            XCTAssertEqual(z.data[0], 8 * expected, accuracy: 1e-4, "\(kind)")
            XCTAssertEqual(z.data[1], 8 * 0.5, accuracy: 1e-4, "\(kind): sequence sample gets no margin")
        }
    }

    func testSphereFacePsiIsMonotoneAndMatchesDefinition() throws {
        let head = try makeHead(.sphereface, m: 4)
        var previous = Float.infinity
        for step in 0...180 {
            let theta = Float(step) * Float.pi / 180
            let (g, _) = head.margin(cosf(theta), lambda: 0)
            XCTAssertLessThanOrEqual(g, previous + 1e-4, "ψ must fall with θ (θ=\(step)°)")
            previous = g
            let k = min(Int(4 * theta / Float.pi), 3)
            let psi = (k % 2 == 0 ? 1 : -1) * cosf(4 * theta) - 2 * Float(k)
            XCTAssertEqual(g, psi, accuracy: 2e-3, "θ=\(step)°")
        }
        // Lambda blends back towards the plain cosine.
        let (g, _) = head.margin(0.5, lambda: 1e6)
        XCTAssertEqual(g, 0.5, accuracy: 1e-4)
        // Annealed lambda with the published schedule stays at its floor of 5.
        let published = MarginConfig(kind: .sphereface)
        XCTAssertEqual(published.sphereLambda(iteration: 1), 5)
        let annealed = MarginConfig(kind: .sphereface, lambdaBase: 1000, gamma: 0.12, power: 1, lambdaMin: 5)
        XCTAssertEqual(annealed.sphereLambda(iteration: 10), 1000 / 2.2, accuracy: 1e-2)
        XCTAssertEqual(annealed.sphereLambda(iteration: 100000), 5)
    }

    func testBadConfigsRejected() {
        var rng = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try MarginHead(featureDim: 4, classes: 2, config: MarginConfig(kind: .sphereface, m: 2.5), using: &rng))
        XCTAssertThrowsError(try MarginHead(featureDim: 4, classes: 2, config: MarginConfig(kind: .cosface, m: -1), using: &rng))
        XCTAssertThrowsError(try MarginHead(featureDim: 4, classes: 2, config: MarginConfig(kind: .none, scale: 0), using: &rng))
    }

    /// A diverged network hands the head NaN or infinite features. SphereFace converted the NaN
    /// angle to Int and trapped; now NaN goes through, so the trainer's finite check can stop
    /// the run with a message.
    func testNonFiniteFeaturesGiveNaNLogitsInsteadOfATrap() throws {
        for kind in MarginKind.allCases {
            let head = try makeHead(kind)
            for bad in [Float.nan, .infinity] {
                let x = Tensor(shape: [2, 5], data: [bad, 1, 2, 3, 4, 1, 2, 3, 4, 5])
                let z = head.forward(x, labels: [0, 1], iteration: 1)
                XCTAssertTrue(z.data[0..<4].contains { $0.isNaN }, "\(kind) \(bad)")
                XCTAssertTrue(z.data[4..<8].allSatisfy { $0.isFinite }, "\(kind): the finite sample stays finite")
                _ = head.backward(Tensor(shape: [2, 4], data: [Float](repeating: 0.1, count: 8)))
            }
            XCTAssertTrue(head.margin(.nan, lambda: 5).0.isNaN, "\(kind)")
        }
    }
}
