import SeqCore

/// 2-D convolution over NCHW tensors (cross-correlation, as in Caffe and PyTorch),
/// lowered onto `cblas_sgemm`: through im2col, or for 3x3 stride-1 kernels through Winograd
/// F(2x2, 3x3) (see `Winograd`, `useWinograd`): the forward pass when there are 32 or more
/// input channels, the input gradient when there are 32 or more output channels.
///
/// Several small images are unfolded side by side into one column matrix so deep layers with
/// small maps still make wide matrix products; large maps are unfolded in bands of output rows.
/// 1x1 stride-1 unpadded kernels skip im2col. Backward: weight gradient `dy * col^T` (always
/// im2col and sgemm) and input gradient `col2im(W^T * dy)` by sgemm, or by Winograd as the
/// convolution of `dy` with the rotated, transposed filters.
/// Scratch buffers live in a per-thread `Workspace` shared by all layers, so hot loops do not
/// allocate them again. With `batchParallel` and several OpenBLAS threads the batch is split into
/// groups of images convolved on their own threads with one-threaded sgemm (`ParallelLoop`).
public final class Conv2D: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelH: Int
    public let kernelW: Int
    public let stride: Int
    public let padding: Int
    /// Filters, shape `[out, in, kernelH, kernelW]`.
    public let weight: Parameter
    /// Biases, shape `[out]`. By default learning rate x2 and no weight decay (Caffe's usual setting).
    public let bias: Parameter
    /// When false, `backward` only accumulates parameter gradients and returns zeros
    /// (saves the col2im work for a network's first layer).
    public var needsInputGradient = true

    /// Column-matrix size, in floats, up to which small images are unfolded together into one
    /// product (16 MiB), so deep layers with small maps still make wide matrix products.
    public var chunkBudget = 1 << 22
    /// Column-matrix size, in floats, above which one image is unfolded in bands of output rows,
    /// so large maps are multiplied piecewise while their columns are still in cache.
    public var bandBudget = 1 << 20

    /// When true (the default), 3x3 stride-1 convolutions use Winograd F(2x2, 3x3), which needs
    /// 16/36 of im2col's multiplications, for the forward pass when there are at least 32 input
    /// channels and for the input gradient when there are at least 32 output channels; the
    /// results agree with im2col to float rounding. The weight gradient always uses im2col.
    public var useWinograd = true
    /// Transformed tiles and products of the Winograd path, in floats, per product (8 MiB).
    public var winogradBudget = 1 << 21
    /// When true and OpenBLAS has several threads, the batch is split into that many groups of
    /// images, each convolved on its own thread with one-threaded sgemm
    /// (`ParallelLoop.overBatch`); the weight gradient is then summed per group and the parts
    /// added in group order. Results then agree with one group to float rounding, not bit for
    /// bit (OpenBLAS rounds products of other widths differently), and they depend on OpenBLAS's
    /// thread count while the call runs; so it is off by default and turned on by networks run
    /// from one thread (`FaceResNet`), not by MTCNN, whose callers compare detections exactly
    /// across threadings. When false: one group, OpenBLAS's threads inside each product.
    public var batchParallel = false

    private var lastInput: Tensor?

    /// A zero-initialised convolution. `name` prefixes the parameter names (`name.weight`, `name.bias`).
    public convenience init(inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int,
                            stride: Int = 1, padding: Int = 0, name: String = "conv") {
        precondition(inChannels > 0 && outChannels > 0 && kernelH > 0 && kernelW > 0)
        self.init(weight: Parameter(name: name + ".weight", value: Tensor(zeros: [outChannels, inChannels, kernelH, kernelW])),
                  bias: Parameter(name: name + ".bias", value: Tensor(zeros: [outChannels]), lrMult: 2, decayMult: 0),
                  stride: stride, padding: padding)
    }

    /// An inference-only convolution with fixed filters `[out, in, kernelH, kernelW]` and
    /// biases `[out]` (shared, not copied): no gradient buffers are allocated
    /// (`Parameter(frozen:value:)`), so `backward` must not be called.
    public convenience init(frozenWeight w: Tensor, bias b: Tensor, stride: Int = 1, padding: Int = 0, name: String = "conv") {
        precondition(w.shape.count == 4 && b.shape == [w.shape[0]], "filters [out, in, kh, kw] and biases [out]")
        self.init(weight: Parameter(frozen: name + ".weight", value: w), bias: Parameter(frozen: name + ".bias", value: b),
                  stride: stride, padding: padding)
    }

    private init(weight: Parameter, bias: Parameter, stride: Int, padding: Int) {
        let shape = weight.value.shape
        precondition(shape.allSatisfy { $0 > 0 } && stride > 0 && padding >= 0)
        outChannels = shape[0]
        inChannels = shape[1]
        kernelH = shape[2]
        kernelW = shape[3]
        self.stride = stride
        self.padding = padding
        self.weight = weight
        self.bias = bias
    }

    /// A zero-initialised convolution with a square kernel.
    public convenience init(inChannels: Int, outChannels: Int, kernel: Int,
                            stride: Int = 1, padding: Int = 0, name: String = "conv") {
        self.init(inChannels: inChannels, outChannels: outChannels, kernelH: kernel, kernelW: kernel,
                  stride: stride, padding: padding, name: name)
    }

    public var parameters: [Parameter] { [weight, bias] }

    /// Winograd pays off once there are enough input channels to make its sixteen products wide;
    /// with few (an image's 3, MTCNN's 10 or 16) im2col is faster.
    private var usesWinograd: Bool {
        useWinograd && kernelH == 3 && kernelW == 3 && stride == 1 && inChannels >= 32
    }

    /// The input gradient is a 3x3 convolution of `dy` (output channels in) with padding
    /// `2 - padding`, so the same rule applies to it.
    private var usesWinogradForInputGradient: Bool {
        useWinograd && kernelH == 3 && kernelW == 3 && stride == 1 && padding <= 2 && outChannels >= 32
    }

    private var isPointwise: Bool { kernelH == 1 && kernelW == 1 && stride == 1 && padding == 0 }

    /// Output spatial size for an input of `height` x `width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        ((height + 2 * padding - kernelH) / stride + 1, (width + 2 * padding - kernelW) / stride + 1)
    }

    private func geometry(for shape: [Int]) -> WindowGeometry {
        precondition(shape.count == 4 && shape[1] == inChannels,
                     "Conv2D(\(weight.name)) expects [N, \(inChannels), H, W], got \(shape)")
        precondition(shape[2] > 0 && shape[3] > 0 && shape[2] + 2 * padding >= kernelH && shape[3] + 2 * padding >= kernelW,
                     "Conv2D(\(weight.name)): input \(shape) smaller than the kernel")
        let (oh, ow) = outputSize(height: shape[2], width: shape[3])
        return WindowGeometry(channels: inChannels, height: shape[2], width: shape[3],
                              kernelH: kernelH, kernelW: kernelW, stride: stride, padding: padding,
                              outH: oh, outW: ow)
    }

    /// One matrix product's worth of work: `count` whole images from `image` side by side,
    /// or (count 1) a band of output rows of one image.
    private struct WorkUnit {
        var image: Int
        var count: Int
        var rows: Range<Int>
    }

    /// The work units of a batch (one per image for 1x1 kernels, which need no im2col) and this
    /// thread's workspace, reserved for the largest unit; shared by forward and backward.
    private func plan(_ g: WindowGeometry, batch n: Int) -> (units: [WorkUnit], work: Workspace) {
        let (units, maxColumns) = isPointwise
            ? ((0..<n).map { WorkUnit(image: $0, count: 1, rows: 0..<g.outH) }, g.colCols)
            : workUnits(g, batch: n)
        let work = Workspace.current
        work.reserve(columns: isPointwise ? 0 : g.colRows * maxColumns,
                     gathered: units.contains(where: { $0.count > 1 }) ? outChannels * maxColumns : 0)
        return (units, work)
    }

    /// Splits a batch into work units within the chunk and band budgets.
    private func workUnits(_ g: WindowGeometry, batch n: Int) -> (units: [WorkUnit], maxColumns: Int) {
        let perImage = g.colRows * g.colCols
        var units: [WorkUnit] = []
        if perImage > bandBudget {
            let bandRows = max(1, bandBudget / (g.colRows * g.outW))
            for i in 0..<n {
                for r in Swift.stride(from: 0, to: g.outH, by: bandRows) {
                    units.append(WorkUnit(image: i, count: 1, rows: r..<min(r + bandRows, g.outH)))
                }
            }
            return (units, min(bandRows, g.outH) * g.outW)
        }
        // About 2048 columns per product suits OpenBLAS best; wider ones fall out of cache.
        let chunk = max(1, min(n, 2048 / g.colCols, chunkBudget / max(1, perImage)))
        for i in Swift.stride(from: 0, to: n, by: chunk) {
            units.append(WorkUnit(image: i, count: min(chunk, n - i), rows: 0..<g.outH))
        }
        return (units, chunk * g.colCols)
    }

    /// How many groups of images run side by side, each on its own thread with single-threaded
    /// sgemm (`ParallelLoop.overBatch`): one per OpenBLAS thread, at most one per image.
    /// Profiling showed two-threaded sgemm on these layers slower than one thread on a 2-core
    /// machine (OpenBLAS's threads spin in `sched_yield` between the many mid-sized products,
    /// and the transforms around them ran on one core); independent images need no such hand-off.
    private func batchGroups(_ n: Int) -> Int {
        batchParallel ? min(ParallelLoop.workers, n) : 1
    }

    /// True when the layer keeps its Winograd-transformed weights (`keepTransformedWeights`).
    public private(set) var keepsTransformedWeights = false
    private var transformedWeights: [Float]?

    /// For a network that only infers with fixed weights (the face embedding): transform the
    /// weights for Winograd once, now, instead of on every call, which at a batch of one or two
    /// chips costs about as much as the convolution itself. Costs 16/9 of the layer's weights in
    /// memory, shared with `other` (the same layer of another copy of the network, with the same
    /// weights) when given. Call it once the weights are final: later changes to `weight` are not
    /// seen (training never calls it). Layers that do not use Winograd keep nothing.
    public func keepTransformedWeights(sharingWith other: Conv2D? = nil) {
        keepsTransformedWeights = true
        guard usesWinograd else { return }
        if let shared = other?.transformedWeights, other?.outChannels == outChannels, other?.inChannels == inChannels {
            transformedWeights = shared
            return
        }
        let uStride = outChannels * inChannels + 16
        // Not zeroed first: the transform writes every value but each matrix's 16 padding ones.
        transformedWeights = weight.value.data.withUnsafeBufferPointer { wb in
            [Float](unsafeUninitializedCapacity: 16 * uStride) { ub, initialized in
                for k in 0..<16 { (ub.baseAddress! + k * uStride + outChannels * inChannels).initialize(repeating: 0, count: 16) }
                Winograd.transformWeights(wb.baseAddress!, outChannels: outChannels, inChannels: inChannels,
                                          into: ub.baseAddress!, kStride: uStride)
                initialized = 16 * uStride
            }
        }
    }

    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(for: x.shape)
        lastInput = x
        let n = x.shape[0], outC = outChannels
        let p = g.colCols
        let inSize = inChannels * g.height * g.width, outSize = outC * p
        guard n > 0, p > 0 else { return Tensor(zeros: [n, outC, g.outH, g.outW]) }
        let winograd = usesWinograd
        let uStride = outChannels * inChannels + 16  // off the 4 KiB grid, as in Winograd.convolve
        let caller = Workspace.current
        let kept = winograd && transformedWeights != nil
        if winograd && !kept { caller.reserve(weights: 16 * uStride) }
        // Every output is written (bias preloaded, or added on the way out), so the buffer is
        // not zeroed first.
        return Tensor(shape: [n, outC, g.outH, g.outW]) { yb in
        x.data.withUnsafeBufferPointer { xb in
        weight.value.data.withUnsafeBufferPointer { wb in
        bias.value.data.withUnsafeBufferPointer { bb in
            let xp = xb.baseAddress!, yp = yb.baseAddress!, wp = wb.baseAddress!, bp = bb.baseAddress!
            /// The batch's convolution, with `u` the transformed weights when Winograd runs.
            func run(_ u: UnsafePointer<Float>?) {
                ParallelLoop.overBatch(n, groups: batchGroups(n)) { _, images in
                    let xi = xp + images.lowerBound * inSize, yi = yp + images.lowerBound * outSize
                    if winograd {
                        Winograd.convolve(xi, batch: images.count, inChannels: inChannels,
                                          height: g.height, width: g.width, padding: g.padding,
                                          u: u!, uStride: uStride, outChannels: outChannels,
                                          bias: bp, into: yi, outH: g.outH, outW: g.outW,
                                          budget: winogradBudget, workspace: Workspace.current)
                    } else {
                        forwardIm2col(xi, batch: images.count, g, weights: wp, bias: bp, into: yi)
                    }
                }
            }
            if kept {
                transformedWeights!.withUnsafeBufferPointer { run($0.baseAddress!) }
            } else if winograd {
                caller.weights.withUnsafeMutableBufferPointer { ub in
                    // The weights may have changed since the last call (training), so transform each
                    // time; it costs about as much as one image's worth of tiles.
                    Winograd.transformWeights(wp, outChannels: outChannels, inChannels: inChannels,
                                              into: ub.baseAddress!, kStride: uStride)
                    run(ub.baseAddress!)
                }
            } else {
                run(nil)
            }
        }}}}
    }

    /// The im2col (or pointwise) forward pass of `n` images, in this thread's workspace.
    private func forwardIm2col(_ xp: UnsafePointer<Float>, batch n: Int, _ g: WindowGeometry,
                               weights wp: UnsafePointer<Float>, bias bp: UnsafePointer<Float>,
                               into yp: UnsafeMutablePointer<Float>) {
        let outC = outChannels
        let p = g.colCols, k = g.colRows
        let inSize = inChannels * g.height * g.width, outSize = outC * p
        let pointwise = isPointwise
        let (units, work) = plan(g, batch: n)
        work.columns.withUnsafeMutableBufferPointer { cb in
        work.gathered.withUnsafeMutableBufferPointer { gb in
            for unit in units {
                if unit.count == 1 {
                    // One image or band: the product lands straight in the output, bias preloaded.
                    let cols = unit.rows.count * g.outW
                    let out = yp + unit.image * outSize + unit.rows.lowerBound * g.outW
                    for o in 0..<outC { (out + o * p).update(repeating: bp[o], count: cols) }
                    let b: UnsafePointer<Float>
                    let ldb: Int
                    if pointwise {
                        (b, ldb) = (xp + unit.image * inSize, p)
                    } else {
                        parallelIm2col(xp + unit.image * inSize, g, rows: unit.rows, into: cb.baseAddress!, rowStride: cols)
                        (b, ldb) = (UnsafePointer(cb.baseAddress!), cols)
                    }
                    sgemm(m: outC, n: cols, k: k, a: wp, lda: k, b: b, ldb: ldb, beta: 1, c: out, ldc: p)
                } else {
                    let cols = unit.count * p
                    for i in 0..<unit.count {
                        parallelIm2col(xp + (unit.image + i) * inSize, g, into: cb.baseAddress! + i * p, rowStride: cols)
                    }
                    let gp = gb.baseAddress!
                    sgemm(m: outC, n: cols, k: k, a: wp, lda: k, b: cb.baseAddress!, ldb: cols,
                          beta: 0, c: gp, ldc: cols)
                    // Scatter [out, image, pixel] back to NCHW, adding the bias on the way.
                    ParallelLoop.split(outC, work: outC * cols) { outRange in
                        for i in 0..<unit.count {
                            let out = yp + (unit.image + i) * outSize
                            for o in outRange {
                                let src = gp + o * cols + i * p, dst = out + o * p, b = bp[o]
                                for j in 0..<p { dst[j] = src[j] + b }
                            }
                        }
                    }
                }
            }
        }}
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = lastInput else { preconditionFailure("Conv2D.backward before forward") }
        precondition(!weight.isFrozen, "Conv2D(\(weight.name)).backward on a frozen (inference-only) layer")
        let g = geometry(for: x.shape)
        let n = x.shape[0], outC = outChannels
        let p = g.colCols
        let inSize = inChannels * g.height * g.width, outSize = outC * p
        precondition(dy.shape == [n, outC, g.outH, g.outW], "Conv2D(\(weight.name)).backward: dy shape \(dy.shape)")
        var dx = Tensor(zeros: x.shape)
        guard n > 0, p > 0 else { return dx }
        let winogradDx = needsInputGradient && usesWinogradForInputGradient
        let wantDx = needsInputGradient && !winogradDx  // through col2im
        let groups = batchGroups(n)
        let weightCount = weight.value.count
        // Each group but the first sums its weight gradient privately; the parts are added in
        // group order afterwards, so the result does not depend on thread timing.
        var partial = [Float](repeating: 0, count: (groups - 1) * weightCount)
        let uStride = outChannels * inChannels + 16
        let caller = Workspace.current
        if winogradDx { caller.reserve(weights: 16 * uStride) }

        x.data.withUnsafeBufferPointer { xb in
        dy.data.withUnsafeBufferPointer { dyb in
        dx.data.withUnsafeMutableBufferPointer { dxb in
        weight.value.data.withUnsafeBufferPointer { wb in
        weight.grad.data.withUnsafeMutableBufferPointer { dwb in
        bias.grad.data.withUnsafeMutableBufferPointer { dbb in
        partial.withUnsafeMutableBufferPointer { pb in
        caller.weights.withUnsafeMutableBufferPointer { ub in
            let xp = xb.baseAddress!, dyp = dyb.baseAddress!, dxp = dxb.baseAddress!
            let wp = wb.baseAddress!, dwp = dwb.baseAddress!, dbp = dbb.baseAddress!
            // Bias gradient: sum of dy over batch and pixels.
            ParallelLoop.split(outC, work: n * outSize) { outRange in
                for o in outRange {
                    for i in 0..<n { dbp[o] += Float(VectorMath.sum(dyp + i * outSize + o * p, count: p)) }
                }
            }
            if winogradDx {
                Winograd.transformWeights(wp, outChannels: outChannels, inChannels: inChannels,
                                          into: ub.baseAddress!, kStride: uStride, forInputGradient: true)
            }
            let u = UnsafePointer(ub.baseAddress)
            let partials = pb.baseAddress
            ParallelLoop.overBatch(n, groups: groups) { group, images in
                let dw = group == 0 ? dwp : partials! + (group - 1) * weightCount
                let first = images.lowerBound
                backwardIm2col(xp + first * inSize, dy: dyp + first * outSize, batch: images.count, g,
                               weights: wp, weightGrad: dw, inputGrad: wantDx ? dxp + first * inSize : nil)
                if winogradDx {
                    // dx as the convolution of dy with the rotated, transposed filters.
                    Winograd.convolve(dyp + first * outSize, batch: images.count, inChannels: outChannels,
                                      height: g.outH, width: g.outW, padding: 2 - g.padding,
                                      u: u!, uStride: uStride, outChannels: inChannels,
                                      bias: nil, into: dxp + first * inSize, outH: g.height, outW: g.width,
                                      budget: winogradBudget, workspace: Workspace.current)
                }
            }
            for part in 0..<(groups - 1) {
                let src = partials! + part * weightCount
                for j in 0..<weightCount { dwp[j] += src[j] }
            }
        }}}}}}}}
        return dx
    }

    /// Weight gradient (accumulated into `dwp`) and, when `dxp` is given, the input gradient by
    /// col2im of `n` images, in this thread's workspace.
    private func backwardIm2col(_ xp: UnsafePointer<Float>, dy dyp: UnsafePointer<Float>, batch n: Int, _ g: WindowGeometry,
                                weights wp: UnsafePointer<Float>, weightGrad dwp: UnsafeMutablePointer<Float>,
                                inputGrad dxp: UnsafeMutablePointer<Float>?) {
        let outC = outChannels
        let p = g.colCols, k = g.colRows
        let inSize = inChannels * g.height * g.width, outSize = outC * p
        let pointwise = isPointwise
        let (units, work) = plan(g, batch: n)
        work.columns.withUnsafeMutableBufferPointer { cb in
        work.gathered.withUnsafeMutableBufferPointer { gb in
            for unit in units {
                // dy for this unit as an [out, cols] matrix with leading dimension ldd.
                let dyMat: UnsafePointer<Float>
                let cols: Int, ldd: Int
                if unit.count == 1 {
                    cols = unit.rows.count * g.outW
                    dyMat = dyp + unit.image * outSize + unit.rows.lowerBound * g.outW
                    ldd = p
                } else {
                    cols = unit.count * p
                    let gp = gb.baseAddress!
                    ParallelLoop.split(outC, work: outC * cols) { outRange in
                        for i in 0..<unit.count {
                            for o in outRange {
                                (gp + o * cols + i * p).update(from: dyp + (unit.image + i) * outSize + o * p, count: p)
                            }
                        }
                    }
                    dyMat = UnsafePointer(gp)
                    ldd = cols
                }
                if pointwise {
                    let xi = xp + unit.image * inSize
                    sgemm(transB: true, m: outC, n: k, k: p, a: dyMat, lda: p, b: xi, ldb: p,
                          beta: 1, c: dwp, ldc: k)
                    if let dxp {
                        sgemm(transA: true, m: k, n: p, k: outC, a: wp, lda: k, b: dyMat, ldb: p,
                              beta: 0, c: dxp + unit.image * inSize, ldc: p)
                    }
                    continue
                }
                let colp = cb.baseAddress!
                if unit.count == 1 {
                    parallelIm2col(xp + unit.image * inSize, g, rows: unit.rows, into: colp, rowStride: cols)
                } else {
                    for i in 0..<unit.count {
                        parallelIm2col(xp + (unit.image + i) * inSize, g, into: colp + i * p, rowStride: cols)
                    }
                }
                // dW += dy . col^T
                sgemm(transB: true, m: outC, n: k, k: cols, a: dyMat, lda: ldd, b: colp, ldb: cols,
                      beta: 1, c: dwp, ldc: k)
                guard let dxp else { continue }
                // dcol = W^T . dy, reusing the column buffer, then fold back onto the images.
                sgemm(transA: true, m: k, n: cols, k: outC, a: wp, lda: k, b: dyMat, ldb: ldd,
                      beta: 0, c: colp, ldc: cols)
                if unit.count == 1 {
                    parallelCol2imAdd(colp, rowStride: cols, g, rows: unit.rows, into: dxp + unit.image * inSize)
                } else {
                    for i in 0..<unit.count {
                        parallelCol2imAdd(colp + i * p, rowStride: cols, g, into: dxp + (unit.image + i) * inSize)
                    }
                }
            }
        }}
    }
}
