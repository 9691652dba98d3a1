import XCTest
import SeqNN
@testable import SeqTrain

final class MarginHeadTests: XCTestCase {
    /// The exact backward rule: sphereface's default is now Caffe's rule, tested on its own below.
    private func makeHead(_ kind: MarginKind, m: Float? = nil, d: Int = 5, c: Int = 4, seed: UInt64 = 3,
                          backward: MarginBackward = .exact) throws -> MarginHead {
        var rng = SeededGenerator(seed: seed)
        return try MarginHead(featureDim: d, classes: c, config: MarginConfig(kind: kind, m: m, scale: 8, lambdaMin: 2, backward: backward),
                              using: &rng)
    }

    /// Central differences of `sum(R * logits)` in double-checked float arithmetic (exact rule).
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
            // forward rewrites the rows in place, so each perturbation starts again from w0.
            let w0 = head.weight.value
            for i in 0..<w0.count {
                head.weight.value.data[i] = w0.data[i] + h
                let fp = objective(x)
                head.weight.value = w0
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

    // MARK: Caffe's backward rule and the in-place weight normalisation

    /// One sample worked by hand through NormL2 -> Scale(32) -> MarginInnerProduct (QUADRUPLE,
    /// lambda 5), following the Caffe layers' formulas.
    ///
    /// fc5 x = (3, 4): u = (0.6, 0.8), x̃ = 32u = (19.2, 25.6). Weights w0 = (1, 0), w1 = (0, 1),
    /// label 0, so c = 0.6: sign_0 = 1, sign(2c² - 1) = -1, sign_3 = -1, sign_4 = 2 - 1 - 3 = -2;
    /// ψ = -(8c⁴ - 8c² + 1) - 2 = -1.1568; logit0 = 32 (5·0.6 - 1.1568) / 6 = 9.8304, logit1 = 25.6.
    /// Backward with dz = (1, 0): coeff_w = sign_3 (32c³ - 16c) = 2.688,
    /// coeff_x = -(sign_3 (24c⁴ - 8c² - 1) - sign_4) / 32 = -2.7696 / 32; both divided by their
    /// norm 2.689393: (0.999482, -0.032182). dx̃ = 5/6 w0 + 1/6 (0.999482 w0 - 0.032182 x̃)
    /// = (0.896931, -0.137310); Scale: du = 32 dx̃ = (28.7018, -4.39391); NormL2:
    /// (du - u (u·du)) / 5 = (4.09565, -3.07174). Class-weight gradient: dzᵀ x̃ = row 0 (19.2, 25.6).
    func testCaffeBackwardMatchesTheHandWorkedExample() throws {
        var rng = SeededGenerator(seed: 1)
        let head = try MarginHead(featureDim: 2, classes: 2, config: MarginConfig(), using: &rng)
        XCTAssertEqual(head.config.backward, .caffe, "Caffe's rule is sphereface's default")
        head.weight.value = Tensor(shape: [2, 2], data: [1, 0, 0, 1])
        let z = head.forward(Tensor(shape: [1, 2], data: [3, 4]), labels: [0], iteration: 1)
        XCTAssertEqual(z.data[0], 9.8304, accuracy: 1e-4)
        XCTAssertEqual(z.data[1], 25.6, accuracy: 1e-4)
        head.weight.zeroGrad()
        let dx = head.backward(Tensor(shape: [1, 2], data: [1, 0]))
        XCTAssertEqual(dx.data[0], 4.09565, accuracy: 1e-4)
        XCTAssertEqual(dx.data[1], -3.07174, accuracy: 1e-4)
        for (got, want) in zip(head.weight.grad.data, [Float(19.2), 25.6, 0, 0]) { XCTAssertEqual(got, want, accuracy: 1e-4) }

        // Rows of norm 2 and 0.5 are rewritten to unit norm first; the logits do not change, and the
        // weight gradient has no projection: dzᵀ x̃ with dz = (0.5, -0.25).
        head.weight.value = Tensor(shape: [2, 2], data: [2, 0, 0, 0.5])
        let z2 = head.forward(Tensor(shape: [1, 2], data: [3, 4]), labels: [0], iteration: 7)
        XCTAssertEqual(head.weight.value.data, [1, 0, 0, 1])
        XCTAssertEqual(z2.data[0], 9.8304, accuracy: 1e-4)
        head.weight.zeroGrad()
        let dx2 = head.backward(Tensor(shape: [1, 2], data: [0.5, -0.25]))
        XCTAssertEqual(dx2.data[0], 2.81582, accuracy: 1e-4)
        XCTAssertEqual(dx2.data[1], -2.11187, accuracy: 1e-4)
        for (got, want) in zip(head.weight.grad.data, [Float(9.6), 12.8, -4.8, -6.4]) { XCTAssertEqual(got, want, accuracy: 1e-4) }
    }

    /// Caffe's QUADRUPLE layer after NormL2 and Scale(s), in Double, from the layer's own formulas
    /// (sign_3, sign_4 and its polynomials): logits, raw-feature gradient, class-weight gradient.
    private func caffeQuadruple(x: [[Double]], w: [[Double]], labels: [Int], dz: [[Double]], s: Double, lambda: Double)
        -> (logits: [[Double]], dx: [[Double]], dw: [[Double]]) {
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        func sign(_ v: Double) -> Double { v > 0 ? 1 : (v < 0 ? -1 : 0) }
        let unitW = w.map { row in row.map { $0 / dot(row, row).squareRoot() } }
        var logits: [[Double]] = [], dx: [[Double]] = []
        var dw = unitW.map { $0.map { _ in 0.0 } }
        for (i, xi) in x.enumerated() {
            let norm = dot(xi, xi).squareRoot()
            let u = xi.map { $0 / norm }, xs = u.map { $0 * s }
            var row = unitW.map { dot(xs, $0) }
            var dxs = [Double](repeating: 0, count: xi.count)
            for (j, wj) in unitW.enumerated() {
                for k in dxs.indices { dxs[k] += dz[i][j] * wj[k] }
                for k in dxs.indices { dw[j][k] += dz[i][j] * xs[k] }
            }
            let y = labels[i]
            if y >= 0 {
                let c = row[y] / s
                let s3 = sign(c) * sign(2 * c * c - 1), s4 = 2 * sign(c) + s3 - 3
                row[y] = (s * (s3 * (8 * pow(c, 4) - 8 * c * c + 1) + s4) + lambda * row[y]) / (1 + lambda)
                var cw = s3 * (32 * pow(c, 3) - 16 * c)
                var cx = -(s3 * (24 * pow(c, 4) - 8 * c * c - 1) - s4) / s
                let n = (cw * cw + cx * cx).squareRoot()
                cw /= n
                cx /= n
                // Own class: dz (λ w + cw w + cx x̃) / (1 + λ) instead of dz w.
                for k in dxs.indices {
                    dxs[k] += dz[i][y] * ((lambda + cw) * unitW[y][k] + cx * xs[k]) / (1 + lambda) - dz[i][y] * unitW[y][k]
                }
            }
            logits.append(row)
            let du = dxs.map { $0 * s }
            let along = dot(u, du)
            dx.append(du.indices.map { (du[$0] - u[$0] * along) / norm })
        }
        return (logits, dx, dw)
    }

    /// Random batches with own-class angles in all four ψ branches (θ of 20°, 60°, 110° and 160°),
    /// sequence samples among them, agree with the Double reference of the Caffe layer.
    func testCaffeBackwardMatchesTheLayerFormulas() throws {
        var rng = SeededGenerator(seed: 21)
        let d = 6, c = 5, s: Float = 32
        let config = MarginConfig(kind: .sphereface, scale: s, lambdaBase: 1000, gamma: 0.12, power: 1, lambdaMin: 2)
        let head = try MarginHead(featureDim: d, classes: c, config: config, using: &rng)
        let w = (0..<c).map { _ in (0..<d).map { _ in Double(rng.nextGaussian()) * 2 } }
        head.weight.value = Tensor(shape: [c, d], data: w.flatMap { $0.map(Float.init) })
        let labels = [0, 1, 2, 3, -1, 4, -2]
        let angles: [Double] = [20, 60, 110, 160, 0, 45 + 1, 0].map { $0 * Double.pi / 180 }
        var x: [[Double]] = []
        for (i, y) in labels.enumerated() {
            var random = (0..<d).map { _ in Double(rng.nextGaussian()) }
            guard y >= 0 else { x.append(random); continue }
            // x = |x| (cos θ ŵ + sin θ v̂), v̂ ⟂ ŵ: the own-class cosine is cos θ.
            let wn = (w[y].reduce(0) { $0 + $1 * $1 }).squareRoot()
            let wHat = w[y].map { $0 / wn }
            let along = zip(random, wHat).reduce(0) { $0 + $1.0 * $1.1 }
            random = zip(random, wHat).map { $0 - along * $1 }
            let vn = (random.reduce(0) { $0 + $1 * $1 }).squareRoot()
            let length = 0.5 + Double(i)
            x.append(wHat.indices.map { length * (cos(angles[i]) * wHat[$0] + sin(angles[i]) * random[$0] / vn) })
        }
        let dz = labels.map { _ in (0..<c).map { _ in Double(rng.nextGaussian()) * 0.1 } }
        let iteration = 300
        let lambda = Double(config.sphereLambda(iteration: iteration))
        XCTAssertGreaterThan(lambda, 2, "the schedule is still annealing")
        let want = caffeQuadruple(x: x, w: w, labels: labels, dz: dz, s: Double(s), lambda: lambda)
        let z = head.forward(Tensor(shape: [x.count, d], data: x.flatMap { $0.map(Float.init) }), labels: labels.map(Int32.init),
                             iteration: iteration)
        head.weight.zeroGrad()
        let dx = head.backward(Tensor(shape: [x.count, c], data: dz.flatMap { $0.map(Float.init) }))
        func assertClose(_ got: [Float], _ want: [[Double]], _ what: String) {
            let flat = want.flatMap { $0 }
            let scale = flat.map(abs).max()!
            for (i, (a, b)) in zip(got, flat).enumerated() {
                XCTAssertEqual(Double(a), b, accuracy: 1e-4 * scale, "\(what)[\(i)]")
            }
        }
        assertClose(z.data, want.logits, "logits")
        assertClose(dx.data, want.dx, "dx")
        assertClose(head.weight.grad.data, want.dw, "dw")
    }

    /// The class weights are rewritten to unit rows by every forward pass, whatever the kind
    /// and backward rule, and the logits are those of the normalised weights.
    func testForwardNormalisesTheClassWeightsInPlace() throws {
        for (kind, backward) in [(MarginKind.sphereface, MarginBackward.caffe), (.sphereface, .exact), (.cosface, .exact), (.arcface, .exact), (.none, .exact)] {
            let head = try makeHead(kind, backward: backward)
            var rng = SeededGenerator(seed: 4)
            head.weight.value = Tensor(shape: [4, 5], data: (0..<20).map { _ in rng.nextGaussian() * 3 })
            let x = Tensor(shape: [3, 5], data: (0..<15).map { _ in rng.nextGaussian() })
            let before = head.forward(x, labels: [0, 2, -1], iteration: 5)
            for r in 0..<4 {
                let row = head.weight.value.data[(r * 5)..<(r * 5 + 5)]
                XCTAssertEqual(row.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5, "\(kind) row \(r)")
            }
            let after = head.forward(x, labels: [0, 2, -1], iteration: 5)
            for (a, b) in zip(before.data, after.data) { XCTAssertEqual(a, b, accuracy: 1e-4, "\(kind)") }
        }
    }

    /// `head.backward` in a config: sphereface defaults to Caffe's rule, the other kinds to the
    /// exact derivative, and "caffe" with another kind is refused.
    func testBackwardRuleDefaultsAndChecks() throws {
        XCTAssertEqual(MarginConfig().backward, .caffe)
        XCTAssertEqual(MarginConfig(kind: .cosface).backward, .exact)
        XCTAssertEqual(MarginConfig(kind: .sphereface, backward: .exact).backward, .exact)
        XCTAssertThrowsError(try MarginConfig(kind: .arcface, backward: .caffe).validate()) { e in
            XCTAssertTrue("\(e)".contains("sphereface only"), "\(e)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seqhead-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func load(_ json: String) throws -> TrainConfig {
            let url = dir.appendingPathComponent("c.json")
            try json.write(to: url, atomically: true, encoding: .utf8)
            return try TrainConfig.load(from: url)
        }
        XCTAssertEqual(try load("{}").head.backward, .caffe)
        XCTAssertEqual(try load(#"{"head": {"kind": "cosface"}}"#).head.backward, .exact)
        XCTAssertEqual(try load(#"{"head": {"backward": "exact"}}"#).head, MarginConfig(kind: .sphereface, backward: .exact))
        XCTAssertThrowsError(try load(#"{"head": {"kind": "cosface", "backward": "caffe"}}"#))
        XCTAssertThrowsError(try load(#"{"head": {"backward": "approximate"}}"#))
        var flags = TrainOverrides()
        flags.headBackward = .exact
        var config = TrainConfig()
        try flags.apply(to: &config)
        XCTAssertEqual(config.head.backward, .exact)
        flags.margin = .cosface
        flags.headBackward = nil
        try flags.apply(to: &config)
        XCTAssertEqual(config.head.backward, .exact, "a new kind takes its own default rule")
    }
}
