import Foundation
import SeqNN
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// MTCNN's hand-written kernels against the general layers they replace.
final class MTCNNKernelTests: XCTestCase {
    /// The direct convolution gives `Conv2D`'s outputs to float rounding for every MTCNN layer
    /// shape, for long rows (the last block moved back), short rows done as one run through the
    /// image, runs of one vector and under one,
    /// output channels that do and do not fill the blocks of four, and batches; with PReLU it
    /// gives `MTCNNKernels.prelu` of them.
    func testDirectConvolutionMatchesTheConvolution() {
        var rng = TestRandom(seed: 2027)
        let layers = [(3, 10, 3), (10, 16, 3), (16, 32, 3), (32, 6, 1), (48, 64, 2), (3, 5, 2)]
        let sizes = [(12, 12), (31, 45), (17, 22), (5, 9), (3, 3), (40, 16), (6, 66), (5, 302), (24, 24), (11, 11)]
        for (i, (inputs, outputs, k)) in layers.enumerated() {
            let conv = Conv2D(inChannels: inputs, outChannels: outputs, kernel: k)
            conv.weight.value = Tensor(shape: [outputs, inputs, k, k], data: (0..<(outputs * inputs * k * k)).map { _ in rng.uniform() })
            conv.bias.value = Tensor(shape: [outputs], data: (0..<outputs).map { _ in rng.uniform() })
            let slopes = (0..<outputs).map { _ in 0.25 * rng.uniform() }
            let plain = DirectConvolution(conv), activated = DirectConvolution(conv, slopes: slopes)
            for (j, (h, w)) in sizes.enumerated() where h >= k && w >= k {
                let shape = [1 + (i + j) % 2, inputs, h, w]
                let x = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.uniform() - 0.5 })
                var reference = conv.forward(x)
                let direct = plain.forward(x)
                XCTAssertEqual(direct.shape, reference.shape)
                XCTAssertLessThan(zip(direct.data, reference.data).map { abs($0 - $1) }.max() ?? 0, 1e-4, "\(shape) k \(k)")
                MTCNNKernels.prelu(&reference, slopes: slopes)
                let withPReLU = activated.forward(x)
                XCTAssertLessThan(zip(withPReLU.data, reference.data).map { abs($0 - $1) }.max() ?? 0, 1e-4, "\(shape) k \(k), PReLU")
            }
        }
    }

    /// Every output is computed alike wherever it falls in its row: a row's pixels agree to the
    /// bit with the same pixels computed as part of a wider row.
    func testDirectConvolutionIsTheSameOnEveryPath() {
        var rng = TestRandom(seed: 7)
        let weight = (0..<(8 * 4 * 9)).map { _ in rng.uniform() }
        let conv = DirectConvolution(weight: weight, bias: (0..<8).map { _ in rng.uniform() }, inChannels: 4, outChannels: 8, kernel: 3)
        let wide = Tensor(shape: [1, 4, 3, 40], data: (0..<480).map { _ in rng.uniform() })
        let out = conv.forward(wide)
        for width in [3, 9, 13, 20] {  // 1, 7, 11 and 18 outputs: the single, 8 and 16 paths
            var narrow = Tensor(zeros: [1, 4, 3, width])
            for c in 0..<4 { for y in 0..<3 { for x in 0..<width { narrow[0, c, y, x] = wide[0, c, y, x] } } }
            let part = conv.forward(narrow)
            for c in 0..<8 { for x in 0..<(width - 2) { XCTAssertEqual(part[0, c, 0, x], out[0, c, 0, x], "width \(width)") } }
        }
    }

    /// Fused PReLU and max pooling equal PReLU, then Caffe's pooling (windows clipped at the
    /// border, extents rounded up), computed naively: for 2x2 and 3x3 windows at stride 2,
    /// negative and positive slopes, maps wide enough for sixteen outputs at a time and not.
    func testPReLUMaxPoolMatchesPReLUThenPooling() {
        var rng = TestRandom(seed: 11)
        for (k, h, w) in [(2, 7, 45), (2, 6, 32), (2, 5, 9), (3, 9, 40), (3, 4, 5)] {
            let c = 3
            let x = Tensor(shape: [1, c, h, w], data: (0..<(c * h * w)).map { _ in rng.uniform() })
            let slopes: [Float] = [0.25, -0.5, 0]
            let y = MTCNNKernels.preluMaxPool(x, slopes: slopes, kernel: k, stride: 2)
            let oh = MTCNNKernels.poolExtent(h, kernel: k, stride: 2), ow = MTCNNKernels.poolExtent(w, kernel: k, stride: 2)
            XCTAssertEqual(y.shape, [1, c, oh, ow])
            for ch in 0..<c {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var best = -Float.infinity
                        for iy in (2 * oy)..<min(2 * oy + k, h) {
                            for ix in (2 * ox)..<min(2 * ox + k, w) {
                                let v = x[0, ch, iy, ix]
                                best = max(best, v > 0 ? v : slopes[ch] * v)
                            }
                        }
                        XCTAssertEqual(y[0, ch, oy, ox], best, "k \(k) \(h)x\(w) at \(ch), \(oy), \(ox)")
                    }
                }
            }
        }
    }
}
