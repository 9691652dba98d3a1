import XCTest
import SeqTestSupport
@testable import SeqNN

/// Forward passes against straightforward reference loops.
final class ForwardTests: XCTestCase {
    /// Direct convolution, the definition.
    func referenceConv(_ x: Tensor, _ conv: Conv2D) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = conv.outputSize(height: h, width: w)
        var y = Tensor(zeros: [n, conv.outChannels, oh, ow])
        for i in 0..<n { for o in 0..<conv.outChannels { for oy in 0..<oh { for ox in 0..<ow {
            var s = Double(conv.bias.value.data[o])
            for ci in 0..<c { for ky in 0..<conv.kernelH { for kx in 0..<conv.kernelW {
                let iy = oy * conv.stride - conv.padding + ky, ix = ox * conv.stride - conv.padding + kx
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                s += Double(x[i, ci, iy, ix]) * Double(conv.weight.value[o, ci, ky, kx])
            }}}
            y[i, o, oy, ox] = Float(s)
        }}}}
        return y
    }

    func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, file: file, line: line)
        guard a.shape == b.shape else { return }
        var worst: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a.data[i] - b.data[i]) / max(1, abs(b.data[i]))) }
        XCTAssertLessThanOrEqual(worst, tolerance, file: file, line: line)
    }

    func testConvolutionMatchesDirectLoops() {
        let configs: [(cin: Int, cout: Int, kh: Int, kw: Int, s: Int, p: Int, shape: [Int])] = [
            (3, 10, 3, 3, 1, 0, [2, 3, 12, 12]),  // P-Net conv1
            (4, 5, 3, 3, 2, 1, [3, 4, 9, 8]),     // strided, padded, odd size
            (6, 4, 1, 1, 1, 0, [2, 6, 5, 7]),     // pointwise fast path
            (2, 3, 2, 2, 1, 0, [1, 2, 3, 3]),     // R-Net style 2x2
            (2, 3, 3, 2, 3, 2, [2, 2, 7, 6]),     // rectangular, stride 3, wide padding
            (3, 2, 1, 1, 2, 0, [2, 3, 6, 6]),     // strided 1x1 takes the general path
            (3, 4, 5, 5, 1, 2, [2, 3, 7, 9]),     // "same" 5x5: shifted-copy path
            (2, 3, 3, 1, 1, 0, [2, 2, 6, 5]),     // shifted copy, no padding, fewer rows out
            (2, 2, 1, 3, 1, 1, [2, 2, 4, 6]),     // shifted copy, rows of pure padding
            (32, 5, 3, 3, 1, 1, [3, 32, 7, 5]),   // Winograd (>= 32 inputs) with odd output sizes
            (33, 3, 3, 3, 1, 2, [1, 33, 3, 4]),   // Winograd with tiles mostly padding
            (40, 2, 3, 3, 1, 0, [2, 40, 6, 9]),   // Winograd without padding
        ]
        for (k, cfg) in configs.enumerated() {
            let conv = Conv2D(inChannels: cfg.cin, outChannels: cfg.cout, kernelH: cfg.kh, kernelW: cfg.kw,
                              stride: cfg.s, padding: cfg.p)
            GradientCheck.randomize(conv, seed: UInt64(100 + k))
            var rng = TestRandom(seed: UInt64(200 + k))
            let x = rng.tensor(cfg.shape)
            let expected = referenceConv(x, conv)
            assertClose(conv.forward(x), expected)
            // One image per product, then one output row per product, as on large inputs.
            conv.chunkBudget = 1
            assertClose(conv.forward(x), expected)
            conv.bandBudget = 1
            assertClose(conv.forward(x), expected)
            // Bands of two rows.
            conv.bandBudget = conv.weight.value.shape.dropFirst().reduce(1, *) * conv.outputSize(height: cfg.shape[2], width: cfg.shape[3]).width * 2
            assertClose(conv.forward(x), expected)
            // Winograd (3x3 stride 1): several images per product, then one tile row per product.
            conv.winogradBudget = 1
            assertClose(conv.forward(x), expected)
            conv.winogradBudget = 1 << 21
            assertClose(conv.forward(x), expected)
            // im2col for every kernel.
            conv.useWinograd = false
            assertClose(conv.forward(x), expected)
        }
    }

    /// Backward through the one-image-per-product path agrees with the batched path.
    func testConvolutionBackwardSameForEveryChunking() {
        let conv = Conv2D(inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1)
        GradientCheck.randomize(conv, seed: 31)
        var rng = TestRandom(seed: 32)
        let x = rng.tensor([5, 3, 6, 6]), dy = rng.tensor([5, 4, 6, 6])
        var results: [(Tensor, Tensor, Tensor)] = []
        for (chunk, band) in [(1 << 22, 1 << 20), (3 * 27 * 36, 1 << 20), (1, 1 << 20), (1, 27 * 6 * 4), (1, 1)] {
            conv.chunkBudget = chunk
            conv.bandBudget = band
            conv.weight.zeroGrad(); conv.bias.zeroGrad()
            _ = conv.forward(x)
            results.append((conv.backward(dy), conv.weight.grad, conv.bias.grad))
        }
        for r in results.dropFirst() {
            assertClose(r.0, results[0].0)
            assertClose(r.1, results[0].1)
            assertClose(r.2, results[0].2)
        }
    }

    /// Winograd and im2col give the same forward pass and gradients on wide 3x3 layers.
    func testWinogradMatchesIm2col() {
        for (padding, shape) in [(1, [3, 32, 7, 6]), (0, [2, 32, 6, 9]), (2, [1, 32, 3, 3])] {
            let conv = Conv2D(inChannels: 32, outChannels: 40, kernel: 3, stride: 1, padding: padding)
            GradientCheck.randomize(conv, seed: 41, scale: 0.2)
            var rng = TestRandom(seed: 42)
            let x = rng.tensor(shape)
            var results: [(Tensor, Tensor, Tensor, Tensor)] = []
            for (winograd, budget) in [(false, 1 << 21), (true, 1 << 21), (true, 1)] {
                conv.useWinograd = winograd
                conv.winogradBudget = budget
                conv.weight.zeroGrad(); conv.bias.zeroGrad()
                let y = conv.forward(x)
                var dyRng = TestRandom(seed: 43)
                let dy = dyRng.tensor(y.shape)
                results.append((y, conv.backward(dy), conv.weight.grad, conv.bias.grad))
            }
            for r in results.dropFirst() {
                assertClose(r.0, results[0].0)
                assertClose(r.1, results[0].1)
                assertClose(r.2, results[0].2)
                assertClose(r.3, results[0].3)
            }
        }
    }

    func testMaxPoolUsesCaffeCeilRounding() {
        let pool = MaxPool2D(kernel: 2, stride: 2)
        XCTAssertEqual(pool.outputExtent(5), 3)
        XCTAssertEqual(pool.outputExtent(4), 2)
        let p3 = MaxPool2D(kernel: 3, stride: 2)
        XCTAssertEqual(p3.outputExtent(22), 11)  // R-Net after conv1
        XCTAssertEqual(p3.outputExtent(9), 4)
        XCTAssertEqual(p3.outputExtent(46), 23)  // O-Net
        let x = Tensor(shape: [1, 1, 5, 5], data: (0..<25).map { Float($0) })
        let y = pool.forward(x)
        XCTAssertEqual(y.shape, [1, 1, 3, 3])
        // The last row and column are windows clipped to one pixel wide.
        XCTAssertEqual(y.data, [6, 8, 9, 16, 18, 19, 21, 23, 24])
    }

    func testPReLUPerChannel() {
        let prelu = PReLU(channels: 2)
        prelu.slope.value = Tensor(shape: [2], data: [0.5, 0.1])
        let y = prelu.forward(Tensor(shape: [1, 2, 1, 2], data: [-2, 3, -10, 4]))
        XCTAssertEqual(y.data, [-1, 3, -1, 4])
        XCTAssertEqual(PReLU(channels: 1).forward(Tensor(shape: [1, 1], data: [-4])).data, [-1])
    }

    func testLinearFlattensInCOrder() {
        let fc = Linear(inFeatures: 4, outFeatures: 2)
        fc.weight.value = Tensor(shape: [2, 4], data: [1, 2, 3, 4, 0, 0, 0, 1])
        fc.bias.value = Tensor(shape: [2], data: [0.5, -1])
        let y = fc.forward(Tensor(shape: [2, 1, 2, 2], data: [1, 1, 1, 1, 1, 0, 0, 2]))
        XCTAssertEqual(y.shape, [2, 2])
        XCTAssertEqual(y.data, [10.5, 0, 9.5, 1])
    }

    func testSoftmaxAlongChannels() {
        let x = Tensor(shape: [1, 2, 1, 2], data: [0, 1000, 0, 999])
        let y = softmax(x)
        XCTAssertEqual(y.data[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(y.data[2], 0.5, accuracy: 1e-6)
        XCTAssertEqual(y.data[1], 1 / (1 + expf(-1)), accuracy: 1e-6)
        XCTAssertEqual(y.data[1] + y.data[3], 1, accuracy: 1e-6)
        let rows = softmax(Tensor(shape: [2, 3], data: [1, 2, 3, 0, 0, 0]))
        XCTAssertEqual(rows.data[3], 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(rows.data[2], expf(3) / (expf(1) + expf(2) + expf(3)), accuracy: 1e-6)
    }

    func testL2NormalizeAndScale() {
        let y = L2Normalize().forward(Tensor(shape: [2, 2], data: [3, 4, 0, 0]))
        XCTAssertEqual(y.data[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(y.data[1], 0.8, accuracy: 1e-6)
        XCTAssertEqual(y.data[2], 0)  // a zero row stays zero, not NaN
        XCTAssertEqual(Scale(32).forward(y).data[1], 25.6, accuracy: 1e-5)
    }

    /// MTCNN's P-Net geometry: 12x12 in, 1x1 out.
    func testPNetShapes() {
        let net = Sequential([
            Conv2D(inChannels: 3, outChannels: 10, kernel: 3), PReLU(channels: 10), MaxPool2D(kernel: 2, stride: 2),
            Conv2D(inChannels: 10, outChannels: 16, kernel: 3), PReLU(channels: 16),
            Conv2D(inChannels: 16, outChannels: 32, kernel: 3), PReLU(channels: 32),
            Conv2D(inChannels: 32, outChannels: 2, kernel: 1),
        ])
        XCTAssertEqual(net.forward(Tensor(zeros: [1, 3, 12, 12])).shape, [1, 2, 1, 1])
        XCTAssertEqual(net.forward(Tensor(zeros: [2, 3, 31, 40])).shape, [2, 2, 11, 15])  // 31 -> 29 -> ceil pool 15 -> 13 -> 11
    }
}

final class TensorTests: XCTestCase {
    func testBatchSliceAndConcatenate() {
        let t = Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.batch(1..<3), Tensor(shape: [2, 2], data: [3, 4, 5, 6]))
        XCTAssertEqual(Tensor(concatenating: [t.batch(0..<1), t.batch(1..<3)]), t)
        XCTAssertEqual(t[2, 1], 6)
        XCTAssertEqual(Tensor(zeros: [2, 0]).count, 0)
    }

    func testFillersFollowCaffe() {
        var rng = SystemRandomNumberGenerator()
        let p = Parameter(name: "w", value: Tensor(zeros: [64, 32, 3, 3]))
        p.fillXavier(using: &rng)
        let a = (3.0 / Float(32 * 9)).squareRoot()
        XCTAssertTrue(p.value.data.allSatisfy { abs($0) <= a })
        XCTAssertGreaterThan(p.value.data.map { abs($0) }.max()!, a * 0.9)
        p.fillGaussian(std: 0.01, using: &rng)
        let n = Double(p.value.count)
        let mean = p.value.data.reduce(0.0) { $0 + Double($1) } / n
        let std = (p.value.data.reduce(0.0) { $0 + Double($1) * Double($1) } / n - mean * mean).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 1e-3)
        XCTAssertEqual(std, 0.01, accuracy: 1e-3)
        p.fill(0)
        XCTAssertTrue(p.value.data.allSatisfy { $0 == 0 })
    }
}
