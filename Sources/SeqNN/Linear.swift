/// Fully connected layer `y = x W^T + b`. Input of any rank `[N, ...]` is flattened
/// in C order to `[N, D]` (so `[N, C, H, W]` reads channel-major, as Caffe's InnerProduct).
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    /// Shape `[out, in]`.
    public let weight: Parameter
    /// Shape `[out]`. By default learning rate x2 and no weight decay.
    public let bias: Parameter
    /// When false, `backward` skips the input gradient and returns zeros.
    public var needsInputGradient = true

    private var lastInput: Tensor?

    public init(inFeatures: Int, outFeatures: Int, name: String = "fc") {
        precondition(inFeatures > 0 && outFeatures > 0)
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: name + ".weight", value: Tensor(zeros: [outFeatures, inFeatures]))
        bias = Parameter(name: name + ".bias", value: Tensor(zeros: [outFeatures]), lrMult: 2, decayMult: 0)
    }

    public var parameters: [Parameter] { [weight, bias] }

    private func batchSize(_ shape: [Int]) -> Int {
        precondition(shape.count >= 2 && shape.dropFirst().reduce(1, *) == inFeatures,
                     "Linear(\(weight.name)) expects [N, \(inFeatures)] after flattening, got \(shape)")
        return shape[0]
    }

    public func forward(_ x: Tensor) -> Tensor {
        let n = batchSize(x.shape)
        lastInput = x
        var y = Tensor(zeros: [n, outFeatures])
        let d = inFeatures, o = outFeatures
        x.data.withUnsafeBufferPointer { xb in
        y.data.withUnsafeMutableBufferPointer { yb in
        weight.value.data.withUnsafeBufferPointer { wb in
        bias.value.data.withUnsafeBufferPointer { bb in
            guard n > 0 else { return }
            for i in 0..<n { (yb.baseAddress! + i * o).update(from: bb.baseAddress!, count: o) }
            sgemm(transB: true, m: n, n: o, k: d, a: xb.baseAddress!, lda: d, b: wb.baseAddress!, ldb: d,
                  beta: 1, c: yb.baseAddress!, ldc: o)
        }}}}
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = lastInput else { preconditionFailure("Linear.backward before forward") }
        let n = x.shape[0], d = inFeatures, o = outFeatures
        precondition(dy.shape == [n, o], "Linear(\(weight.name)).backward: dy shape \(dy.shape)")
        var dx = Tensor(zeros: x.shape)
        guard n > 0 else { return dx }
        let wantDx = needsInputGradient
        x.data.withUnsafeBufferPointer { xb in
        dy.data.withUnsafeBufferPointer { dyb in
        dx.data.withUnsafeMutableBufferPointer { dxb in
        weight.value.data.withUnsafeBufferPointer { wb in
        weight.grad.data.withUnsafeMutableBufferPointer { dwb in
        bias.grad.data.withUnsafeMutableBufferPointer { dbb in
            // dW += dy^T x ; db += column sums of dy ; dx = dy W
            sgemm(transA: true, m: o, n: d, k: n, a: dyb.baseAddress!, lda: o, b: xb.baseAddress!, ldb: d,
                  beta: 1, c: dwb.baseAddress!, ldc: d)
            for i in 0..<n {
                for j in 0..<o { dbb[j] += dyb[i * o + j] }
            }
            if wantDx {
                sgemm(m: n, n: d, k: o, a: dyb.baseAddress!, lda: o, b: wb.baseAddress!, ldb: d,
                      beta: 0, c: dxb.baseAddress!, ldc: d)
            }
        }}}}}}
        return dx
    }
}
