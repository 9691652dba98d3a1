import XCTest
import SeqTestSupport
@testable import SeqNN

/// Analytic gradients of every trainable layer against central finite differences.
final class GradientTests: XCTestCase {
    func testConv3x3PaddedGradients() {
        let conv = Conv2D(inChannels: 2, outChannels: 3, kernel: 3, stride: 1, padding: 1)
        GradientCheck.randomize(conv, seed: 1)
        var rng = TestRandom(seed: 2)
        GradientCheck.check(conv, input: rng.tensor([2, 2, 5, 4]))
    }

    func testConvStridedGradients() {
        let conv = Conv2D(inChannels: 2, outChannels: 2, kernelH: 3, kernelW: 2, stride: 2, padding: 1)
        GradientCheck.randomize(conv, seed: 3)
        var rng = TestRandom(seed: 4)
        GradientCheck.check(conv, input: rng.tensor([3, 2, 6, 5]))
    }

    /// The Winograd forward path (3x3, stride 1, >= 32 input channels) against im2col's backward.
    func testConvWinogradGradients() {
        let conv = Conv2D(inChannels: 32, outChannels: 2, kernel: 3, stride: 1, padding: 1)
        GradientCheck.randomize(conv, seed: 22, scale: 0.2)
        var rng = TestRandom(seed: 23)
        GradientCheck.check(conv, input: rng.tensor([1, 32, 3, 3]))
    }

    /// The Winograd input gradient (3x3, stride 1, >= 32 output channels), every padding it takes.
    func testConvWinogradInputGradients() {
        for padding in 0...2 {
            let conv = Conv2D(inChannels: 2, outChannels: 32, kernel: 3, stride: 1, padding: padding)
            GradientCheck.randomize(conv, seed: 24, scale: 0.2)
            var rng = TestRandom(seed: 25)
            GradientCheck.check(conv, input: rng.tensor([1, 2, 4, 3]))
        }
    }

    /// Stride 1 with same width but more output rows than input rows (row padding only).
    func testConvRowPaddedGradients() {
        let conv = Conv2D(inChannels: 2, outChannels: 2, kernelH: 1, kernelW: 3, stride: 1, padding: 1)
        GradientCheck.randomize(conv, seed: 20)
        var rng = TestRandom(seed: 21)
        GradientCheck.check(conv, input: rng.tensor([2, 2, 3, 4]))
        conv.bandBudget = 1  // one output row per product
        GradientCheck.check(conv, input: rng.tensor([2, 2, 3, 4]))
    }

    func testConvPointwiseGradients() {
        let conv = Conv2D(inChannels: 3, outChannels: 2, kernel: 1)
        GradientCheck.randomize(conv, seed: 5)
        var rng = TestRandom(seed: 6)
        GradientCheck.check(conv, input: rng.tensor([2, 3, 3, 4]))
    }

    func testPReLUGradients() {
        let prelu = PReLU(channels: 3)
        GradientCheck.randomize(prelu, seed: 7)
        var rng = TestRandom(seed: 8)
        // Keep inputs away from the kink at 0, where finite differences are meaningless.
        var x = rng.tensor([2, 3, 2, 3])
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.3 }
        GradientCheck.check(prelu, input: x)
        // Planes longer than one vector register run the vectorised path and its tail.
        var x3 = rng.tensor([1, 3, 5, 7])
        for i in 0..<x3.count where abs(x3.data[i]) < 0.05 { x3.data[i] = 0.3 }
        GradientCheck.check(prelu, input: x3)
        var x2 = rng.tensor([4, 3])
        for i in 0..<x2.count where abs(x2.data[i]) < 0.05 { x2.data[i] = -0.3 }
        GradientCheck.check(prelu, input: x2)
    }

    func testLinearGradients() {
        let fc = Linear(inFeatures: 12, outFeatures: 4)
        GradientCheck.randomize(fc, seed: 9)
        var rng = TestRandom(seed: 10)
        GradientCheck.check(fc, input: rng.tensor([3, 3, 2, 2]))
    }

    func testL2NormalizeGradients() {
        var rng = TestRandom(seed: 11)
        GradientCheck.check(L2Normalize(), input: rng.tensor([3, 5]), eps: 1e-3)
    }

    func testScaleGradients() {
        var rng = TestRandom(seed: 12)
        GradientCheck.check(Scale(32), input: rng.tensor([2, 4]))
    }

    func testMaxPoolGradients() {
        var rng = TestRandom(seed: 13)
        // Distinct values spaced further apart than the step, so the argmax never flips.
        let n = 2 * 2 * 5 * 5
        var values = (0..<n).map { Float($0) * 0.1 }
        for i in stride(from: n - 1, to: 0, by: -1) { values.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        GradientCheck.check(MaxPool2D(kernel: 3, stride: 2), input: Tensor(shape: [2, 2, 5, 5], data: values))
    }

    func testAddGradients() {
        var rng = TestRandom(seed: 14)
        let a = rng.tensor([2, 3]), b = rng.tensor([2, 3]), r = rng.tensor([2, 3])
        let add = Add()
        let y = add.forward(a, b)
        for i in 0..<y.count { XCTAssertEqual(y.data[i], a.data[i] + b.data[i]) }
        let (da, db) = add.backward(r)
        let eps: Float = 1e-2
        for i in 0..<a.count {
            var ap = a, am = a, bp = b, bm = b
            ap.data[i] += eps; am.data[i] -= eps; bp.data[i] += eps; bm.data[i] -= eps
            let na = (GradientCheck.loss(add.forward(ap, b), r) - GradientCheck.loss(add.forward(am, b), r)) / (2 * Double(eps))
            let nb = (GradientCheck.loss(add.forward(a, bp), r) - GradientCheck.loss(add.forward(a, bm), r)) / (2 * Double(eps))
            GradientCheck.assertClose(da.data[i], na, "da[\(i)]")
            GradientCheck.assertClose(db.data[i], nb, "db[\(i)]")
        }
    }

    /// A residual unit end to end: conv -> PReLU -> conv -> PReLU, plus the skip connection.
    func testResidualUnitGradients() {
        let c1 = Conv2D(inChannels: 2, outChannels: 2, kernel: 3, padding: 1, name: "a")
        let c2 = Conv2D(inChannels: 2, outChannels: 2, kernel: 3, padding: 1, name: "b")
        let body = Sequential([c1, PReLU(channels: 2, name: "pa"), c2, PReLU(channels: 2, name: "pb")])
        GradientCheck.randomize(c1, seed: 15)
        GradientCheck.randomize(c2, seed: 16)
        final class Residual: Layer {
            let body: Sequential; let add = Add()
            init(_ body: Sequential) { self.body = body }
            func forward(_ x: Tensor) -> Tensor { add.forward(x, body.forward(x)) }
            func backward(_ dy: Tensor) -> Tensor {
                let (dSkip, dBody) = add.backward(dy)
                let dx = body.backward(dBody)
                return Add().forward(dSkip, dx)
            }
            var parameters: [Parameter] { body.parameters }
        }
        var rng = TestRandom(seed: 17)
        GradientCheck.check(Residual(body), input: rng.tensor([2, 2, 4, 4]), eps: 5e-3)
    }

    /// Gradients accumulate across backward calls rather than overwrite.
    func testParameterGradientsAccumulate() {
        let fc = Linear(inFeatures: 3, outFeatures: 2)
        GradientCheck.randomize(fc, seed: 18)
        var rng = TestRandom(seed: 19)
        let x = rng.tensor([2, 3]), dy = rng.tensor([2, 2])
        _ = fc.forward(x)
        _ = fc.backward(dy)
        let once = fc.weight.grad
        _ = fc.backward(dy)
        for i in 0..<once.count { XCTAssertEqual(fc.weight.grad.data[i], 2 * once.data[i], accuracy: 1e-5) }
        fc.weight.zeroGrad()
        XCTAssertTrue(fc.weight.grad.data.allSatisfy { $0 == 0 })
    }
}
