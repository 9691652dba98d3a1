import Foundation
import SeqCore

/// Runs a `GraphSpec` forward (inference only): convolutions and fully connected layers on
/// `Conv2D` and `Linear` (BLAS), the rest as plain loops.
///
/// `init` checks the whole graph before anything runs: every blob a node reads exists, every
/// weight is present with the shape the node needs, and every map is large enough for its
/// window; problems are thrown as `SeqError`s naming the node. Blobs are dropped as soon as no
/// later node reads them. Not safe to share between threads (the layers keep scratch buffers).
public final class GraphNetwork {
    public let spec: GraphSpec
    /// Per-sample shape of every blob (`[C, H, W]` or `[D]`).
    public let shapes: [String: [Int]]
    private let steps: [Step]
    /// Index of the last step that reads each blob.
    private let lastUse: [String: Int]

    /// Per-sample shape of the output blob.
    public var outputShape: [Int] { shapes[spec.output]! }
    /// Elements per sample of the output blob.
    public var outputSize: Int { outputShape.reduce(1, *) }

    private struct Step {
        var node: GraphNode
        var kernel: Kernel
    }

    private enum Kernel {
        case conv([Conv2D])
        case linear(Linear)
        case prelu(PReLU)
        case relu(Float)
        case sum([Float])
        case prod
        case max
        case pool(PoolWindow, average: Bool)
        case affine(scale: [Float], shift: [Float]?)
        case l2norm(epsilon: Float, acrossSpatial: Bool, scale: [Float]?)
        case flatten
        case identity
    }

    /// Builds the layers of `spec` with `weights` (keyed `<node>.<role>`, see `GraphNode.Op`).
    public init(spec: GraphSpec, weights: [String: Tensor]) throws {
        self.spec = spec
        guard spec.inputShape.count == 3 || spec.inputShape.count == 1, spec.inputShape.allSatisfy({ $0 > 0 }),
              Self.count(spec.inputShape) != nil else {
            throw SeqError("graph input '\(spec.input)' needs a positive [C, H, W] or [D] shape of at most \(Self.maxBlobSize) values, got \(spec.inputShape)")
        }
        var shapes: [String: [Int]] = [spec.input: spec.inputShape]
        var steps: [Step] = []
        var lastUse: [String: Int] = [:]
        for (index, node) in spec.nodes.enumerated() {
            let what = "node '\(node.name)' (\(node.op.rawValue))"
            guard !node.inputs.isEmpty, !node.outputs.isEmpty else { throw SeqError("\(what) needs inputs and outputs") }
            var inShapes: [[Int]] = []
            for blob in node.inputs {
                guard let s = shapes[blob] else { throw SeqError("\(what) reads blob '\(blob)', which no earlier node writes") }
                inShapes.append(s)
                lastUse[blob] = index
            }
            let (kernel, outShape) = try Self.build(node, inShapes, weights, what)
            guard Self.count(outShape) != nil else {
                throw SeqError("\(what): output \(outShape) is larger than \(Self.maxBlobSize) values per sample")
            }
            for blob in node.outputs {
                guard shapes[blob] == nil else { throw SeqError("\(what) writes blob '\(blob)' a second time") }
                shapes[blob] = outShape
            }
            steps.append(Step(node: node, kernel: kernel))
        }
        guard shapes[spec.output] != nil else { throw SeqError("graph output '\(spec.output)' is not a blob of the graph") }
        self.shapes = shapes
        self.steps = steps
        self.lastUse = lastUse
    }

    // MARK: - Building

    /// Largest kernel, stride, pad or channel count of a convolution or pooling window.
    public static let maxExtent = 1 << 16

    /// Most values one blob (or weight) may hold per sample: 2^28 floats, 1 GiB.
    public static let maxBlobSize = 1 << 28

    /// The element count of `shape`, or nil when it is negative or above `maxBlobSize`.
    static func count(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            guard d >= 0, d <= maxBlobSize else { return nil }
            n *= d
            guard n <= maxBlobSize else { return nil }
        }
        return n
    }

    private static func weight(_ weights: [String: Tensor], _ node: GraphNode, _ role: String, _ shape: [Int], _ what: String) throws -> Tensor {
        let key = "\(node.name).\(role)"
        guard let t = weights[key] else { throw SeqError("\(what) needs weight '\(key)', which the weights do not have") }
        guard let n = count(shape), t.count == n else {
            throw SeqError("\(what): weight '\(key)' has shape \(t.shape), the node needs \(shape)")
        }
        return Tensor(shape: shape, data: t.data)
    }

    private static func pair(_ v: [Int]?, _ fallback: Int, _ field: String, _ what: String) throws -> (Int, Int) {
        guard let v else { return (fallback, fallback) }
        guard v.count == 2 else { throw SeqError("\(what): \(field) needs two values [h, w], got \(v)") }
        return (v[0], v[1])
    }

    private static func channels(_ s: [Int], _ what: String) throws -> Int {
        guard s.count >= 1 else { throw SeqError("\(what) needs a channel dimension") }
        return s[0]
    }

    private static func build(_ node: GraphNode, _ ins: [[Int]], _ weights: [String: Tensor], _ what: String) throws -> (Kernel, [Int]) {
        let s = ins[0]
        if node.op != .eltwise && ins.count != 1 { throw SeqError("\(what) takes one input, got \(ins.count)") }
        switch node.op {
        case .conv:
            guard s.count == 3 else { throw SeqError("\(what) needs a [C, H, W] input, got \(s)") }
            let (kh, kw) = try pair(node.kernel, 0, "kernel", what)
            let (sh, sw) = try pair(node.stride, 1, "stride", what)
            let (ph, pw) = try pair(node.pad, 0, "pad", what)
            let group = node.group ?? 1
            guard let out = node.outChannels, (1...Self.maxExtent).contains(out), (1...Self.maxExtent).contains(kh),
                  (1...Self.maxExtent).contains(kw), (1...Self.maxExtent).contains(sh), (0...Self.maxExtent).contains(ph),
                  (0...Self.maxExtent).contains(pw) else {
                throw SeqError("\(what) needs out_channels, kernel and stride in 1…\(Self.maxExtent) and pad in 0…\(Self.maxExtent)")
            }
            guard sh == sw, ph == pw else { throw SeqError("\(what): different strides or pads along height and width are not supported") }
            guard group >= 1, s[0] % group == 0, out % group == 0 else {
                throw SeqError("\(what): group \(group) must divide input channels \(s[0]) and out_channels \(out)")
            }
            guard s[1] + 2 * ph >= kh, s[2] + 2 * pw >= kw else { throw SeqError("\(what): input \(s) is smaller than the \(kh)x\(kw) kernel") }
            let cin = s[0] / group, cout = out / group
            let w = try weight(weights, node, "weight", [out, cin, kh, kw], what)
            let b = node.bias ?? true ? try weight(weights, node, "bias", [out], what) : Tensor(zeros: [out])
            let perGroup = cout * cin * kh * kw
            var convs: [Conv2D] = []
            for g in 0..<group {
                let conv = Conv2D(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw, stride: sh, padding: ph,
                                  name: group == 1 ? node.name : "\(node.name).g\(g)")
                conv.needsInputGradient = false
                conv.weight.value = Tensor(shape: [cout, cin, kh, kw], data: Array(w.data[(g * perGroup)..<((g + 1) * perGroup)]))
                conv.bias.value = Tensor(shape: [cout], data: Array(b.data[(g * cout)..<((g + 1) * cout)]))
                convs.append(conv)
            }
            let (oh, ow) = convs[0].outputSize(height: s[1], width: s[2])
            return (.conv(convs), [out, oh, ow])
        case .linear:
            let d = s.reduce(1, *)
            guard let out = node.outChannels, (1...Self.maxBlobSize).contains(out) else {
                throw SeqError("\(what) needs out_channels in 1…\(Self.maxBlobSize)")
            }
            let lin = Linear(inFeatures: d, outFeatures: out, name: node.name)
            lin.weight.value = try weight(weights, node, "weight", [out, d], what)
            if node.bias ?? true { lin.bias.value = try weight(weights, node, "bias", [out], what) }
            return (.linear(lin), [out])
        case .prelu:
            let c = try channels(s, what)
            let p = PReLU(channels: c, name: node.name)
            // One shared slope (Caffe's channel_shared) or one per channel.
            let shared = weights["\(node.name).slope"]?.count == 1
            let slope = try weight(weights, node, "slope", [shared ? 1 : c], what)
            p.slope.value = shared ? Tensor(repeating: slope.data[0], shape: [c]) : slope
            return (.prelu(p), s)
        case .relu:
            return (.relu(node.negativeSlope ?? 0), s)
        case .eltwise:
            guard ins.count >= 2, ins.allSatisfy({ $0 == s }) else {
                throw SeqError("\(what) needs two or more inputs of one shape, got \(ins)")
            }
            switch node.eltwise ?? "sum" {
            case "sum":
                let c = node.coefficients ?? [Float](repeating: 1, count: ins.count)
                guard c.count == ins.count else { throw SeqError("\(what) has \(c.count) coefficients for \(ins.count) inputs") }
                return (.sum(c), s)
            case "prod": return (.prod, s)
            case "max": return (.max, s)
            case let other: throw SeqError("\(what): eltwise '\(other)' is not one of sum, prod, max")
            }
        case .pool:
            guard s.count == 3 else { throw SeqError("\(what) needs a [C, H, W] input, got \(s)") }
            var window: PoolWindow
            if node.global ?? false {
                window = PoolWindow(kernelH: s[1], kernelW: s[2], strideH: 1, strideW: 1, padH: 0, padW: 0, ceil: true)
            } else {
                let (kh, kw) = try pair(node.kernel, 0, "kernel", what)
                let (sh, sw) = try pair(node.stride, 1, "stride", what)
                let (ph, pw) = try pair(node.pad, 0, "pad", what)
                guard [kh, kw, sh, sw].allSatisfy({ (1...Self.maxExtent).contains($0) }), ph >= 0, pw >= 0, ph < kh, pw < kw else {
                    throw SeqError("\(what) needs a positive kernel and stride and a pad smaller than the kernel")
                }
                window = PoolWindow(kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padH: ph, padW: pw, ceil: node.ceil ?? true)
            }
            guard s[1] + 2 * window.padH >= window.kernelH, s[2] + 2 * window.padW >= window.kernelW else {
                throw SeqError("\(what): input \(s) is smaller than the \(window.kernelH)x\(window.kernelW) window")
            }
            let average: Bool
            switch node.pool ?? "max" {
            case "max": average = false
            case "ave": average = true
            case let other: throw SeqError("\(what): pool '\(other)' is not one of max, ave")
            }
            let (oh, ow) = window.outputSize(height: s[1], width: s[2])
            return (.pool(window, average: average), [s[0], oh, ow])
        case .affine:
            let c = try channels(s, what)
            let scale = try weight(weights, node, "scale", [c], what).data
            let shift = node.bias ?? false ? try weight(weights, node, "shift", [c], what).data : nil
            return (.affine(scale: scale, shift: shift), s)
        case .l2norm:
            let c = try channels(s, what)
            var scale: [Float]? = nil
            if node.scaled ?? false {
                let key = "\(node.name).scale"
                let count = weights[key]?.count ?? c
                scale = try weight(weights, node, "scale", [count == 1 ? 1 : c], what).data
                if scale!.count == 1 { scale = [Float](repeating: scale![0], count: c) }
            }
            return (.l2norm(epsilon: node.epsilon ?? 1e-10, acrossSpatial: node.acrossSpatial ?? true, scale: scale), s)
        case .flatten:
            return (.flatten, [s.reduce(1, *)])
        case .identity:
            return (.identity, s)
        }
    }

    // MARK: - Running

    /// The output blob for a batch `[N] + spec.inputShape`.
    public func forward(_ x: Tensor) -> Tensor {
        forward(x, keeping: [spec.output])[spec.output]!
    }

    /// The blobs named in `keeping` (each must be a blob of the graph) for a batch `[N] + spec.inputShape`.
    public func forward(_ x: Tensor, keeping: [String]) -> [String: Tensor] {
        precondition(Array(x.shape.dropFirst()) == spec.inputShape && x.rank == spec.inputShape.count + 1,
                     "graph input '\(spec.input)' expects [N] + \(spec.inputShape), got \(x.shape)")
        let keep = Set(keeping)
        precondition(keep.allSatisfy { shapes[$0] != nil }, "unknown blobs in \(keeping)")
        var blobs: [String: Tensor] = [spec.input: x]
        for (index, step) in steps.enumerated() {
            let inputs = step.node.inputs.map { blobs[$0]! }
            let y = Self.run(step.kernel, inputs)
            for blob in step.node.inputs where lastUse[blob] == index && !keep.contains(blob) { blobs[blob] = nil }
            for blob in step.node.outputs { blobs[blob] = y }
        }
        return blobs.filter { keep.contains($0.key) }
    }

    private static func run(_ kernel: Kernel, _ inputs: [Tensor]) -> Tensor {
        let x = inputs[0]
        switch kernel {
        case .conv(let convs):
            if convs.count == 1 { return convs[0].forward(x) }
            let cin = convs[0].inChannels
            let parts = convs.enumerated().map { g, conv in conv.forward(channelSlice(x, from: g * cin, count: cin)) }
            return channelConcat(parts)
        case .linear(let lin):
            return lin.forward(x)
        case .prelu(let p):
            return p.forward(x)
        case .relu(let slope):
            var y = x
            y.data.withUnsafeMutableBufferPointer { b in
                for i in 0..<b.count where b[i] < 0 { b[i] *= slope }
            }
            return y
        case .sum(let coefficients):
            var y = x
            y.data.withUnsafeMutableBufferPointer { yb in
                let c0 = coefficients[0]
                if c0 != 1 { for i in 0..<yb.count { yb[i] *= c0 } }
                for (t, c) in zip(inputs.dropFirst(), coefficients.dropFirst()) {
                    t.data.withUnsafeBufferPointer { tb in
                        for i in 0..<yb.count { yb[i] += c * tb[i] }
                    }
                }
            }
            return y
        case .prod:
            var y = x
            for t in inputs.dropFirst() { for i in 0..<y.count { y.data[i] *= t.data[i] } }
            return y
        case .max:
            var y = x
            for t in inputs.dropFirst() { for i in 0..<y.count { y.data[i] = Swift.max(y.data[i], t.data[i]) } }
            return y
        case .pool(let window, let average):
            return window.forward(x, average: average)
        case .affine(let scale, let shift):
            var y = x
            let n = x.shape[0], c = scale.count, inner = n == 0 ? 0 : x.count / (n * c)
            y.data.withUnsafeMutableBufferPointer { yb in
                var i = 0
                for _ in 0..<n {
                    for ch in 0..<c {
                        let a = scale[ch], b = shift?[ch] ?? 0
                        for j in i..<(i + inner) { yb[j] = yb[j] * a + b }
                        i += inner
                    }
                }
            }
            return y
        case .l2norm(let epsilon, let acrossSpatial, let scale):
            return l2normalized(x, epsilon: epsilon, acrossSpatial: acrossSpatial, scale: scale)
        case .flatten:
            return Tensor(shape: [x.shape[0], x.shape[0] == 0 ? 0 : x.count / x.shape[0]], data: x.data)
        case .identity:
            return x
        }
    }

    private static func l2normalized(_ x: Tensor, epsilon: Float, acrossSpatial: Bool, scale: [Float]?) -> Tensor {
        var y = x
        let n = x.shape[0], c = x.shape[1], inner = n == 0 ? 0 : x.count / (n * c)
        y.data.withUnsafeMutableBufferPointer { yb in
            for i in 0..<n {
                let base = i * c * inner
                if acrossSpatial {
                    var ss: Double = 0
                    for j in base..<(base + c * inner) { ss += Double(yb[j]) * Double(yb[j]) }
                    let inv = Float(1 / (ss + Double(epsilon)).squareRoot())
                    for j in base..<(base + c * inner) { yb[j] *= inv }
                } else {
                    for p in 0..<inner {
                        var ss: Double = 0
                        for ch in 0..<c { let v = Double(yb[base + ch * inner + p]); ss += v * v }
                        let inv = Float(1 / (ss + Double(epsilon)).squareRoot())
                        for ch in 0..<c { yb[base + ch * inner + p] *= inv }
                    }
                }
                if let scale {
                    for ch in 0..<c {
                        for j in 0..<inner { yb[base + ch * inner + j] *= scale[ch] }
                    }
                }
            }
        }
        return y
    }

    /// Channels `from..<from+count` of `[N, C, ...]`.
    static func channelSlice(_ x: Tensor, from: Int, count: Int) -> Tensor {
        let n = x.shape[0], c = x.shape[1], inner = x.shape.dropFirst(2).reduce(1, *)
        var data = [Float]()
        data.reserveCapacity(n * count * inner)
        for i in 0..<n {
            let start = (i * c + from) * inner
            data.append(contentsOf: x.data[start..<(start + count * inner)])
        }
        return Tensor(shape: [n, count] + x.shape.dropFirst(2), data: data)
    }

    /// `[N, C_i, ...]` tensors joined along the channels.
    static func channelConcat(_ parts: [Tensor]) -> Tensor {
        let n = parts[0].shape[0], inner = parts[0].shape.dropFirst(2).reduce(1, *)
        let c = parts.reduce(0) { $0 + $1.shape[1] }
        var data = [Float]()
        data.reserveCapacity(n * c * inner)
        for i in 0..<n {
            for p in parts {
                let pc = p.shape[1]
                data.append(contentsOf: p.data[(i * pc * inner)..<((i + 1) * pc * inner)])
            }
        }
        return Tensor(shape: [n, c] + parts[0].shape.dropFirst(2), data: data)
    }
}

/// A pooling window with Caffe's geometry: the output size is rounded up (or down, without
/// `ceil`), less one when the last window would start in the padding; max windows are clipped to
/// the map; an average divides by the window's size clipped to the padded map (so padding counts
/// as zeros, but the overhang past the padding does not).
public struct PoolWindow: Equatable, Sendable {
    public var kernelH, kernelW, strideH, strideW, padH, padW: Int
    public var ceil: Bool

    public init(kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int, ceil: Bool = true) {
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.ceil = ceil
    }

    static func extent(_ size: Int, kernel: Int, stride: Int, pad: Int, ceil: Bool) -> Int {
        let span = size + 2 * pad - kernel
        var out = (ceil ? (span + stride - 1) / stride : span / stride) + 1
        if pad > 0 && (out - 1) * stride >= size + pad { out -= 1 }
        return out
    }

    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (Self.extent(height, kernel: kernelH, stride: strideH, pad: padH, ceil: ceil),
         Self.extent(width, kernel: kernelW, stride: strideW, pad: padW, ceil: ceil))
    }

    /// Max or average pooling of `[N, C, H, W]`.
    public func forward(_ x: Tensor, average: Bool) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(height: h, width: w)
        var y = Tensor(zeros: [n, c, oh, ow])
        // Without padding and with every window inside the input (`ceil: false`, or a size that
        // divides), each window is whole: fixed loops over the kernel, the same sums in the same
        // order as the general loop below.
        if padH == 0 && padW == 0 && (oh - 1) * strideH + kernelH <= h && (ow - 1) * strideW + kernelW <= w {
            let kh = kernelH, kw = kernelW, sh = strideH, sw = strideW
            let area = Float(kh * kw)
            x.data.withUnsafeBufferPointer { xb in
            y.data.withUnsafeMutableBufferPointer { yb in
                let src = xb.baseAddress!, dst = yb.baseAddress!
                var o = 0
                for plane in 0..<(n * c) {
                    let base = src + plane * h * w
                    for oy in 0..<oh {
                        let row = base + oy * sh * w
                        for ox in 0..<ow {
                            let p = row + ox * sw
                            if average {
                                var sum: Float = 0
                                for iy in 0..<kh { for ix in 0..<kw { sum += p[iy * w + ix] } }
                                dst[o] = sum / area
                            } else {
                                var best = -Float.infinity
                                for iy in 0..<kh { for ix in 0..<kw { best = max(best, p[iy * w + ix]) } }
                                dst[o] = best
                            }
                            o += 1
                        }
                    }
                }
            }}
            return y
        }
        x.data.withUnsafeBufferPointer { xb in
        y.data.withUnsafeMutableBufferPointer { yb in
            var o = 0
            for plane in 0..<(n * c) {
                let base = plane * h * w
                for oy in 0..<oh {
                    let ys = oy * strideH - padH
                    let yEnd = min(ys + kernelH, h + padH)
                    let y0 = max(ys, 0), y1 = min(yEnd, h)
                    for ox in 0..<ow {
                        let xs = ox * strideW - padW
                        let xEnd = min(xs + kernelW, w + padW)
                        let x0 = max(xs, 0), x1 = min(xEnd, w)
                        if average {
                            var sum: Float = 0
                            for iy in y0..<max(y0, y1) { for ix in x0..<max(x0, x1) { sum += xb[base + iy * w + ix] } }
                            yb[o] = sum / Float((yEnd - ys) * (xEnd - xs))
                        } else {
                            var best = -Float.infinity
                            for iy in y0..<max(y0, y1) { for ix in x0..<max(x0, x1) { best = max(best, xb[base + iy * w + ix]) } }
                            yb[o] = best
                        }
                        o += 1
                    }
                }
            }
        }}
        return y
    }
}
