import XCTest
@testable import SeqNN
import SeqTestSupport

extension TestRandom {
    /// A tensor of `uniform()` values times `scale`.
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<n).map { _ in uniform() * scale })
    }
}

/// Compares analytic gradients with central finite differences of the scalar loss
/// `L = sum(forward(x) * r)` for a fixed random `r`, accumulated in Double.
enum GradientCheck {
    static func loss(_ y: Tensor, _ r: Tensor) -> Double {
        var s: Double = 0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
        return s
    }

    static func assertClose(_ analytic: Float, _ numeric: Double, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let diff = abs(Double(analytic) - numeric)
        let scale = max(abs(numeric), abs(Double(analytic)), 1e-2)
        XCTAssertLessThanOrEqual(diff / scale, 1e-2, "\(what): analytic \(analytic) vs numeric \(numeric)",
                                 file: file, line: line)
    }

    /// Checks d/dx and d/dparam for a layer at input `x`. `eps` is the finite-difference step.
    static func check(_ layer: Layer, input x: Tensor, eps: Float = 1e-2, seed: UInt64 = 7,
                      file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRandom(seed: seed)
        let y = layer.forward(x)
        let r = rng.tensor(y.shape)
        for p in layer.parameters { p.zeroGrad() }
        let dx = layer.backward(r)
        XCTAssertEqual(dx.shape, x.shape, file: file, line: line)

        for i in 0..<x.count {
            var xp = x, xm = x
            xp.data[i] += eps
            xm.data[i] -= eps
            let numeric = (loss(layer.forward(xp), r) - loss(layer.forward(xm), r)) / (2 * Double(eps))
            assertClose(dx.data[i], numeric, "dx[\(i)]", file: file, line: line)
        }
        for p in layer.parameters {
            let analytic = p.grad
            for i in 0..<p.value.count {
                let original = p.value.data[i]
                p.value.data[i] = original + eps
                let lp = loss(layer.forward(x), r)
                p.value.data[i] = original - eps
                let lm = loss(layer.forward(x), r)
                p.value.data[i] = original
                assertClose(analytic.data[i], (lp - lm) / (2 * Double(eps)), "\(p.name)[\(i)]", file: file, line: line)
            }
        }
    }

    /// Fills every parameter with random values.
    static func randomize(_ layer: Layer, seed: UInt64, scale: Float = 0.5) {
        var rng = TestRandom(seed: seed)
        for p in layer.parameters { p.value = rng.tensor(p.value.shape, scale: scale) }
    }
}
