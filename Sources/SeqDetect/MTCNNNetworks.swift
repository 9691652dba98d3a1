import Foundation
import SeqCore
import SeqNN

/// One instance of the three MTCNN networks: convolutions and fully connected layers from
/// SeqNN, PReLU and pooling fused for inference (MTCNNKernels). Each network's output heads
/// are merged into one layer (P-Net: 2 scores + 4 offsets; O-Net: 2 + 4 + 10 landmarks).
///
/// SeqNN layers keep scratch buffers, so an instance serves one thread at a time; instances
/// built from the same weight dictionary share the weight storage (copy-on-write arrays).
final class MTCNNNetworks {
    /// P-Net's layers, computed directly (`DirectConvolution`): conv1 (its PReLU comes with the
    /// pooling), conv2 and conv3 with their PReLU, and the heads.
    private let pnetConv: [DirectConvolution]
    private let pnetSlopes: [[Float]]
    private let pnetHeads: DirectConvolution
    /// conv1 and conv2 direct; conv3 (2x2 over a 4x4 map) through `Conv2D`.
    private let rnetDirect: [DirectConvolution]
    private let rnetConv: Conv2D
    private let rnetSlopes: [[Float]]
    private let rnetDense: Linear
    private let rnetHeads: Linear
    /// conv1 and conv2 direct; conv3 (64 channels over 10x10, where Winograd is faster) and
    /// conv4 (2x2 over a 4x4 map) through `Conv2D`.
    private let onetDirect: [DirectConvolution]
    private let onetConv: [Conv2D]
    private let onetSlopes: [[Float]]
    private let onetDense: Linear
    private let onetHeads: Linear

    /// Builds the networks from the tensors of mtcnn.safetensors (names in docs/mtcnn.md),
    /// checking every name and shape.
    init(weights: [String: Tensor]) throws {
        func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
            guard let t = weights[name] else { throw SeqError("missing tensor \"\(name)\"") }
            guard t.shape == shape else { throw SeqError("tensor \"\(name)\" has shape \(t.shape), expected \(shape)") }
            guard t.data.allSatisfy({ $0.isFinite }) else { throw SeqError("tensor \"\(name)\" holds NaN or infinity") }
            return t
        }
        func conv(_ name: String, _ i: Int, _ o: Int, _ k: Int) throws -> Conv2D {
            let layer = Conv2D(inChannels: i, outChannels: o, kernel: k, name: name)
            layer.weight.value = try tensor(name + ".weight", [o, i, k, k])
            layer.bias.value = try tensor(name + ".bias", [o])
            return layer
        }
        func slopes(_ name: String, _ c: Int) throws -> [Float] { try tensor(name + ".slope", [c]).data }
        func dense(_ name: String, _ i: Int, _ o: Int) throws -> Linear {
            let layer = Linear(inFeatures: i, outFeatures: o, name: name)
            layer.weight.value = try tensor(name + ".weight", [o, i])
            layer.bias.value = try tensor(name + ".bias", [o])
            return layer
        }
        /// Output layers reading the same input, stacked into one (rows concatenated).
        func merged(_ names: [String], _ outs: [Int], _ i: Int, kernel: [Int] = []) throws -> (weight: [Float], bias: [Float]) {
            var w: [Float] = [], b: [Float] = []
            for (name, o) in zip(names, outs) {
                w += try tensor(name + ".weight", [o, i] + kernel).data
                b += try tensor(name + ".bias", [o]).data
            }
            return (w, b)
        }

        pnetSlopes = [try slopes("pnet.prelu1", 10), try slopes("pnet.prelu2", 16), try slopes("pnet.prelu3", 32)]
        pnetConv = [DirectConvolution(try conv("pnet.conv1", 3, 10, 3)),
                    DirectConvolution(try conv("pnet.conv2", 10, 16, 3), slopes: pnetSlopes[1]),
                    DirectConvolution(try conv("pnet.conv3", 16, 32, 3), slopes: pnetSlopes[2])]
        let ph = try merged(["pnet.conv4_1", "pnet.conv4_2"], [2, 4], 32, kernel: [1, 1])
        pnetHeads = DirectConvolution(weight: ph.weight, bias: ph.bias, inChannels: 32, outChannels: 6, kernel: 1)

        rnetDirect = [DirectConvolution(try conv("rnet.conv1", 3, 28, 3)), DirectConvolution(try conv("rnet.conv2", 28, 48, 3))]
        rnetConv = try conv("rnet.conv3", 48, 64, 2)
        rnetSlopes = [try slopes("rnet.prelu1", 28), try slopes("rnet.prelu2", 48), try slopes("rnet.prelu3", 64),
                      try slopes("rnet.prelu4", 128)]
        rnetDense = try dense("rnet.dense4", 576, 128)
        rnetHeads = Linear(inFeatures: 128, outFeatures: 6, name: "rnet.heads")
        let rh = try merged(["rnet.dense5_1", "rnet.dense5_2"], [2, 4], 128)
        rnetHeads.weight.value = Tensor(shape: [6, 128], data: rh.weight)
        rnetHeads.bias.value = Tensor(shape: [6], data: rh.bias)

        onetDirect = [DirectConvolution(try conv("onet.conv1", 3, 32, 3)), DirectConvolution(try conv("onet.conv2", 32, 64, 3))]
        onetConv = [try conv("onet.conv3", 64, 64, 3), try conv("onet.conv4", 64, 128, 2)]
        onetSlopes = [try slopes("onet.prelu1", 32), try slopes("onet.prelu2", 64), try slopes("onet.prelu3", 64),
                      try slopes("onet.prelu4", 128), try slopes("onet.prelu5", 256)]
        onetDense = try dense("onet.dense5", 1152, 256)
        onetHeads = Linear(inFeatures: 256, outFeatures: 16, name: "onet.heads")
        let oh = try merged(["onet.dense6_1", "onet.dense6_2", "onet.dense6_3"], [2, 4, 10], 256)
        onetHeads.weight.value = Tensor(shape: [16, 256], data: oh.weight)
        onetHeads.bias.value = Tensor(shape: [16], data: oh.bias)
    }

    /// P-Net over one normalised image `[1, 3, H, W]`: the face probability map `[H', W']`
    /// and the box offsets `[4, H', W']`, both row-major, with `H' = ceil((H-2)/2) - 4`.
    func pnet(_ x: Tensor) -> (probability: [Float], offsets: [Float], height: Int, width: Int) {
        let t = MTCNNKernels.preluMaxPool(pnetConv[0].forward(x), slopes: pnetSlopes[0], kernel: 2, stride: 2)
        let out = pnetHeads.forward(pnetConv[2].forward(pnetConv[1].forward(t)))
        let h = out.shape[2], w = out.shape[3], plane = h * w
        var probability = [Float](repeating: 0, count: plane)
        let offsets = Array(out.data[(2 * plane)...])
        out.data.withUnsafeBufferPointer { l in
            for i in 0..<plane {
                // Two-class softmax: p(face) = 1 / (1 + exp(background - face)).
                probability[i] = 1 / (1 + expf(l[i] - l[plane + i]))
            }
        }
        return (probability, offsets, h, w)
    }

    /// R-Net over `[N, 3, 24, 24]`: face probabilities `[N]` and box offsets `[N, 4]`.
    func rnet(_ x: Tensor) -> (probability: [Float], offsets: [Float]) {
        var t = MTCNNKernels.preluMaxPool(rnetDirect[0].forward(x), slopes: rnetSlopes[0], kernel: 3, stride: 2)
        t = MTCNNKernels.preluMaxPool(rnetDirect[1].forward(t), slopes: rnetSlopes[1], kernel: 3, stride: 2)
        t = rnetConv.forward(t)
        MTCNNKernels.prelu(&t, slopes: rnetSlopes[2])
        t = rnetDense.forward(t)
        MTCNNKernels.prelu(&t, slopes: rnetSlopes[3])
        let out = rnetHeads.forward(t)
        let heads = split(out, widths: [2, 4])
        return (probabilities(heads[0]), heads[1])
    }

    /// O-Net over `[N, 3, 48, 48]`: face probabilities `[N]`, box offsets `[N, 4]` and
    /// landmarks `[N, 10]` (five x then five y, in units of the box size).
    func onet(_ x: Tensor) -> (probability: [Float], offsets: [Float], landmarks: [Float]) {
        var t = MTCNNKernels.preluMaxPool(onetDirect[0].forward(x), slopes: onetSlopes[0], kernel: 3, stride: 2)
        t = MTCNNKernels.preluMaxPool(onetDirect[1].forward(t), slopes: onetSlopes[1], kernel: 3, stride: 2)
        t = MTCNNKernels.preluMaxPool(onetConv[0].forward(t), slopes: onetSlopes[2], kernel: 2, stride: 2)
        t = onetConv[1].forward(t)
        MTCNNKernels.prelu(&t, slopes: onetSlopes[3])
        t = onetDense.forward(t)
        MTCNNKernels.prelu(&t, slopes: onetSlopes[4])
        let out = onetHeads.forward(t)
        let heads = split(out, widths: [2, 4, 10])
        return (probabilities(heads[0]), heads[1], heads[2])
    }

    /// Splits `[N, sum(widths)]` rows into one `[N, width]` block per head.
    private func split(_ out: Tensor, widths: [Int]) -> [[Float]] {
        let n = out.shape[0], total = widths.reduce(0, +)
        var blocks = widths.map { [Float](repeating: 0, count: n * $0) }
        for i in 0..<n {
            var col = 0
            for (b, w) in widths.enumerated() {
                for j in 0..<w { blocks[b][i * w + j] = out.data[i * total + col + j] }
                col += w
            }
        }
        return blocks
    }

    /// Face probabilities from `[N, 2]` (background, face) logits: the two-class softmax.
    private func probabilities(_ logits: [Float]) -> [Float] {
        (0..<(logits.count / 2)).map { i in 1 / (1 + expf(logits[2 * i] - logits[2 * i + 1])) }
    }
}
