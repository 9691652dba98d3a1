import Foundation
import SeqCore
import SeqNN

/// Solver settings (Caffe's names where Caffe has one).
public struct SolverConfig: ConfigSection, Equatable, Sendable {
    public enum Policy: String, Codable, Sendable { case fixed, step, multistep }
    public var baseLR: Float = 0.01
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    public var lrPolicy: Policy = .step
    /// Learning-rate factor at each step.
    public var gamma: Float = 0.1
    /// `step`: multiply by `gamma` every `stepSize` iterations.
    public var stepSize: Int = 200_000
    /// `multistep`: multiply by `gamma` at each of these iterations.
    public var stepValues: [Int] = []
    public var maxIter: Int = 300_000
    /// Write a checkpoint every this many iterations (and always at the end); 0 = only at the end.
    public var snapshot: Int = 10_000
    /// Loss weights.
    public var lsroWeight: Float = 1
    public var dsaWeight: Float = 0.04
    /// Seeds initialisation, batch order, augmentation and agent sampling.
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case baseLR = "base_lr", momentum, weightDecay = "weight_decay", lrPolicy = "lr_policy", gamma
        case stepSize = "stepsize", stepValues = "stepvalues", maxIter = "max_iter", snapshot
        case lsroWeight = "lsro_weight", dsaWeight = "dsa_weight", seed
    }

    public func validate() throws {
        guard baseLR > 0, baseLR.isFinite else { throw SeqError("solver: base_lr must be positive and finite, got \(baseLR)") }
        guard (0..<1).contains(momentum) else { throw SeqError("solver: momentum must be in [0, 1)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw SeqError("solver: weight_decay must be >= 0") }
        guard gamma >= 0, gamma.isFinite else { throw SeqError("solver: gamma must be >= 0 and finite, got \(gamma)") }
        let maxIterations = TrainLimits.maxIterations
        guard (1...maxIterations).contains(maxIter) else { throw SeqError("solver: max_iter must be in 1…\(maxIterations), got \(maxIter)") }
        guard snapshot >= 0 else { throw SeqError("solver: snapshot must be >= 0") }
        if lrPolicy == .step { guard stepSize > 0 else { throw SeqError("solver: stepsize must be positive for lr_policy step") } }
        if lrPolicy == .multistep {
            guard stepValues == stepValues.sorted() else { throw SeqError("solver: stepvalues must be increasing") }
        }
        guard lsroWeight >= 0, dsaWeight >= 0, lsroWeight.isFinite, dsaWeight.isFinite else {
            throw SeqError("solver: loss weights must be >= 0 and finite")
        }
    }

    /// The learning rate at 0-based iteration `iter` (Caffe's `GetLearningRate`).
    public func learningRate(at iter: Int) -> Float {
        switch lrPolicy {
        case .fixed: return baseLR
        case .step: return baseLR * powf(gamma, Float(iter / stepSize))
        case .multistep: return baseLR * powf(gamma, Float(stepValues.filter { iter >= $0 }.count))
        }
    }
}

/// SGD with momentum and weight decay, Caffe style: `v = μ v + lr·lr_mult·(g + wd·decay_mult·w)`, `w -= v`.
public final class SGDSolver {
    public let config: SolverConfig
    /// Momentum buffers by parameter name.
    public private(set) var history: [String: Tensor] = [:]

    public init(config: SolverConfig) {
        self.config = config
    }

    /// Applies one update to every parameter from its accumulated gradient.
    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        let mu = config.momentum, wd = config.weightDecay
        for p in parameters {
            // Taking the buffer out keeps its storage uniquely referenced, so it updates in place.
            var v = history.removeValue(forKey: p.name) ?? Tensor(zeros: p.value.shape)
            let rate = lr * p.lrMult, decay = wd * p.decayMult
            v.data.withUnsafeMutableBufferPointer { vb in
                p.grad.data.withUnsafeBufferPointer { gb in
                    p.value.data.withUnsafeMutableBufferPointer { wb in
                        for i in 0..<wb.count {
                            vb[i] = mu * vb[i] + rate * (gb[i] + decay * wb[i])
                            wb[i] -= vb[i]
                        }
                    }
                }
            }
            history[p.name] = v
        }
    }

    /// Replaces the momentum buffers (from a checkpoint), checking names and shapes.
    public func restore(history saved: [String: Tensor], for parameters: [Parameter], file: String) throws {
        var h: [String: Tensor] = [:]
        for p in parameters {
            guard let t = saved[p.name] else { continue }   // a parameter never stepped has no buffer yet
            guard t.shape == p.value.shape else {
                throw SeqError("momentum \"\(p.name)\" has shape \(t.shape), expected \(p.value.shape)", file: file)
            }
            h[p.name] = t
        }
        history = h
    }
}
