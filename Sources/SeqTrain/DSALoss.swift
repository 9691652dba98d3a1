import Foundation
import SeqCore

/// The discriminative sequence agent (DSA) loss's configuration: the class counts, the
/// hyper-parameters (`DSASettings`, read as `config.lambda` and so on) and how samples count.
@dynamicMemberLookup
public struct DSAConfig: Equatable, Sendable {
    /// Identity classes `F`; agents `0..<F`.
    public var faceIDCount: Int
    /// Sequences `S`; label `-k` maps to agent `F - 1 + k`. With `S = 0` sequence samples are skipped.
    public var sequenceIDCount: Int
    public var settings: DSASettings
    /// Samples with this label are left out entirely.
    public var ignoreLabel: Int32? = nil
    /// Multiplies the feature gradient (not the agent update, which is center-loss style).
    public var lossWeight: Float = 1

    public init(faceIDCount: Int, sequenceIDCount: Int, settings: DSASettings, ignoreLabel: Int32? = nil,
                lossWeight: Float = 1) {
        self.faceIDCount = faceIDCount
        self.sequenceIDCount = sequenceIDCount
        self.settings = settings
        self.ignoreLabel = ignoreLabel
        self.lossWeight = lossWeight
    }

    /// The settings one by one; those not given keep `DSASettings`' defaults.
    public init(faceIDCount: Int, sequenceIDCount: Int, lambda: Float? = nil, dropoutRatio: Double? = nil,
                alpha: Float? = nil, beta: Float? = nil, useNormalize: Bool? = nil, scale: Float? = nil,
                centerIter: Int? = nil, diffIter: Int? = nil, ignoreLabel: Int32? = nil, lossWeight: Float = 1) {
        var s = DSASettings()
        if let lambda { s.lambda = lambda }
        if let dropoutRatio { s.dropoutRatio = dropoutRatio }
        if let alpha { s.alpha = alpha }
        if let beta { s.beta = beta }
        if let useNormalize { s.useNormalize = useNormalize }
        if let scale { s.scale = scale }
        if let centerIter { s.centerIter = centerIter }
        if let diffIter { s.diffIter = diffIter }
        self.init(faceIDCount: faceIDCount, sequenceIDCount: sequenceIDCount, settings: s, ignoreLabel: ignoreLabel, lossWeight: lossWeight)
    }

    /// A hyper-parameter: `config.lambda`, `config.dropoutRatio`, …
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<DSASettings, T>) -> T {
        get { settings[keyPath: keyPath] }
        set { settings[keyPath: keyPath] = newValue }
    }

    /// `N = F + S`, the number of agent rows.
    public var agentCount: Int { faceIDCount + sequenceIDCount }

    /// `K_used = floor(N * (1 - dropout_ratio))`, the agents sampled per iteration.
    public var sampledAgentCount: Int {
        Int((Double(agentCount) * (1.0 - settings.dropoutRatio)).rounded(.down))
    }

    /// Checks the ranges the method page gives.
    public func validate() throws {
        // Bounded above so that F + S cannot overflow and the agents fit in memory.
        let maxClasses = TrainLimits.maxClasses
        guard (1...maxClasses).contains(faceIDCount) else {
            throw SeqError("DSA: faceid_num must be in 1…\(maxClasses), got \(faceIDCount)")
        }
        guard (0...maxClasses).contains(sequenceIDCount) else {
            throw SeqError("DSA: seqid_num must be in 0…\(maxClasses), got \(sequenceIDCount)")
        }
        try settings.validateRanges()
        guard lossWeight >= 0, lossWeight.isFinite else { throw SeqError("DSA: loss weight must be >= 0 and finite, got \(lossWeight)") }
    }
}

/// The DSA loss of SeqFace (method page, "DSA loss"), on plain row-major arrays.
///
/// It owns only the iteration counter for the warm-up counts; the agents are passed in, so a
/// trainer can keep them in a `Parameter` and let the optimiser apply `dcenters`
/// (learning-rate multiplier 1, no weight decay).
public final class DSALoss {
    public let config: DSAConfig
    /// Feature (and agent) dimension `K`.
    public let featureDim: Int
    /// Iterations evaluated so far; the warm-up counts compare against it (1 on the first call).
    public internal(set) var iteration: Int

    public init(config: DSAConfig, featureDim: Int, iteration: Int = 0) throws {
        try config.validate()
        guard featureDim > 0 else { throw SeqError("DSA: feature dimension must be positive") }
        self.config = config
        self.featureDim = featureDim
        self.iteration = iteration
    }

    /// Result of one iteration.
    public struct Output: Sendable {
        /// Mean loss over valid samples; 0 when there are none or both warm-ups are active.
        public var loss: Float
        /// `batch x K`: feature gradient, divided by the valid count, times the loss weight.
        public var dfeatures: [Float]
        /// `N x K`: the center-style agent update (the optimiser's "gradient" for the agents).
        public var dcenters: [Float]
        /// Samples that took part.
        public var validCount: Int
    }

    /// Xavier-uniform agents, `N x K`: uniform in `±sqrt(3 / K)` (Caffe's fan-in convention).
    public static func initialAgents(config: DSAConfig, featureDim: Int, using rng: inout SeededGenerator) -> [Float] {
        let bound = (3 / Float(featureDim)).squareRoot()
        return (0..<(config.agentCount * featureDim)).map { _ in (rng.nextUnitFloat() * 2 - 1) * bound }
    }

    /// Runs one iteration, drawing the agent sample from `rng`.
    public func evaluate(features: [Float], labels: [Int32], centers: inout [Float],
                         using rng: inout SeededGenerator) throws -> Output {
        let order = rng.permutation(config.agentCount)
        return try evaluate(features: features, labels: labels, centers: &centers, agentOrder: order)
    }

    /// Runs one iteration with a given permutation of `0..<N`; its first `K_used` entries
    /// are the sampled agents. With `useNormalize` the agents are rescaled in place first.
    public func evaluate(features: [Float], labels: [Int32], centers: inout [Float],
                         agentOrder: [Int]) throws -> Output {
        try checkShapes(features: features, batch: labels.count, centers: centers, agentOrder: agentOrder)
        let agentOf = try agentRows(labels)
        iteration += 1
        if config.useNormalize { normalizeAgents(&centers) }

        let validCount = agentOf.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let dcenters = agentUpdate(features: features, centers: centers, agentOf: agentOf)
        let pullActive = iteration > config.centerIter
        let hingeActive = iteration > config.diffIter
        guard validCount > 0, pullActive || hingeActive else {
            return Output(loss: 0, dfeatures: [Float](repeating: 0, count: labels.count * featureDim), dcenters: dcenters,
                          validCount: validCount)
        }
        let sampled = Array(agentOrder.prefix(config.sampledAgentCount))
        let (total, dfeatures) = featureTerms(features: features, centers: centers, agentOf: agentOf, sampled: sampled,
                                              pullActive: pullActive, hingeActive: hingeActive, validCount: validCount)
        return Output(loss: Float(total / Double(validCount)), dfeatures: dfeatures, dcenters: dcenters, validCount: validCount)
    }

    /// Throws unless `features` is `batch x K`, `centers` is `N x K` and `agentOrder` is a
    /// permutation of `0..<N`.
    private func checkShapes(features: [Float], batch: Int, centers: [Float], agentOrder: [Int]) throws {
        let dim = featureDim
        let agents = config.agentCount
        guard features.count == batch * dim else {
            throw SeqError("DSA: \(features.count) feature values for \(batch) labels x \(dim) dimensions")
        }
        guard centers.count == agents * dim else {
            throw SeqError("DSA: centers hold \(centers.count) values, expected \(agents) x \(dim)")
        }
        guard agentOrder.count == agents else {
            throw SeqError("DSA: agent order has \(agentOrder.count) entries, expected a permutation of 0..<\(agents)")
        }
        var seen = [Bool](repeating: false, count: agents)
        for a in agentOrder {
            guard a >= 0, a < agents, !seen[a] else {
                throw SeqError("DSA: agent order is not a permutation of 0..<\(agents) (entry \(a))")
            }
            seen[a] = true
        }
    }

    /// The agent row of each sample: label `y >= 0` is row `y`, label `-k` row `F - 1 + k`;
    /// -1 for a sample that is left out (`ignoreLabel`, or a sequence label when `S = 0`).
    /// Throws for a label outside `-S…F-1`.
    private func agentRows(_ labels: [Int32]) throws -> [Int] {
        let faces = config.faceIDCount
        var agentOf = [Int](repeating: -1, count: labels.count)
        for (m, y) in labels.enumerated() {
            if let ignore = config.ignoreLabel, y == ignore { continue }
            if y >= 0 {
                guard Int(y) < faces else { throw SeqError("DSA: label \(y) of sample \(m) is not below faceid_num \(faces)") }
                agentOf[m] = Int(y)
            } else {
                if config.sequenceIDCount == 0 { continue }
                guard -Int(y) <= config.sequenceIDCount else {
                    throw SeqError("DSA: label \(y) of sample \(m) is below -seqid_num (\(-config.sequenceIDCount))")
                }
                agentOf[m] = faces - 1 - Int(y)
            }
        }
        return agentOf
    }

    /// Rescales every agent row to norm `scale`.
    private func normalizeAgents(_ centers: inout [Float]) {
        let dim = featureDim
        let s = config.scale
        centers.withUnsafeMutableBufferPointer { c in
            for n in 0..<config.agentCount {
                let row = c.baseAddress! + n * dim
                let factor = s / (Float(VectorMath.dot(row, row, count: dim)) + 1e-7).squareRoot()
                for k in 0..<dim { row[k] *= factor }
            }
        }
    }

    /// The center-style agent update, `N x K`: every agent in the batch moves towards its
    /// samples, each sample weighing `-0.5 / (count + 1)`.
    private func agentUpdate(features: [Float], centers: [Float], agentOf: [Int]) -> [Float] {
        let dim = featureDim
        let agents = config.agentCount
        var dcenters = [Float](repeating: 0, count: agents * dim)
        features.withUnsafeBufferPointer { xb in
            centers.withUnsafeBufferPointer { cb in
                let x = xb.baseAddress!, c = cb.baseAddress!
                dcenters.withUnsafeMutableBufferPointer { db in
                    var count = [Int](repeating: 0, count: agents)
                    for a in agentOf where a >= 0 { count[a] += 1 }
                    for m in 0..<agentOf.count {
                        let a = agentOf[m]
                        guard a >= 0 else { continue }
                        let w = -0.5 / Float(count[a] + 1)
                        VectorMath.addScaledDifference(w, x + m * dim, c + a * dim, into: db.baseAddress! + a * dim, count: dim)
                    }
                }
            }
        }
        return dcenters
    }

    /// The loss summed over the valid samples, and the feature gradient `batch x K` (divided
    /// by `validCount`, times the loss weight): the pull to the own agent (`pullActive`) and
    /// the hinge against each `sampled` agent (`hingeActive`; a sequence sample is pushed only
    /// from identity agents).
    private func featureTerms(features: [Float], centers: [Float], agentOf: [Int], sampled: [Int],
                              pullActive: Bool, hingeActive: Bool, validCount: Int) -> (total: Double, dfeatures: [Float]) {
        let dim = featureDim
        let faces = config.faceIDCount
        let lambda = config.lambda, alpha = config.alpha, beta = config.beta
        let hingeWeight = sampled.isEmpty ? 0 : (1 - lambda) / Float(sampled.count)
        var dfeatures = [Float](repeating: 0, count: agentOf.count * dim)
        var total = 0.0
        features.withUnsafeBufferPointer { xb in
            centers.withUnsafeBufferPointer { cb in
                dfeatures.withUnsafeMutableBufferPointer { gb in
                    let x = xb.baseAddress!, c = cb.baseAddress!
                    for m in 0..<agentOf.count {
                        let a = agentOf[m]
                        guard a >= 0 else { continue }
                        let xm = x + m * dim, ca = c + a * dim, g = gb.baseAddress! + m * dim
                        let own = Float(VectorMath.squaredDistance(xm, ca, count: dim)) / 4
                        var lossM: Float = 0
                        // Coefficient on (x - c_a)/2 accumulated over the terms.
                        var ownCoefficient: Float = 0
                        if pullActive {
                            lossM += lambda * own
                            ownCoefficient += lambda
                        }
                        if hingeActive && hingeWeight > 0 {
                            let isFace = a < faces
                            for n in sampled where n != a && (isFace || n < faces) {
                                let cn = c + n * dim
                                let margin = alpha * own - Float(VectorMath.squaredDistance(xm, cn, count: dim)) / 4 + beta
                                guard margin > 0 else { continue }
                                lossM += hingeWeight * margin
                                ownCoefficient += hingeWeight * alpha
                                VectorMath.addScaledDifference(-0.5 * hingeWeight, xm, cn, into: g, count: dim)
                            }
                        }
                        VectorMath.addScaledDifference(0.5 * ownCoefficient, xm, ca, into: g, count: dim)
                        total += Double(lossM)
                    }
                    let scale = config.lossWeight / Float(validCount)
                    for i in 0..<gb.count { gb[i] *= scale }
                }
            }
        }
        return (total, dfeatures)
    }
}
