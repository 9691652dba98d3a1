import Foundation
import SeqCore
import SeqNN

/// dlib's face descriptor ResNet (`dlib_face_recognition_resnet_model_v1`) on SeqNN layers,
/// inference only. The layer list, padding rules and tensor layout are in docs/embedding.md.
///
/// 150x150 RGB → conv 7x7/2 (32) → max pool 3x3/2 → residual levels at 32 (3 blocks),
/// 64 (down + 3), 128 (down + 2), 256 (down + 2), 256 (down) → global average → fc 128, no bias.
/// Every dlib `affine` layer (a frozen batch norm: `gamma * x + beta` per channel) directly
/// follows a convolution and is folded into it at load time.
///
/// Not thread-safe (the layers keep scratch state); `FaceEmbedder` pools instances.
final class DlibResNet {
    /// One residual block: two 3x3 convolutions (the first with the block's stride) and, for a
    /// down-sampling block, the 2x2/2 average pool on the shortcut.
    struct Block {
        var first: Conv2D
        var second: Conv2D
        var down: Bool
    }

    /// Blocks per level, input side first, and their channel counts and kinds.
    static let levels: [(channels: Int, down: Bool, count: Int)] = [
        (32, false, 3), (64, true, 1), (64, false, 3), (128, true, 1), (128, false, 2),
        (256, true, 1), (256, false, 2), (256, true, 1),
    ]

    static let inputSize = 150
    /// Convolutions whose output maps are this small or smaller use im2col, not Winograd.
    static let smallestWinogradSide = 3
    static let dimension = 128
    /// dlib's `input_rgb_image_sized` subtracts these from R, G, B, then divides by 256.
    static let mean: (r: Float, g: Float, b: Float) = (122.782, 117.001, 104.298)

    let stem: Conv2D
    let blocks: [Block]
    /// Every convolution, in the order of the weights' indices.
    let convolutions: [Conv2D]
    let fc: Linear
    let stemPool = PoolWindow(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 0, padW: 0, ceil: false)
    let shortcutPool = PoolWindow(kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, ceil: false)

    /// Builds the network from the tensors tools/convert_dlib.py writes, taking them out of
    /// `weights` (so that folding the affine layers works on the only copy, in place); throws
    /// when one is missing or of the wrong shape.
    init(taking weights: inout [String: Tensor]) throws {
        var index = 0
        /// Convolution `index` on maps of `side` pixels; the side it gives is `side` then.
        func conv(_ inC: Int, _ outC: Int, kernel: Int, stride: Int, side: inout Int) throws -> Conv2D {
            defer { index += 1 }
            let (w, b) = try Self.folded(index: index, shape: [outC, inC, kernel, kernel], from: &weights)
            // dlib's default padding: none for strided convolutions, else "same".
            let padding = stride == 1 ? kernel / 2 : 0
            let layer = Conv2D(frozenWeight: w, bias: b, stride: stride, padding: padding, name: "conv\(index)")
            side = (side + 2 * padding - kernel) / stride + 1
            // On the 256-channel levels' 3x3 and 1x1 maps, Winograd's 2x2 tiles save little or
            // nothing over im2col (measured: the same chips/s at batch 1 and 32), and their
            // transformed weights would be 25 of the 39 MB kept.
            layer.useWinograd = side > Self.smallestWinogradSide
            // The weights never change: their Winograd transform is kept, not redone per call
            // (and shared by the copies of the network `FaceEmbedder` pools).
            layer.keepTransformedWeights()
            return layer
        }
        var side = Self.inputSize
        stem = try conv(3, 32, kernel: 7, stride: 2, side: &side)
        side = (side - 3) / 2 + 1  // the 3x3/2 max pool
        var blocks: [Block] = []
        var channels = 32
        for level in Self.levels {
            for _ in 0..<level.count {
                let first = try conv(channels, level.channels, kernel: 3, stride: level.down ? 2 : 1, side: &side)
                let second = try conv(level.channels, level.channels, kernel: 3, stride: 1, side: &side)
                blocks.append(Block(first: first, second: second, down: level.down))
                channels = level.channels
            }
        }
        self.blocks = blocks
        convolutions = [stem] + blocks.flatMap { [$0.first, $0.second] }
        fc = Linear(inFeatures: channels, outFeatures: Self.dimension, name: "fc")
        fc.weight.value = try Self.take("fc.weight", shape: [Self.dimension, channels], from: &weights)
    }

    /// Another network with the same weights as `other` (their buffers and Winograd transforms
    /// shared, nothing copied or computed again) and scratch state of its own.
    init(copying other: DlibResNet) {
        func copy(_ c: Conv2D) -> Conv2D {
            let layer = Conv2D(frozenWeight: c.weight.value, bias: c.bias.value, stride: c.stride, padding: c.padding,
                               name: String(c.weight.name.dropLast(".weight".count)))
            layer.useWinograd = c.useWinograd
            layer.keepTransformedWeights(sharingWith: c)
            return layer
        }
        stem = copy(other.stem)
        blocks = other.blocks.map { Block(first: copy($0.first), second: copy($0.second), down: $0.down) }
        convolutions = [stem] + blocks.flatMap { [$0.first, $0.second] }
        fc = Linear(inFeatures: other.fc.inFeatures, outFeatures: other.fc.outFeatures, name: "fc")
        fc.weight.value = other.fc.weight.value
    }

    /// Convolution `index`'s filters and biases with its affine layer folded in:
    /// `gamma * (W x + b) + beta` = `(gamma W) x + (gamma b + beta)`.
    private static func folded(index: Int, shape: [Int], from weights: inout [String: Tensor]) throws -> (Tensor, Tensor) {
        var w = try take("conv\(index).weight", shape: shape, from: &weights)
        var b = try take("conv\(index).bias", shape: [shape[0]], from: &weights)
        let gamma = try take("affine\(index).gamma", shape: [shape[0]], from: &weights)
        let beta = try take("affine\(index).beta", shape: [shape[0]], from: &weights)
        let perFilter = shape.dropFirst().reduce(1, *)
        w.data.withUnsafeMutableBufferPointer { wp in
            for o in 0..<shape[0] {
                let g = gamma.data[o]
                for j in (o * perFilter)..<((o + 1) * perFilter) { wp[j] *= g }
            }
        }
        for o in 0..<shape[0] { b.data[o] = b.data[o] * gamma.data[o] + beta.data[o] }
        return (w, b)
    }

    /// Takes tensor `name` out of `weights` (its buffer then has no other owner), with `shape`.
    private static func take(_ name: String, shape: [Int], from weights: inout [String: Tensor]) throws -> Tensor {
        guard var t = weights.removeValue(forKey: name) else { throw SeqError("no tensor \(name)") }
        // The converter writes 1-D vectors; anything else must match exactly.
        guard t.count == shape.reduce(1, *), t.shape == shape || (shape.count == 1) else {
            throw SeqError("tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        t.shape = shape
        return t
    }

    /// Descriptors `[N, 128]` of a batch `[N, 3, 150, 150]` already normalised by `inputTensor`.
    func forward(_ x: Tensor) -> Tensor {
        var h = stem.forward(x)
        Self.relu(&h)
        h = stemPool.forward(h, average: false)
        for block in blocks {
            var r = block.first.forward(h)
            Self.relu(&r)
            r = block.second.forward(r)
            let shortcut = block.down ? shortcutPool.forward(h, average: true) : h
            if r.shape == shortcut.shape {
                // The branch's own buffer takes the sum (no copy of it).
                Self.add(shortcut, into: &r)
                h = r
            } else {
                h = Self.addZeroPadded(r, shortcut)
            }
            Self.relu(&h)
        }
        return fc.forward(Self.globalAverage(h))
    }

    /// The batch tensor of 150x150 RGB chips (`pixels` in HWC order, 3 bytes a pixel):
    /// `(value - mean) / 256` per channel, NCHW, as dlib's `input_rgb_image_sized` does.
    static func inputTensor(_ chips: [[UInt8]]) -> Tensor {
        let plane = inputSize * inputSize
        var t = Tensor(zeros: [chips.count, 3, inputSize, inputSize])
        let means = [mean.r, mean.g, mean.b]
        t.data.withUnsafeMutableBufferPointer { tb in
            for (i, chip) in chips.enumerated() {
                precondition(chip.count == plane * 3, "chip of \(chip.count) bytes")
                chip.withUnsafeBufferPointer { cb in
                    for c in 0..<3 {
                        let out = tb.baseAddress! + (i * 3 + c) * plane
                        let m = means[c]
                        for p in 0..<plane { out[p] = (Float(cb[p * 3 + c]) - m) / 256 }
                    }
                }
            }
        }
        return t
    }

    static func relu(_ t: inout Tensor) {
        t.data.withUnsafeMutableBufferPointer { b in
            // A select rather than a branch, so that it vectorises; the same values.
            for i in 0..<b.count { b[i] = b[i] < 0 ? 0 : b[i] }
        }
    }

    /// `a += b` for tensors of one shape.
    static func add(_ b: Tensor, into a: inout Tensor) {
        precondition(a.shape == b.shape, "shapes differ: \(a.shape) \(b.shape)")
        a.data.withUnsafeMutableBufferPointer { o in
            b.data.withUnsafeBufferPointer { bb in
                for i in 0..<o.count { o[i] += bb[i] }
            }
        }
    }

    /// dlib's `add_prev`: the sum of two `[N, C, H, W]` tensors whose C, H and W may differ;
    /// the result takes the larger extent of each, the smaller tensor counting as zero outside
    /// its own extent. (The down-sampling blocks add a 3x3-strided branch to a 2x2-pooled
    /// shortcut: 64 vs 32 channels, and at 8→3 vs 8→4 pixels, different sizes.)
    static func addZeroPadded(_ a: Tensor, _ b: Tensor) -> Tensor {
        if a.shape == b.shape {
            var out = a
            out.data.withUnsafeMutableBufferPointer { o in
                b.data.withUnsafeBufferPointer { bb in
                    for i in 0..<o.count { o[i] += bb[i] }
                }
            }
            return out
        }
        precondition(a.shape[0] == b.shape[0], "batch sizes differ: \(a.shape) \(b.shape)")
        let n = a.shape[0]
        let c = max(a.shape[1], b.shape[1]), h = max(a.shape[2], b.shape[2]), w = max(a.shape[3], b.shape[3])
        var out = Tensor(zeros: [n, c, h, w])
        out.data.withUnsafeMutableBufferPointer { o in
            for src in [a, b] {
                let (sc, sh, sw) = (src.shape[1], src.shape[2], src.shape[3])
                src.data.withUnsafeBufferPointer { s in
                    for i in 0..<n {
                        for ch in 0..<sc {
                            for y in 0..<sh {
                                let from = ((i * sc + ch) * sh + y) * sw
                                let to = ((i * c + ch) * h + y) * w
                                for x in 0..<sw { o[to + x] += s[from + x] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// `avg_pool_everything`: the mean of each channel, `[N, C, H, W]` → `[N, C]`.
    static func globalAverage(_ t: Tensor) -> Tensor {
        let (n, c) = (t.shape[0], t.shape[1])
        let plane = t.shape[2] * t.shape[3]
        var out = Tensor(zeros: [n, c])
        t.data.withUnsafeBufferPointer { s in
            for k in 0..<(n * c) {
                var sum: Float = 0
                for p in 0..<plane { sum += s[k * plane + p] }
                out.data[k] = sum / Float(plane)
            }
        }
        return out
    }
}
