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

    /// Bytes the classifier head and DSA agents need for `classes` rows of `featureDim`
    /// floats: weights, gradient, momentum, normalised copy and the update buffer (5 copies),
    /// plus the logits of a batch.
    public static func headBytes(classes: Int, agents: Int, featureDim: Int, batch: Int) -> Double {
        Double(classes) * Double(featureDim) * 4 * 5 + Double(agents) * Double(featureDim) * 4 * 4
            + Double(batch) * Double(classes) * 4 * 3
    }

    /// Throws when the head for `classes` identities would not fit in this machine's memory.
    public static func checkHeadFits(classes: Int, agents: Int, featureDim: Int, batch: Int) throws {
        let need = headBytes(classes: classes, agents: agents, featureDim: featureDim, batch: batch)
        let have = Double(ProcessInfo.processInfo.physicalMemory)
        guard have <= 0 || need <= have else {
            throw SeqError(String(format: "%d identity classes x %d features need about %.1f GiB for the classifier head, "
                                  + "more than this machine's %.1f GiB; check the class count (faceid_num) and feature_dim",
                                  classes, featureDim, need / 1_073_741_824, have / 1_073_741_824))
        }
    }
}
