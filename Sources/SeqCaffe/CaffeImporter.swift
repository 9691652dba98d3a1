import Foundation
import SeqCore
import SeqNN
import SeqTrain

/// Settings of `seqcurate import-caffe` beyond the three files.
public struct CaffeImportOptions: Sendable {
    /// The blob whose value is the feature (default: the first top of the last layer).
    public var output: String?
    /// Size images are resized to before the centre crop (default 144x144, as SeqFace's
    /// evaluate.py, or the input size where that is larger).
    public var resizeHeight: Int?
    public var resizeWidth: Int?
    /// `bgr` (Caffe's order) or `rgb`.
    public var channelOrder = "bgr"
    /// Pixel values are `v * rawScale / 255` before the mean is subtracted.
    public var rawScale: Float = 255
    /// Multiplies the input after the mean is subtracted (SeqFace: 1/128).
    public var inputScale: Float = 0.0078125
    /// Face-box enlargement (`featurer.py`'s `scale`).
    public var boxScale: Float = 1.1
    /// Fold BatchNorm/Scale pairs into one affine step, and affine steps into the convolution or
    /// fully connected layer before them.
    public var fold = true

    public init() {}
}

/// What an import made and left out.
public struct CaffeImportReport: Sendable {
    /// Graph nodes of the imported model.
    public var nodes: Int
    /// Layers of the description that the output does not depend on (loss layers, a second
    /// head, ...), and so were not imported.
    public var skippedLayers: [String]
    /// BatchNorm/Scale steps folded into a neighbour.
    public var folded: Int
}

/// Builds a model folder (`ModelFolder`) from a Caffe network: the layer graph of the text
/// description, the weights of the binary `.caffemodel` matched by layer name, and the mean file.
/// docs/caffe-models.md lists the layers and settings it takes.
public enum CaffeImporter {
    /// Layer types that can be imported.
    public static let supportedTypes = [
        "Input", "Data", "ImageData", "Convolution", "InnerProduct", "PReLU", "ReLU", "Eltwise", "Pooling",
        "BatchNorm", "Scale", "Normalize", "NormL2", "Flatten", "Dropout", "Split",
    ]

    /// Reads the files and converts them; nothing is written.
    public static func load(deploy: URL, weights: URL, mean: URL?, options: CaffeImportOptions = CaffeImportOptions())
        throws -> (manifest: ModelManifest, weights: [String: Tensor], report: CaffeImportReport) {
        let net = try CaffeFiles.readPrototxt(deploy)
        let trained = try CaffeFiles.readCaffemodel(weights)
        let meanBlob = try mean.map { try CaffeFiles.readMean($0) }
        var result: (ModelManifest, [String: Tensor], CaffeImportReport)
        do {
            result = try convert(net: net, trained: trained, mean: meanBlob, options: options, weightsName: weights.lastPathComponent)
        } catch let e as SeqError where e.file == nil {
            throw SeqError(e.reason, file: deploy.path)
        }
        var sha = SHA256()
        sha.update(try CaffeFiles.data(weights, what: "weights file"))
        result.0.source = [
            "format": "caffe", "deploy": deploy.path, "weights": weights.path,
            "weights_sha256": sha.finalize().map { String(format: "%02x", $0) }.joined(),
        ]
        if let mean { result.0.source["mean"] = mean.path }
        return result
    }

    /// Converts parsed files (see `load`).
    static func convert(net: Caffe_NetParameter, trained: Caffe_NetParameter, mean: Tensor?, options: CaffeImportOptions,
                        weightsName: String) throws -> (ModelManifest, [String: Tensor], CaffeImportReport) {
        guard net.layers.isEmpty else {
            throw SeqError("the description uses Caffe's old 'layers' format; convert it with Caffe's tools/upgrade_net_proto_text first")
        }
        var blobs: [String: [Caffe_BlobProto]] = [:]
        for layer in trained.layers where !layer.blobs.isEmpty { blobs[layer.name] = layer.blobs }
        for layer in trained.layer where !layer.blobs.isEmpty { blobs[layer.name] = layer.blobs }

        // Blob names become single-assignment: an in-place layer's top gets a new name `blob@k`.
        var current: [String: String] = [:]
        var versions: [String: Int] = [:]
        func define(_ name: String) -> String {
            guard let v = versions[name] else {
                versions[name] = 0
                current[name] = name
                return name
            }
            versions[name] = v + 1
            current[name] = "\(name)@\(v + 1)"
            return current[name]!
        }

        var input: (name: String, shape: [Int])?
        func setInput(_ name: String, _ dims: [Int], _ origin: String) throws {
            guard input == nil else { throw SeqError("\(origin): networks with more than one input are not supported") }
            let shape = Array(dims.suffix(3))
            guard dims.count >= 3, dims.count <= 4, shape.allSatisfy({ $0 > 0 && $0 <= 1 << 16 }) else {
                throw SeqError("\(origin): input shape \(dims) is not [N,] C, H, W")
            }
            input = (define(name), shape)
        }
        if let name = net.input.first {
            if let shape = net.inputShape.first {
                try setInput(name, shape.dim.map { Int($0) }, "input '\(name)'")
            } else {
                try setInput(name, net.inputDim.prefix(4).map { Int($0) }, "input '\(name)'")
            }
            if net.input.count > 1 { throw SeqError("networks with more than one input are not supported") }
        }

        struct Step { var layer: Caffe_LayerParameter; var bottoms: [String]; var tops: [String] }
        var steps: [Step] = []
        var skipped: [String] = []
        for layer in net.layer {
            guard includedAtTest(layer) else { continue }
            let origin = "layer '\(layer.name)' (\(layer.type))"
            switch layer.type {
            case "Input":
                guard let top = layer.top.first, let shape = layer.inputParam.shape.first else {
                    throw SeqError("\(origin) needs a top and input_param.shape")
                }
                try setInput(top, shape.dim.map { Int($0) }, origin)
                continue
            case "Data", "ImageData":
                guard let top = layer.top.first, layer.transformParam.cropSize > 0 else {
                    throw SeqError("\(origin) gives no input size (transform_param.crop_size); use an Input layer")
                }
                let side = Int(layer.transformParam.cropSize)
                let gray = layer.type == "ImageData" && !layer.imageDataParam.isColor
                try setInput(top, [gray ? 1 : 3, side, side], origin)
                for extra in layer.top.dropFirst() { _ = define(extra) }
                continue
            default:
                break
            }
            var bottoms: [String] = []
            for b in layer.bottom {
                guard let name = current[b] else { throw SeqError("\(origin) reads blob '\(b)', which no earlier layer writes") }
                bottoms.append(name)
            }
            steps.append(Step(layer: layer, bottoms: bottoms, tops: layer.top.map(define)))
        }
        guard let input else { throw SeqError("the network has no input (an Input layer, or input: with input_shape or input_dim)") }

        let output: String
        if let wanted = options.output {
            guard let name = current[wanted] else {
                throw SeqError("--output '\(wanted)' is not a blob of the network; blobs: \(current.keys.sorted().joined(separator: ", "))")
            }
            output = name
        } else {
            guard let last = steps.last?.tops.first else { throw SeqError("the network has no layers after its input") }
            output = last
        }

        // Only the layers the output depends on are imported.
        var needed: Set<String> = [output]
        var keep = [Bool](repeating: false, count: steps.count)
        for i in steps.indices.reversed() where steps[i].tops.contains(where: needed.contains) {
            keep[i] = true
            needed.formUnion(steps[i].bottoms)
        }

        var nodes: [GraphNode] = []
        var weights: [String: Tensor] = [:]
        for (i, step) in steps.enumerated() {
            guard keep[i] else { skipped.append(step.layer.name); continue }
            let made = try node(step.layer, bottoms: step.bottoms, tops: step.tops, blobs: blobs, weightsName: weightsName)
            nodes.append(made.node)
            weights.merge(made.weights) { a, _ in a }
        }

        var folded = 0
        if options.fold { folded = foldAffine(&nodes, &weights, output: output) }

        let spec = GraphSpec(input: input.name, inputShape: input.shape, output: output, nodes: nodes)
        var pre = InputPreprocessing(resizeHeight: options.resizeHeight ?? max(144, input.shape[1]),
                                     resizeWidth: options.resizeWidth ?? max(144, input.shape[2]),
                                     channelOrder: options.channelOrder, rawScale: options.rawScale,
                                     inputScale: options.inputScale, boxScale: options.boxScale)
        if let mean {
            let m = try meanForInput(mean, inputShape: input.shape)
            if m.shape == [input.shape[0]] {
                pre.meanValues = m.data
            } else {
                pre.meanImage = true
                weights[ModelFolder.meanKey] = m
            }
        }
        let manifest = ModelManifest(graph: spec, preprocess: pre)
        try manifest.validate(weights: weights)
        return (manifest, weights, CaffeImportReport(nodes: nodes.count, skippedLayers: skipped, folded: folded))
    }

    /// Whether a layer is part of the network at test time (its include/exclude rules, for a
    /// TEST net of level 0 with no stages).
    static func includedAtTest(_ layer: Caffe_LayerParameter) -> Bool {
        func meets(_ rule: Caffe_NetStateRule) -> Bool {
            if rule.hasPhase && rule.phase != .test { return false }
            if rule.hasMinLevel && rule.minLevel > 0 { return false }
            if rule.hasMaxLevel && rule.maxLevel < 0 { return false }
            return rule.stage.isEmpty
        }
        if !layer.include.isEmpty { return layer.include.contains(where: meets) }
        return !layer.exclude.contains(where: meets)
    }

    // MARK: - Layers

    private static func node(_ layer: Caffe_LayerParameter, bottoms: [String], tops: [String],
                             blobs: [String: [Caffe_BlobProto]], weightsName: String) throws -> (node: GraphNode, weights: [String: Tensor]) {
        let name = layer.name
        let origin = "layer '\(name)' (\(layer.type))"
        func refuse(_ what: String) -> SeqError { SeqError("\(origin): \(what) is not supported") }
        func trained(_ count: Int) throws -> [Tensor] {
            guard let list = blobs[name] else {
                throw SeqError("\(origin) needs \(count) weight blob\(count == 1 ? "" : "s"), and \(weightsName) has no layer of that name")
            }
            guard list.count >= count else {
                throw SeqError("\(origin) needs \(count) weight blobs, \(weightsName) has \(list.count)")
            }
            return try list.prefix(count).enumerated().map { k, b in
                do { return try CaffeFiles.tensor(b) } catch let e as SeqError {
                    throw SeqError("\(origin), weight blob \(k): \(e.reason)")
                }
            }
        }
        func single() throws {
            guard bottoms.count == 1, tops.count == 1 else {
                throw SeqError("\(origin) needs one bottom and one top, has \(bottoms.count) and \(tops.count)")
            }
        }
        var node = GraphNode(name: name, op: .identity, inputs: bottoms, outputs: tops)
        var w: [String: Tensor] = [:]
        switch layer.type {
        case "Convolution":
            try single()
            let p = layer.convolutionParam
            guard p.axis == 1 else { throw refuse("convolution_param.axis \(p.axis)") }
            guard p.kernelSize.count <= 2, p.pad.count <= 2, p.stride.count <= 2 else { throw refuse("a 3-D convolution (three kernel_size, pad or stride values)") }
            if p.dilation.contains(where: { $0 != 1 }) { throw refuse("convolution_param.dilation \(p.dilation.map(Int.init))") }
            guard p.numOutput > 0 else { throw SeqError("\(origin) needs convolution_param.num_output") }
            let kh = p.hasKernelH ? Int(p.kernelH) : p.kernelSize.first.map(Int.init) ?? 0
            let kw = p.hasKernelW ? Int(p.kernelW) : p.kernelSize.last.map(Int.init) ?? 0
            guard kh > 0, kw > 0 else { throw SeqError("\(origin) needs convolution_param.kernel_size (or kernel_h and kernel_w)") }
            let sh = p.hasStrideH ? Int(p.strideH) : p.stride.first.map(Int.init) ?? 1
            let sw = p.hasStrideW ? Int(p.strideW) : p.stride.last.map(Int.init) ?? 1
            let ph = p.hasPadH ? Int(p.padH) : p.pad.first.map(Int.init) ?? 0
            let pw = p.hasPadW ? Int(p.padW) : p.pad.last.map(Int.init) ?? 0
            guard sh == sw else { throw refuse("a stride of \(sh) along the height and \(sw) along the width (stride_h/stride_w)") }
            guard ph == pw else { throw refuse("a pad of \(ph) along the height and \(pw) along the width (pad_h/pad_w)") }
            guard sh > 0, p.group > 0 else { throw SeqError("\(origin) needs a positive stride and group") }
            node.op = .conv
            node.outChannels = Int(p.numOutput)
            node.kernel = [kh, kw]
            node.stride = [sh, sw]
            node.pad = [ph, pw]
            node.group = Int(p.group)
            node.bias = p.biasTerm
            let t = try trained(p.biasTerm ? 2 : 1)
            w["\(name).weight"] = t[0]
            if p.biasTerm { w["\(name).bias"] = t[1] }
        case "InnerProduct":
            try single()
            let p = layer.innerProductParam
            guard p.axis == 1 else { throw refuse("inner_product_param.axis \(p.axis)") }
            guard p.numOutput > 0 else { throw SeqError("\(origin) needs inner_product_param.num_output") }
            let out = Int(p.numOutput)
            node.op = .linear
            node.outChannels = out
            node.bias = p.biasTerm
            let t = try trained(p.biasTerm ? 2 : 1)
            var weight = t[0]
            if p.transpose {
                // Stored [in, out]: rewrite as [out, in].
                let d = weight.count / out
                var data = [Float](repeating: 0, count: weight.count)
                for i in 0..<d { for o in 0..<out { data[o * d + i] = weight.data[i * out + o] } }
                weight = Tensor(shape: [out, d], data: data)
            }
            w["\(name).weight"] = weight
            if p.biasTerm { w["\(name).bias"] = t[1] }
        case "PReLU":
            try single()
            node.op = .prelu
            w["\(name).slope"] = try trained(1)[0]
        case "ReLU":
            try single()
            node.op = .relu
            if layer.reluParam.negativeSlope != 0 { node.negativeSlope = layer.reluParam.negativeSlope }
        case "Eltwise":
            guard bottoms.count >= 2, tops.count == 1 else { throw SeqError("\(origin) needs two or more bottoms and one top") }
            let p = layer.eltwiseParam
            node.op = .eltwise
            switch p.operation {
            case .sum:
                node.eltwise = "sum"
                if !p.coeff.isEmpty {
                    guard p.coeff.count == bottoms.count else {
                        throw SeqError("\(origin) has \(p.coeff.count) coeff values for \(bottoms.count) bottoms")
                    }
                    node.coefficients = p.coeff
                }
            case .prod, .max:
                guard p.coeff.isEmpty else { throw refuse("eltwise_param.coeff with operation \(p.operation)") }
                node.eltwise = p.operation == .prod ? "prod" : "max"
            }
        case "Pooling":
            try single()
            let p = layer.poolingParam
            node.op = .pool
            switch p.pool {
            case .max: node.pool = "max"
            case .ave: node.pool = "ave"
            case .stochastic: throw refuse("pooling_param.pool STOCHASTIC")
            }
            if p.globalPooling {
                guard !p.hasKernelSize && !p.hasKernelH && !p.hasKernelW else {
                    throw SeqError("\(origin): global_pooling takes no kernel size")
                }
                node.global = true
            } else {
                let kh = p.hasKernelH ? Int(p.kernelH) : Int(p.kernelSize)
                let kw = p.hasKernelW ? Int(p.kernelW) : Int(p.kernelSize)
                guard kh > 0, kw > 0 else { throw SeqError("\(origin) needs pooling_param.kernel_size (or kernel_h and kernel_w)") }
                node.kernel = [kh, kw]
                node.stride = [p.hasStrideH ? Int(p.strideH) : Int(p.stride), p.hasStrideW ? Int(p.strideW) : Int(p.stride)]
                node.pad = [p.hasPadH ? Int(p.padH) : Int(p.pad), p.hasPadW ? Int(p.padW) : Int(p.pad)]
                if !p.ceilMode { node.ceil = false }
            }
        case "BatchNorm":
            try single()
            let p = layer.batchNormParam
            if p.hasUseGlobalStats && !p.useGlobalStats {
                throw refuse("batch_norm_param.use_global_stats: false (features would depend on the batch)")
            }
            let t = try trained(3)
            guard t[0].count == t[1].count, t[2].count == 1 else {
                throw SeqError("\(origin): expected mean, variance and a one-value scale factor, got blob shapes \(t.map(\.shape))")
            }
            // Caffe keeps running sums: the statistics are the blobs divided by the factor.
            let factor = t[2].data[0] == 0 ? 0 : 1 / Double(t[2].data[0])
            let eps = Double(p.eps)
            var scale = [Float](), shift = [Float]()
            for c in 0..<t[0].count {
                let m = Double(t[0].data[c]) * factor, v = Double(t[1].data[c]) * factor
                let s = 1 / (v + eps).squareRoot()
                scale.append(Float(s))
                shift.append(Float(-m * s))
            }
            node.op = .affine
            node.bias = true
            w["\(name).scale"] = Tensor(shape: [scale.count], data: scale)
            w["\(name).shift"] = Tensor(shape: [shift.count], data: shift)
        case "Scale":
            guard bottoms.count == 1 else { throw refuse("Scale with a second bottom (the scale taken from a blob)") }
            try single()
            let p = layer.scaleParam
            guard p.axis == 1, p.numAxes == 1 else { throw refuse("scale_param axis \(p.axis) num_axes \(p.numAxes)") }
            let t = try trained(p.biasTerm ? 2 : 1)
            node.op = .affine
            node.bias = p.biasTerm
            w["\(name).scale"] = Tensor(shape: [t[0].count], data: t[0].data)
            if p.biasTerm { w["\(name).shift"] = Tensor(shape: [t[1].count], data: t[1].data) }
        case "Normalize":
            try single()
            let p = layer.normParam
            node.op = .l2norm
            node.acrossSpatial = p.acrossSpatial
            node.epsilon = p.eps
            node.scaled = true
            let t = try trained(1)[0]
            if p.channelShared && t.count != 1 { throw SeqError("\(origin): channel_shared needs a one-value scale blob, got \(t.shape)") }
            w["\(name).scale"] = Tensor(shape: [t.count], data: t.data)
        case "NormL2":
            try single()
            node.op = .l2norm
            node.acrossSpatial = true
            node.epsilon = 1e-7
        case "Flatten":
            try single()
            let p = layer.flattenParam
            guard p.axis == 1, p.endAxis == -1 else { throw refuse("flatten_param axis \(p.axis) end_axis \(p.endAxis)") }
            node.op = .flatten
        case "Dropout":
            try single()
            node.op = .identity
        case "Split":
            guard bottoms.count == 1 else { throw SeqError("\(origin) needs one bottom") }
            node.op = .identity
        default:
            throw SeqError("layer '\(name)' of type '\(layer.type)' is not supported; supported: \(supportedTypes.joined(separator: ", "))")
        }
        return (node, w)
    }

    // MARK: - Folding

    /// Merges affine steps that follow one another, then folds each affine step into the
    /// convolution or fully connected layer whose output only it reads. Returns the steps removed.
    static func foldAffine(_ nodes: inout [GraphNode], _ weights: inout [String: Tensor], output: String) -> Int {
        var removed = 0
        func readers(_ blob: String) -> Int {
            nodes.reduce(0) { $0 + $1.inputs.filter { $0 == blob }.count } + (blob == output ? 1 : 0)
        }
        var i = 0
        while i < nodes.count {
            let a = nodes[i]
            guard a.op == .affine, a.inputs.count == 1, a.outputs.count == 1,
                  let p = nodes.firstIndex(where: { $0.outputs == a.inputs }), readers(a.inputs[0]) == 1 else {
                i += 1
                continue
            }
            let prev = nodes[p]
            let scale = weights["\(a.name).scale"]!.data
            let shift = a.bias ?? false ? weights["\(a.name).shift"]!.data : [Float](repeating: 0, count: scale.count)
            switch prev.op {
            case .affine where prev.outputs.count == 1:
                // x*s1 + t1, then *s2 + t2.
                let s1 = weights["\(prev.name).scale"]!.data
                let t1 = prev.bias ?? false ? weights["\(prev.name).shift"]!.data : [Float](repeating: 0, count: s1.count)
                guard s1.count == scale.count else { i += 1; continue }
                weights["\(prev.name).scale"] = Tensor(shape: [scale.count], data: zip(s1, scale).map { $0 * $1 })
                weights["\(prev.name).shift"] = Tensor(shape: [scale.count], data: (0..<scale.count).map { t1[$0] * scale[$0] + shift[$0] })
                nodes[p].bias = true
            case .conv, .linear:
                guard let out = prev.outChannels, out == scale.count, prev.outputs.count == 1 else { i += 1; continue }
                var w = weights["\(prev.name).weight"]!
                let per = w.count / out
                for o in 0..<out { for k in 0..<per { w.data[o * per + k] *= scale[o] } }
                weights["\(prev.name).weight"] = w
                let b = prev.bias ?? true ? weights["\(prev.name).bias"]!.data : [Float](repeating: 0, count: out)
                weights["\(prev.name).bias"] = Tensor(shape: [out], data: (0..<out).map { b[$0] * scale[$0] + shift[$0] })
                nodes[p].bias = true
            default:
                i += 1
                continue
            }
            nodes[p].outputs = a.outputs
            weights["\(a.name).scale"] = nil
            weights["\(a.name).shift"] = nil
            nodes.remove(at: i)
            removed += 1
            // The merged step may fold further into its own predecessor.
            i = p
        }
        return removed
    }

    // MARK: - Mean

    /// The mean for a `[C, H, W]` input: per channel (`[C]`) when the mean file is one value per
    /// channel, else the mean image resized (bilinearly, as featurer.py) to the input size.
    static func meanForInput(_ mean: Tensor, inputShape: [Int]) throws -> Tensor {
        var shape = mean.shape
        while shape.count > 3 && shape[0] == 1 { shape.removeFirst() }
        guard shape.count == 3, shape[0] == inputShape[0] else {
            throw SeqError("the mean has shape \(mean.shape); the input needs \(inputShape[0]) channels")
        }
        let (c, h, w) = (shape[0], shape[1], shape[2])
        if h == 1 && w == 1 { return Tensor(shape: [c], data: mean.data) }
        let (oh, ow) = (inputShape[1], inputShape[2])
        if h == oh && w == ow { return Tensor(shape: inputShape, data: mean.data) }
        var out = [Float](repeating: 0, count: c * oh * ow)
        func source(_ i: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int, Float) {
            let f = min(max((Double(i) + 0.5) * Double(inSize) / Double(outSize) - 0.5, 0), Double(inSize - 1))
            let i0 = Int(f)
            return (i0, min(i0 + 1, inSize - 1), Float(f - Double(i0)))
        }
        for y in 0..<oh {
            let (y0, y1, wy) = source(y, h, oh)
            for x in 0..<ow {
                let (x0, x1, wx) = source(x, w, ow)
                for ch in 0..<c {
                    let p = mean.data, base = ch * h * w
                    let top = p[base + y0 * w + x0] * (1 - wx) + p[base + y0 * w + x1] * wx
                    let bottom = p[base + y1 * w + x0] * (1 - wx) + p[base + y1 * w + x1] * wx
                    out[(ch * oh + y) * ow + x] = top * (1 - wy) + bottom * wy
                }
            }
        }
        return Tensor(shape: inputShape, data: out)
    }
}
