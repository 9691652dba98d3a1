import XCTest
import SeqNN
@testable import SeqTrain

final class FaceResNetTests: XCTestCase {
    func testPublishedTopology() throws {
        var rng = SeededGenerator(seed: 1)
        let net = try FaceResNet(config: .faceRes20, using: &rng)
        let convs = net.parameters.filter { $0.name.hasPrefix("conv") && $0.name.hasSuffix(".weight") }
        XCTAssertEqual(convs.count, 20)
        XCTAssertEqual(net.fc5.weight.value.shape, [512, 512 * 8 * 8])
        // About 5.3 GFLOP (2 x multiply-adds) per image, as the method page states.
        let gflop = Double(2 * net.multiplyAddsPerImage) / 1e9
        XCTAssertEqual(gflop, 5.3, accuracy: 0.4)
        let names = Set(net.parameters.map(\.name))
        for n in ["conv1_1.weight", "relu1_1.slope", "conv1_3.weight", "conv2_5.weight", "conv3_9.weight", "conv4_3.weight", "fc5.weight", "fc5.bias"] {
            XCTAssertTrue(names.contains(n), n)
        }
        XCTAssertEqual(names.count, net.parameters.count, "parameter names must be unique")
    }

    func testPublishedInitialisation() throws {
        var rng = SeededGenerator(seed: 2)
        var cfg = NetworkConfig.faceRes20
        cfg.inputSize = 32
        let net = try FaceResNet(config: cfg, using: &rng)
        let byName = Dictionary(uniqueKeysWithValues: net.parameters.map { ($0.name, $0) })
        func std(_ v: [Float]) -> Float {
            let mean = v.reduce(0, +) / Float(v.count)
            return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
        }
        XCTAssertEqual(std(byName["conv3_4.weight"]!.value.data), 0.01, accuracy: 0.0005)
        let open = byName["conv2_1.weight"]!.value.data
        let bound = (3.0 / Float(64 * 9)).squareRoot()
        XCTAssertLessThanOrEqual(open.map(abs).max()!, bound)
        XCTAssertEqual(std(open), bound / Float(3).squareRoot(), accuracy: bound * 0.05)
        XCTAssertTrue(byName["conv2_2.bias"]!.value.data.allSatisfy { $0 == 0 })
        XCTAssertTrue(byName["relu3_1.slope"]!.value.data.allSatisfy { $0 == 0.25 })
        XCTAssertEqual(byName["conv1_1.bias"]!.lrMult, 2)
        XCTAssertEqual(byName["conv1_1.bias"]!.decayMult, 0)
    }

    func testVariantShapesAndGradient() throws {
        var rng = SeededGenerator(seed: 3)
        var cfg = NetworkConfig()
        cfg.channels = [4, 6]
        cfg.units = [1, 1]
        cfg.inputSize = 9
        cfg.inputChannels = 1
        cfg.featureDim = 5
        let net = try FaceResNet(config: cfg, using: &rng)
        XCTAssertEqual(cfg.finalMapSize, 3)
        // Order-one weights and biases keep activations away from the PReLU kink at this step size.
        for p in net.parameters where !p.name.hasPrefix("relu") {
            p.value = Initializer.gaussian(shape: p.value.shape, std: 0.4, using: &rng)
        }
        let x = Tensor(shape: [2, 1, 9, 9], data: (0..<162).map { _ in rng.nextGaussian() })
        let y = net.forward(x)
        XCTAssertEqual(y.shape, [2, 5])
        // d(sum(R*y))/dθ for a few parameters against central differences.
        let r = (0..<10).map { _ in rng.nextGaussian() }
        func objective() -> Double { zip(net.forward(x).data, r).reduce(0.0) { $0 + Double($1.0 * $1.1) } }
        for p in net.parameters { p.zeroGrad() }
        _ = net.forward(x)
        net.backward(Tensor(shape: [2, 5], data: r))
        for p in net.parameters where p.name.hasPrefix("conv1_1") || p.name.hasPrefix("conv2_3") || p.name.hasPrefix("relu1_2") {
            for i in stride(from: 0, to: p.value.count, by: max(1, p.value.count / 5)) {
                let v = p.value.data[i], h: Float = 1e-3
                p.value.data[i] = v + h; let fp = objective()
                p.value.data[i] = v - h; let fm = objective()
                p.value.data[i] = v
                let numeric = (fp - fm) / Double(2 * h)
                XCTAssertEqual(Double(p.grad.data[i]), numeric, accuracy: 1e-2 * max(1, abs(numeric)), "\(p.name)[\(i)]")
            }
        }
    }

    func testConfigRejectsUnknownKeysByName() throws {
        let bad = Data(#"{"channels": [8, 16], "units": [1, 1], "input_size": 32, "widht": 2}"#.utf8)
        XCTAssertThrowsError(try decodeConfig(NetworkConfig.self, from: bad, path: "net.json")) { error in
            XCTAssertTrue("\(error)".contains("\"widht\""), "\(error)")
            XCTAssertTrue("\(error)".contains("net.json"), "\(error)")
        }
        let good = Data(#"{"channels": [8, 16], "units": [1, 1], "input_size": 32, "width": 2}"#.utf8)
        let cfg = try decodeConfig(NetworkConfig.self, from: good, path: "net.json")
        XCTAssertEqual(cfg.effectiveChannels, [16, 32])
        XCTAssertThrowsError(try decodeConfig(NetworkConfig.self, from: Data(#"{"units": [1]}"#.utf8), path: "n.json"))
    }

    /// Every parameter's (lr_mult, decay_mult) as the `param` blocks of the published
    /// train_val.prototxt give them: opening convs and fc5 weights 1/1 and biases 2/0, residual-unit
    /// convs weights 1/1 and biases 0/0, PReLU slopes Caffe's defaults 1/1 (no `param` block).
    func testSolverMultipliersFollowThePublishedPrototxt() throws {
        var rng = SeededGenerator(seed: 4)
        var cfg = NetworkConfig.faceRes20
        cfg.inputSize = 32
        let net = try FaceResNet(config: cfg, using: &rng)
        var checked = 0
        for p in net.parameters {
            let parts = p.name.split(separator: ".")
            let layer = String(parts[0]), blob = String(parts[1])
            let opening = layer == "fc5" || layer.hasSuffix("_1")
            let expected: (Float, Float)
            switch (layer.hasPrefix("relu"), blob) {
            case (true, _): expected = (1, 1)
            case (false, "weight"): expected = (1, 1)
            case (false, "bias"): expected = opening ? (2, 0) : (0, 0)
            default: return XCTFail("unexpected parameter \(p.name)")
            }
            XCTAssertEqual(p.lrMult, expected.0, "\(p.name) lr_mult")
            XCTAssertEqual(p.decayMult, expected.1, "\(p.name) decay_mult")
            checked += 1
        }
        // 20 convs (weight + bias), 20 PReLUs, fc5 (weight + bias).
        XCTAssertEqual(checked, 20 * 2 + 20 + 2)
        XCTAssertEqual(net.parameters.filter { $0.name.hasSuffix(".bias") && $0.lrMult == 0 }.count, 16, "the 16 residual-unit conv biases")

        // SGD leaves the frozen biases at zero and decays the PReLU slopes.
        let solver = SGDSolver(config: SolverConfig())
        for p in net.parameters { p.grad = Tensor(repeating: 0.5, shape: p.value.shape) }
        solver.step(net.parameters, learningRate: 0.1)
        let byName = Dictionary(uniqueKeysWithValues: net.parameters.map { ($0.name, $0) })
        XCTAssertTrue(byName["conv3_4.bias"]!.value.data.allSatisfy { $0 == 0 })
        XCTAssertTrue(byName["conv1_1.bias"]!.value.data.allSatisfy { abs($0 + 0.1) < 1e-6 }, "lr x2, no decay")
        let slope = byName["relu2_3.slope"]!.value.data[0]
        XCTAssertEqual(slope, 0.25 - 0.1 * (0.5 + 5e-4 * 0.25), accuracy: 1e-7, "lr x1, decay x1")
    }
}
