import Foundation
import SeqNN
import SeqTestSupport
import XCTest
@testable import SeqDetect

/// MTCNN's hand-written kernels against the general layers they replace.
final class MTCNNKernelTests: XCTestCase {
    /// P-Net's first layer computed directly gives `Conv2D`'s outputs to float rounding, for
    /// widths that are and are not a multiple of the four pixels done at once, and batches.
    func testDirectFirstLayerMatchesTheConvolution() {
        var rng = TestRandom(seed: 2027)
        let conv = Conv2D(inChannels: 3, outChannels: 10, kernel: 3)
        conv.weight.value = Tensor(shape: [10, 3, 3, 3], data: (0..<270).map { _ in rng.uniform() })
        conv.bias.value = Tensor(shape: [10], data: (0..<10).map { _ in rng.uniform() })
        for shape in [[1, 3, 12, 12], [1, 3, 31, 45], [2, 3, 17, 22], [1, 3, 3, 3]] {
            let count = shape.reduce(1, *)
            let x = Tensor(shape: shape, data: (0..<count).map { _ in rng.uniform() })
            let direct = MTCNNKernels.pnetFirstLayer(x, conv)
            let reference = conv.forward(x)
            XCTAssertEqual(direct.shape, reference.shape)
            let worst = zip(direct.data, reference.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-5, "\(shape)")
        }
        // Other shapes are left to the convolution itself.
        let other = Conv2D(inChannels: 3, outChannels: 8, kernel: 3)
        let x = Tensor(shape: [1, 3, 9, 9], data: (0..<243).map { _ in rng.uniform() })
        XCTAssertEqual(MTCNNKernels.pnetFirstLayer(x, other), other.forward(x))
    }
}
