import Foundation
import SeqCore

/// Upper bounds on the sizes a user gives (flags, config files, list labels).
///
/// They lie far above any real face data set or network, and low enough that a typo (an extra
/// digit, a label where a count belongs) is a `SeqError` naming the setting instead of an
/// allocation that aborts the process.
public enum TrainLimits {
    /// Identity classes `F` or sequences `S` (the largest public face sets have a few million).
    public static let maxClasses = 10_000_000
    /// Images per batch, identity or sequence part (the published setup uses 32 + 32).
    public static let maxBatch = 4096
    /// Side of the network input crop and of the resized image.
    public static let maxInputSize = 1024
    /// Channels of one stage after `width`, and `feature_dim`.
    public static let maxChannels = 8192
    /// Stride-2 stages.
    public static let maxStages = 10
    /// Residual units per stage.
    public static let maxUnits = 64
    /// Decoding threads.
    public static let maxThreads = 256
    /// Iterations (`max_iter`, `snapshot`, step sizes, warm-up counts).
    public static let maxIterations = 1_000_000_000_000

    /// A rough upper estimate of the memory one training process needs, in bytes, by part.
    ///
    /// Parameters count four times (value, gradient, momentum, update buffer). Each image keeps
    /// every layer's output for backward, a quarter more for transient gradients, and the im2col
    /// buffer of its widest convolution. The classifier head and DSA agents as in
    /// `MarginHead`/`DSALoss`: weights, gradient, momentum, normalised copy and update buffer.
    public static func memoryEstimate(network n: NetworkConfig, batch: Int, classes: Int, agents: Int)
        -> (parameters: Double, activations: Double, head: Double) {
        var side = Double(n.inputSize), inC = Double(n.inputChannels)
        var weights = 0.0, perImage = 0.0, widestIm2col = 0.0
        for (s, c) in n.effectiveChannels.enumerated() {
            let outC = Double(c)
            side = (side - 1).rounded(.down) / 2 + 1
            let plane = side * side
            weights += inC * outC * 9 + outC * 2 + Double(n.units[s]) * (outC * outC * 9 + outC * 2) * 2
            // Opening conv + PReLU, then per unit two conv + PReLU pairs and the sum.
            perImage += outC * plane * (2 + 5 * Double(n.units[s]))
            widestIm2col = max(widestIm2col, max(inC, outC) * 9 * plane)
            inC = outC
        }
        let flat = inC * side * side
        weights += flat * Double(n.featureDim) + Double(n.featureDim)
        perImage += Double(n.featureDim)
        // 1.25: `seqcurate train --benchmark` peaks at about 28 MB per 128x128 image for the published
        // network, which this puts at 35 MB; erring high only refuses runs that would nearly fill memory.
        let activations = Double(batch) * (perImage * 1.25 + widestIm2col) * 4
        let head = Double(classes) * Double(n.featureDim) * 4 * 5 + Double(agents) * Double(n.featureDim) * 4 * 4
            + Double(batch) * Double(classes) * 4 * 3
        return (weights * 4 * 4, activations, head)
    }

    /// Throws when a run of `network` on batches of `batch` images with `classes` identity
    /// classes (and `agents` DSA agents) would not fit in this machine's memory, so the user gets
    /// a message naming what to lower instead of an aborted allocation or the OOM killer.
    /// - Parameter purpose: what the message says needs the memory ("training", "feature extraction").
    public static func checkMemory(network: NetworkConfig, batch: Int, classes: Int, agents: Int,
                                   purpose: String = "training") throws {
        let part = memoryEstimate(network: network, batch: batch, classes: classes, agents: agents)
        let need = part.parameters + part.activations + part.head
        let have = Double(ProcessInfo.processInfo.physicalMemory)
        guard have <= 0 || need <= have else {
            let gib = 1_073_741_824.0
            throw SeqError(purpose + String(format: " needs about %.1f GiB (network %.1f, activations of %d images %.1f, "
                                  + "classifier head for %d classes x %d features %.1f), more than this machine's %.1f GiB; "
                                  + "lower the batch, input_size or width, or check the class count",
                                  need / gib, part.parameters / gib, batch, part.activations / gib,
                                  classes, network.featureDim, part.head / gib, have / gib))
        }
    }
}
