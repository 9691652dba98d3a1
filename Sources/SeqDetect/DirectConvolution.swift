import SeqNN

/// An inference-only convolution with stride 1 and no padding (every MTCNN convolution),
/// computed directly from the input planes, with its bias and, optionally, PReLU applied as the
/// outputs are stored.
///
/// Why not `Conv2D` (im2col and a matrix product): P-Net's layers have few channels over a
/// whole pyramid level, so im2col writes a column matrix 9 to 144 rows tall of the level,
/// OpenBLAS packs it again and the product reads it once more. At 720p that copying was about
/// half of P-Net's time and P-Net a fifth of the default ingest's CPU. Here each output block (4
/// channels x two vectors of pixels of a row, in eight accumulators) loads its inputs straight
/// from the planes, which stay in the first-level cache across the channel blocks.
///
/// Sums run bias first, then the taps in (input channel, row, column) order, as a fused
/// multiply-add where the build targets a CPU with FMA (`SEQCURATE_FMA`, see Package.swift) and
/// as a multiply and an add otherwise; pixels at a row's end take the same path (the last block
/// is moved back over pixels already done), and so do short rows (see `run`), so every output
/// is computed alike. Results agree
/// with `Conv2D.forward`'s to float rounding (`DirectConvolutionTests`).
struct DirectConvolution {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    /// Weights by block of four output channels: `[block][in][ky][kx][4]`; the channels past
    /// `outChannels` in the last block are zero (computed, never stored).
    private let packed: [Float]
    /// Bias, padded to whole blocks.
    private let bias: [Float]
    /// PReLU slopes per output channel, padded; nil: no activation.
    private let slopes: [Float]?

    /// Output channels per block.
    static let block = 4
    /// The vector the kernels work in: 16 floats where the build targets AVX-512
    /// (`SEQCURATE_AVX512`, see Package.swift), else 8 (AVX2's registers; two halves elsewhere).
    #if SEQCURATE_AVX512
    typealias Vector = SIMD16<Float>
    #else
    typealias Vector = SIMD8<Float>
    #endif
    static let lanes = Vector.scalarCount
    /// Pixels per block: two vectors.
    static let span = 2 * lanes

    /// - Parameters:
    ///   - weight: `[out, in, k, k]`, row-major (Caffe's and `Conv2D`'s layout).
    ///   - slopes: PReLU slopes per output channel, applied to the outputs; nil: none.
    init(weight: [Float], bias: [Float], inChannels: Int, outChannels: Int, kernel: Int, slopes: [Float]? = nil) {
        precondition(weight.count == outChannels * inChannels * kernel * kernel, "weight does not match its shape")
        precondition(bias.count == outChannels, "one bias per output channel")
        precondition(slopes.map { $0.count == outChannels } ?? true, "one slope per output channel")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        let blocks = (outChannels + Self.block - 1) / Self.block
        let taps = inChannels * kernel * kernel
        var packed = [Float](repeating: 0, count: blocks * taps * Self.block)
        for o in 0..<outChannels {
            for t in 0..<taps { packed[((o / Self.block) * taps + t) * Self.block + o % Self.block] = weight[o * taps + t] }
        }
        self.packed = packed
        let padding = [Float](repeating: 0, count: blocks * Self.block - outChannels)
        self.bias = bias + padding
        self.slopes = slopes.map { $0 + padding }
    }

    /// The layer of `conv` (stride 1, no padding), with `slopes` applied after it when given.
    init(_ conv: Conv2D, slopes: [Float]? = nil) {
        precondition(conv.stride == 1 && conv.padding == 0 && conv.kernelH == conv.kernelW, "a direct convolution is square, stride 1, unpadded")
        self.init(weight: conv.weight.value.data, bias: conv.bias.value.data, inChannels: conv.inChannels,
                  outChannels: conv.outChannels, kernel: conv.kernelH, slopes: slopes)
    }

    /// `[N, in, H, W]` → `[N, out, H - k + 1, W - k + 1]`.
    func forward(_ x: Tensor) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "input \(x.shape) for \(inChannels) channels")
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        precondition(h >= kernel && w >= kernel, "input \(x.shape) smaller than the \(kernel)x\(kernel) kernel")
        let oh = h - kernel + 1, ow = w - kernel + 1
        return Tensor(shape: [n, outChannels, oh, ow]) { yb in
        x.data.withUnsafeBufferPointer { xb in
        packed.withUnsafeBufferPointer { pb in
        bias.withUnsafeBufferPointer { bb in
            let geometry = Geometry(inChannels: inChannels, outChannels: outChannels, height: h, width: w,
                                    outHeight: oh, outWidth: ow)
            for image in 0..<n {
                let input = xb.baseAddress! + image * inChannels * h * w
                let output = yb.baseAddress! + image * outChannels * oh * ow
                // A constant kernel size lets the compiler unroll the row of taps.
                switch kernel {
                case 3: Self.run(3, input, output, pb.baseAddress!, bb.baseAddress!, slopes, geometry)
                case 2: Self.run(2, input, output, pb.baseAddress!, bb.baseAddress!, slopes, geometry)
                case 1: Self.run(1, input, output, pb.baseAddress!, bb.baseAddress!, slopes, geometry)
                default: Self.run(kernel, input, output, pb.baseAddress!, bb.baseAddress!, slopes, geometry)
                }
            }
        }}}}
    }

    private struct Geometry {
        let inChannels, outChannels, height, width, outHeight, outWidth: Int
    }

    @inline(__always)
    private static func madd(_ acc: Vector, _ w: Float, _ v: Vector) -> Vector {
        #if SEQCURATE_FMA
        return acc.addingProduct(Vector(repeating: w), v)
        #else
        return acc + Vector(repeating: w) * v
        #endif
    }

    @inline(__always)
    private static func madd(_ acc: Float, _ w: Float, _ v: Float) -> Float {
        #if SEQCURATE_FMA
        return acc.addingProduct(w, v)
        #else
        return acc + w * v
        #endif
    }

    /// PReLU as `MTCNNKernels.prelu` computes it: `x > 0 ? x : slope * x`.
    @inline(__always)
    private static func activate(_ v: Vector, _ slope: Float?) -> Vector {
        guard let slope else { return v }
        return (v * slope).replacing(with: v, where: v .> 0)
    }

    /// One image. Long rows are done row by row. Short ones (under two vectors, or where the
    /// row's last block, moved back, would redo over a tenth of it: R-Net's and O-Net's maps)
    /// are done as one run of positions through the whole image at the input's row stride:
    /// position `y * W + x` reads its taps at the same offsets as in a row, the positions past
    /// a row's end (`x >= W - k + 1`, `k - 1` per row) are computed and dropped, and the outputs
    /// are gathered from scratch into rows.
    @inline(__always)
    private static func run(_ k: Int, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                            _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ slopes: [Float]?, _ g: Geometry) {
        let plane = g.outHeight * g.outWidth
        let computed = (g.outWidth + span - 1) / span * span
        if g.outWidth >= span && computed * 10 <= g.outWidth * 11 {
            for y in 0..<g.outHeight {
                positions(g.outWidth, k, input + y * g.width, output + y * g.outWidth, plane, weights, bias, slopes, g)
            }
            return
        }
        let run = (g.outHeight - 1) * g.width + g.outWidth
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: g.outChannels * run)
        defer { scratch.deallocate() }
        positions(run, k, input, scratch, run, weights, bias, slopes, g)
        for c in 0..<g.outChannels {
            for y in 0..<g.outHeight {
                (output + c * plane + y * g.outWidth).update(from: scratch + c * run + y * g.width, count: g.outWidth)
            }
        }
    }

    /// The outputs at `count` consecutive positions from `src` (every channel; channel `c`'s at
    /// `dst + c * dstPlane`): blocks of two vectors of positions (one, for runs under two; one
    /// position, for runs under a vector), the last one moved back to end at the run's end.
    @inline(__always)
    private static func positions(_ count: Int, _ k: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  _ dstPlane: Int, _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                                  _ slopes: [Float]?, _ g: Geometry) {
        let inPlane = g.height * g.width
        let blocks = (g.outChannels + block - 1) / block
        let blockWeights = g.inChannels * k * k * block
        let width = count >= span ? span : count >= lanes ? lanes : 1
        var x = 0
        while x < count {
            let x0 = min(x, count - width)
            for b in 0..<blocks {
                let w = weights + b * blockWeights
                let c0 = b * block, valid = min(block, g.outChannels - c0)
                let from = src + x0, to = dst + c0 * dstPlane + x0
                switch width {
                case span: two(k, from, to, w, bias + c0, slopes, c0, valid, g.inChannels, g.width, inPlane, dstPlane)
                case lanes: one(k, from, to, w, bias + c0, slopes, c0, valid, g.inChannels, g.width, inPlane, dstPlane)
                default: single(k, from, to, w, bias + c0, slopes, c0, valid, g.inChannels, g.width, inPlane, dstPlane)
                }
            }
            x = x0 + width
        }
    }

    /// Four channels x two vectors of pixels.
    @inline(__always)
    private static func two(_ k: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ slopes: [Float]?, _ c0: Int,
                                _ valid: Int, _ inChannels: Int, _ rowWidth: Int, _ inPlane: Int, _ plane: Int) {
        var a0 = Vector(repeating: bias[0]), b0 = a0
        var a1 = Vector(repeating: bias[1]), b1 = a1
        var a2 = Vector(repeating: bias[2]), b2 = a2
        var a3 = Vector(repeating: bias[3]), b3 = a3
        var wp = w
        for ci in 0..<inChannels {
            var row = src + ci * inPlane
            for _ in 0..<k {
                for kx in 0..<k {
                    let v = UnsafeRawPointer(row + kx).loadUnaligned(as: Vector.self)
                    let u = UnsafeRawPointer(row + kx + lanes).loadUnaligned(as: Vector.self)
                    a0 = madd(a0, wp[0], v); b0 = madd(b0, wp[0], u)
                    a1 = madd(a1, wp[1], v); b1 = madd(b1, wp[1], u)
                    a2 = madd(a2, wp[2], v); b2 = madd(b2, wp[2], u)
                    a3 = madd(a3, wp[3], v); b3 = madd(b3, wp[3], u)
                    wp += block
                }
                row += rowWidth
            }
        }
        @inline(__always) func store(_ c: Int, _ v: Vector, _ u: Vector) {
            guard c < valid else { return }
            let slope = slopes.map { $0[c0 + c] }
            let o = UnsafeMutableRawPointer(dst + c * plane)
            o.storeBytes(of: activate(v, slope), as: Vector.self)
            o.storeBytes(of: activate(u, slope), toByteOffset: lanes * MemoryLayout<Float>.size, as: Vector.self)
        }
        store(0, a0, b0); store(1, a1, b1); store(2, a2, b2); store(3, a3, b3)
    }

    /// Four channels x one vector of pixels (rows of one to two vectors).
    @inline(__always)
    private static func one(_ k: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                              _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ slopes: [Float]?, _ c0: Int,
                              _ valid: Int, _ inChannels: Int, _ rowWidth: Int, _ inPlane: Int, _ plane: Int) {
        var a0 = Vector(repeating: bias[0]), a1 = Vector(repeating: bias[1])
        var a2 = Vector(repeating: bias[2]), a3 = Vector(repeating: bias[3])
        var wp = w
        // The kernel rows of every input channel in turn (channel r / k, row r % k): the order
        // of `two`'s nested loops. Short rows only, so the division costs nothing that matters.
        for r in 0..<(inChannels * k) {
            let row = src + (r / k) * inPlane + (r % k) * rowWidth
            for kx in 0..<k {
                let v = UnsafeRawPointer(row + kx).loadUnaligned(as: Vector.self)
                a0 = madd(a0, wp[0], v); a1 = madd(a1, wp[1], v)
                a2 = madd(a2, wp[2], v); a3 = madd(a3, wp[3], v)
                wp += block
            }
        }
        @inline(__always) func store(_ c: Int, _ v: Vector) {
            guard c < valid else { return }
            UnsafeMutableRawPointer(dst + c * plane).storeBytes(of: activate(v, slopes.map { $0[c0 + c] }), as: Vector.self)
        }
        store(0, a0); store(1, a1); store(2, a2); store(3, a3)
    }

    /// Four channels x 1 pixel (rows under a vector), lane by lane as the vectors do.
    @inline(__always)
    private static func single(_ k: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                               _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ slopes: [Float]?, _ c0: Int,
                               _ valid: Int, _ inChannels: Int, _ rowWidth: Int, _ inPlane: Int, _ plane: Int) {
        var acc = (bias[0], bias[1], bias[2], bias[3])
        var wp = w
        for ci in 0..<inChannels {
            var row = src + ci * inPlane
            for _ in 0..<k {
                for kx in 0..<k {
                    let v = row[kx]
                    acc.0 = madd(acc.0, wp[0], v); acc.1 = madd(acc.1, wp[1], v)
                    acc.2 = madd(acc.2, wp[2], v); acc.3 = madd(acc.3, wp[3], v)
                    wp += block
                }
                row += rowWidth
            }
        }
        @inline(__always) func store(_ c: Int, _ v: Float) {
            guard c < valid else { return }
            dst[c * plane] = slopes.map { v > 0 ? v : $0[c0 + c] * v } ?? v
        }
        store(0, acc.0); store(1, acc.1); store(2, acc.2); store(3, acc.3)
    }
}
