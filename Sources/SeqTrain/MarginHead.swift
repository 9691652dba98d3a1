import Foundation
import COpenBLAS
import SeqCore
import SeqNN

/// Which angular margin the classifier head applies to a sample's own class.
public enum MarginKind: String, Codable, CaseIterable, Sendable {
    /// SphereFace's A-Softmax: `ψ(θ) = (-1)^k cos(mθ) - 2k`, blended with `cos θ` by an annealed lambda.
    case sphereface
    /// CosFace: `cos θ - m`.
    case cosface
    /// ArcFace: `cos(θ + m)` (with the usual linear fallback where `θ + m > π`).
    case arcface
    /// Plain scaled cosine (NormFace).
    case none
}

/// How the classifier head's backward pass treats the margin (config key `head.backward`).
public enum MarginBackward: String, Codable, CaseIterable, Sendable {
    /// The rule of the published Caffe `MarginInnerProduct` layer (SphereFace only, the default
    /// there): the own-class margin term's coefficients `(ψ'(c), (ψ(c) - c ψ'(c)) / |x̃|)` on
    /// `(w_y, x̃)` are rescaled to unit length, and the class-weight gradient is `top_diffᵀ · x̃`
    /// with no margin term and no projection through the weight normalisation (`x̃` is the
    /// scaled, normalised feature `s · x / |x|`).
    case caffe
    /// The true derivative of the forward pass (with respect to the features and the class weights).
    case exact
}

/// Settings of the classifier head.
public struct MarginConfig: ConfigSection, Equatable, Sendable {
    public var kind: MarginKind = .sphereface
    /// The margin: integer multiplier for sphereface (1…8), additive for cosface/arcface.
    public var m: Float = 4
    /// The fixed scale `s` applied to the cosines.
    public var scale: Float = 32
    /// SphereFace lambda schedule: `max(lambdaBase * (1 + gamma * iter)^(-power), lambdaMin)`.
    public var lambdaBase: Float = 5
    public var gamma: Float = 0.12
    public var power: Float = 1
    public var lambdaMin: Float = 5
    /// The backward rule: `caffe` (the default for sphereface, as published) or `exact`
    /// (the default, and the only choice, for the other kinds).
    public var backward: MarginBackward = .caffe

    public init(kind: MarginKind = .sphereface, m: Float? = nil, scale: Float = 32, lambdaBase: Float = 5,
                gamma: Float = 0.12, power: Float = 1, lambdaMin: Float = 5, backward: MarginBackward? = nil) {
        self.kind = kind
        self.backward = backward ?? Self.defaultBackward(for: kind)
        switch kind {
        case .sphereface: self.m = m ?? 4
        case .cosface: self.m = m ?? 0.35
        case .arcface: self.m = m ?? 0.5
        case .none: self.m = m ?? 0
        }
        self.scale = scale
        self.lambdaBase = lambdaBase
        self.gamma = gamma
        self.power = power
        self.lambdaMin = lambdaMin
    }

    public init() { self.init(kind: .sphereface) }

    /// The published Caffe rule for sphereface, the exact derivative for the other kinds.
    public static func defaultBackward(for kind: MarginKind) -> MarginBackward {
        kind == .sphereface ? .caffe : .exact
    }

    /// The margin's and the backward rule's defaults depend on the kind the file names.
    public static func defaults(for given: JSONValue) -> MarginConfig {
        MarginConfig(kind: given[CodingKeys.kind.stringValue]?.string.flatMap(MarginKind.init(rawValue:)) ?? .sphereface)
    }

    public func validate() throws {
        guard scale > 0, scale.isFinite else { throw SeqError("head: scale must be positive and finite, got \(scale)") }
        if kind != .sphereface && backward == .caffe {
            throw SeqError("head: backward \"caffe\" is the published MarginInnerProduct rule and exists for sphereface only; use \"exact\" with \(kind.rawValue)")
        }
        switch kind {
        case .sphereface:
            guard m >= 1, m <= 8, m == m.rounded() else { throw SeqError("head: sphereface m must be an integer in 1…8, got \(m)") }
            guard lambdaBase >= 0, lambdaMin >= 0, lambdaBase.isFinite, lambdaMin.isFinite else {
                throw SeqError("head: sphereface lambdas must be >= 0 and finite")
            }
            guard gamma.isFinite, power.isFinite else { throw SeqError("head: sphereface gamma and power must be finite") }
        case .cosface, .arcface:
            guard m >= 0, m < 2 else { throw SeqError("head: \(kind.rawValue) margin must be in [0, 2), got \(m)") }
        case .none:
            break
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, m, scale, gamma, power, backward
        case lambdaBase = "lambda_base", lambdaMin = "lambda_min"
    }

    /// SphereFace's blending weight at a given (1-based) iteration.
    public func sphereLambda(iteration: Int) -> Float {
        max(lambdaBase * powf(1 + gamma * Float(iteration), -power), lambdaMin)
    }
}

/// Classifier on L2-normalised features times `s`, with L2-normalised class weights and a
/// margin on each identity sample's own class. Sequence samples (negative labels) get plain
/// scaled cosines for every class, as the method page requires.
///
/// As in the published Caffe setup (`NormL2` → `Scale(s)` → `MarginInnerProduct`), every
/// forward pass rescales each class-weight row to unit norm in place, so the solver always
/// steps from unit rows and their norms cannot drift. `backward` follows `config.backward`
/// (see `MarginBackward`) and reads the class weights as `forward` left them.
public final class MarginHead {
    public let config: MarginConfig
    public let featureDim: Int
    public let classes: Int
    /// Class weights `[classes, featureDim]`; each row is rescaled to unit norm in place by `forward`.
    public let weight: Parameter

    // Saved by forward for backward.
    private var unitFeatures: [Float] = []
    private var featureNorms: [Float] = []
    /// Exact rule: dg/dcos at each sample's own class (0 = no margin).
    private var marginSlope: [Float] = []
    /// Caffe rule: per sample, the extra own-class coefficients on `w_y` and on `u` (see `backward`).
    private var caffeWeightCoefficient: [Float] = []
    private var caffeFeatureCoefficient: [Float] = []
    private var targets: [Int] = []
    private var batch = 0

    public init(featureDim: Int, classes: Int, config: MarginConfig, name: String = "fc6",
                using rng: inout SeededGenerator) throws {
        try config.validate()
        guard featureDim > 0, classes > 0 else { throw SeqError("head: feature dimension and class count must be positive") }
        self.config = config
        self.featureDim = featureDim
        self.classes = classes
        weight = Parameter(name: name + ".weight",
                           value: Initializer.xavier(shape: [classes, featureDim], fanIn: featureDim, using: &rng))
    }

    public var parameters: [Parameter] { [weight] }

    /// Logits `[B, classes]` for features `[B, featureDim]`. `iteration` (1-based) drives the
    /// SphereFace lambda. Rescales the class-weight rows to unit norm in place first.
    public func forward(_ features: Tensor, labels: [Int32], iteration: Int = 1) -> Tensor {
        precondition(features.rank == 2 && features.shape[1] == featureDim, "head expects [B, \(featureDim)], got \(features.shape)")
        let b = features.shape[0], d = featureDim, c = classes
        precondition(labels.count == b, "head: \(labels.count) labels for batch \(b)")
        batch = b
        Self.normalizeRowsInPlace(&weight.value.data, rows: c, cols: d)
        (unitFeatures, featureNorms) = Self.normalizeRows(features.data, rows: b, cols: d)
        var logits = Tensor(zeros: [b, c])
        marginSlope = [Float](repeating: 0, count: b)
        caffeWeightCoefficient = [Float](repeating: 0, count: b)
        caffeFeatureCoefficient = [Float](repeating: 0, count: b)
        targets = labels.map { Int($0) }
        if b == 0 { return logits }
        unitFeatures.withUnsafeBufferPointer { u in
            weight.value.data.withUnsafeBufferPointer { w in
                logits.data.withUnsafeMutableBufferPointer { z in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(b), blasint(c), blasint(d),
                                1, u.baseAddress!, blasint(d), w.baseAddress!, blasint(d), 0, z.baseAddress!, blasint(c))
                }
            }
        }
        let s = config.scale
        let lambda = config.sphereLambda(iteration: iteration)
        let caffeRule = config.kind == .sphereface && config.backward == .caffe
        logits.data.withUnsafeMutableBufferPointer { z in
            for i in 0..<b {
                let y = targets[i]
                if y >= 0 && y < c && config.kind != .none {
                    let cosine = min(max(z[i * c + y], -1), 1)
                    let (value, slope) = margin(cosine, lambda: lambda)
                    z[i * c + y] = value
                    marginSlope[i] = slope
                    if caffeRule {
                        (caffeWeightCoefficient[i], caffeFeatureCoefficient[i]) = caffeCoefficients(cosine, lambda: lambda)
                    }
                } else {
                    targets[i] = -1
                }
            }
            for i in 0..<z.count { z[i] *= s }
        }
        return logits
    }

    /// Gradient with respect to the (raw) features; adds the class-weight gradient to `weight.grad`.
    ///
    /// Both rules agree on every logit but an identity sample's own class. There, with
    /// `x̃ = s·u` the scaled unit feature and `dz` the logit's gradient:
    /// - `exact`: the derivative of `s·g(cos)`;
    /// - `caffe`: `dx̃ += dz/(1+λ) · (λ w_y + a_w w_y + a_x x̃)`, where `(a_w, a_x)` is
    ///   `(ψ'(c), (ψ(c) - c ψ'(c)) / |x̃|)` rescaled to unit length; the class-weight gradient
    ///   is `dzᵀ·x̃` for every class, with no margin factor and no projection.
    /// The feature gradient then goes through `Scale(s)` and the L2 normalisation exactly.
    public func backward(_ dlogits: Tensor) -> Tensor {
        let b = batch, d = featureDim, c = classes
        precondition(dlogits.shape == [b, c], "head.backward: dlogits shape \(dlogits.shape), expected [\(b), \(c)]")
        let caffeRule = config.kind == .sphereface && config.backward == .caffe
        var dcos = dlogits.data
        let s = config.scale
        for i in 0..<dcos.count { dcos[i] *= s }
        if !caffeRule {
            for i in 0..<b where targets[i] >= 0 { dcos[i * c + targets[i]] *= marginSlope[i] }
        }
        var du = [Float](repeating: 0, count: b * d)
        var dw = [Float](repeating: 0, count: c * d)
        if b > 0 {
            dcos.withUnsafeBufferPointer { g in
                weight.value.data.withUnsafeBufferPointer { w in
                    unitFeatures.withUnsafeBufferPointer { u in
                        du.withUnsafeMutableBufferPointer { o in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(b), blasint(d), blasint(c),
                                        1, g.baseAddress!, blasint(c), w.baseAddress!, blasint(d), 0, o.baseAddress!, blasint(d))
                            if caffeRule {
                                for i in 0..<b where targets[i] >= 0 {
                                    let y = targets[i], gy = g[i * c + y]
                                    let cw = gy * caffeWeightCoefficient[i], cx = gy * caffeFeatureCoefficient[i]
                                    let row = o.baseAddress! + i * d, wy = w.baseAddress! + y * d, ui = u.baseAddress! + i * d
                                    for k in 0..<d { row[k] += cw * wy[k] + cx * ui[k] }
                                }
                            }
                        }
                        dw.withUnsafeMutableBufferPointer { o in
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(c), blasint(d), blasint(b),
                                        1, g.baseAddress!, blasint(c), u.baseAddress!, blasint(d), 0, o.baseAddress!, blasint(d))
                        }
                    }
                }
            }
        }
        Self.projectThroughNormalization(&du, unit: unitFeatures, norms: featureNorms, cols: d)
        if !caffeRule {
            // The rows are unit vectors (forward normalised them in place), so their norms are 1.
            Self.projectThroughNormalization(&dw, unit: weight.value.data, norms: [Float](repeating: 1, count: c), cols: d)
        }
        weight.grad.data.withUnsafeMutableBufferPointer { g in
            for i in 0..<g.count { g[i] += dw[i] }
        }
        return Tensor(shape: [b, d], data: du)
    }

    /// The margin function `g(cos)` of the own class and its derivative.
    func margin(_ cosine: Float, lambda: Float) -> (Float, Float) {
        switch config.kind {
        case .none:
            return (cosine, 1)
        case .cosface:
            return (cosine - config.m, 1)
        case .arcface:
            let m = config.m
            // Past θ + m = π, cos(θ + m) would rise again; continue linearly instead.
            if cosine > cosf(Float.pi - m) {
                let sine = max((1 - cosine * cosine).squareRoot(), 1e-6)
                return (cosine * cosf(m) - sine * sinf(m), cosf(m) + sinf(m) * cosine / sine)
            }
            return (cosine - m * sinf(Float.pi - m), 1)
        case .sphereface:
            let (psi, dpsi) = spherePsi(cosine)
            return ((lambda * cosine + psi) / (1 + lambda), (lambda + dpsi) / (1 + lambda))
        }
    }

    /// SphereFace's `ψ(θ) = (-1)^k cos(mθ) - 2k` as a function of `cos θ`, and its derivative.
    func spherePsi(_ cosine: Float) -> (Float, Float) {
        // A diverged network gives NaN cosines; converting NaN to Int traps, so pass it on
        // and let the loss check stop the run with a message.
        guard !cosine.isNaN else { return (cosine, 0) }
        let m = Int(config.m)
        let theta = acosf(cosine)
        let k = min(Int((Float(m) * theta / Float.pi).rounded(.down)), m - 1)
        let (t, dt) = Self.chebyshev(m, cosine)
        let sign: Float = k % 2 == 0 ? 1 : -1
        return (sign * t - 2 * Float(k), sign * dt)
    }

    /// The Caffe rule's own-class terms for one sample, as coefficients on `w_y` and on the
    /// unit feature `u` (multiplied by `s·dz` in `backward`, which has already added
    /// `s·dz·w_y`): `(a_w - 1) / (1 + λ)` and `a_x · s / (1 + λ)`, with `|x̃| = s`.
    func caffeCoefficients(_ cosine: Float, lambda: Float) -> (Float, Float) {
        let (psi, dpsi) = spherePsi(cosine)
        let s = config.scale
        let onW = dpsi, onX = (psi - cosine * dpsi) / s
        let norm = (onW * onW + onX * onX).squareRoot()
        // Caffe would divide by zero here (never for m >= 1 at a finite cosine); keep the gradient finite.
        guard norm > 0 else { return (-1 / (1 + lambda), 0) }
        return ((onW / norm - 1) / (1 + lambda), onX / norm * s / (1 + lambda))
    }

    /// `T_m(x) = cos(m acos x)` and its derivative, by the three-term recurrence.
    static func chebyshev(_ m: Int, _ x: Float) -> (Float, Float) {
        var t0: Float = 1, t1 = x      // T_0, T_1
        var d0: Float = 0, d1: Float = 1
        if m == 0 { return (1, 0) }
        if m == 1 { return (x, 1) }
        for _ in 2...m {
            let t2 = 2 * x * t1 - t0
            let d2 = 2 * t1 + 2 * x * d1 - d0
            (t0, t1, d0, d1) = (t1, t2, d1, d2)
        }
        return (t1, d1)
    }

    static func normalizeRows(_ x: [Float], rows: Int, cols: Int) -> ([Float], [Float]) {
        var unit = x
        let norms = normalizeRowsInPlace(&unit, rows: rows, cols: cols)
        return (unit, norms)
    }

    /// Rescales each row to unit norm; returns the norms it had.
    @discardableResult
    static func normalizeRowsInPlace(_ x: inout [Float], rows: Int, cols: Int) -> [Float] {
        var norms = [Float](repeating: 0, count: rows)
        x.withUnsafeMutableBufferPointer { u in
            for r in 0..<rows {
                let row = u.baseAddress! + r * cols
                let norm = (Float(VectorMath.dot(row, row, count: cols)) + 1e-12).squareRoot()
                norms[r] = norm
                let inv = 1 / norm
                for j in 0..<cols { row[j] *= inv }
            }
        }
        return norms
    }

    /// Turns a gradient with respect to `v / |v|` into one with respect to `v`, row by row.
    static func projectThroughNormalization(_ g: inout [Float], unit: [Float], norms: [Float], cols: Int) {
        g.withUnsafeMutableBufferPointer { gb in
            unit.withUnsafeBufferPointer { ub in
                for r in 0..<norms.count {
                    let gr = gb.baseAddress! + r * cols, ur = ub.baseAddress! + r * cols
                    let dot = Float(VectorMath.dot(gr, ur, count: cols))
                    let inv = 1 / norms[r]
                    for j in 0..<cols { gr[j] = (gr[j] - ur[j] * dot) * inv }
                }
            }
        }
    }
}
