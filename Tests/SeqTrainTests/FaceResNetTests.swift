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
}
