import ArgumentParser
import Foundation
import SeqCore
import SeqTrain

/// `seqcurate loss`: evaluates one loss on `.npy` inputs, for cross-checks with other frameworks.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Evaluate the LSRO or DSA loss on .npy inputs and write its gradients.",
        discussion: """
        Inputs are NumPy .npy files: float32 (or float64) arrays, int32 (or int64) labels. \
        The loss is printed as {"loss": …} on standard output; gradients go to --out-dir.

        Examples:
          seqcurate loss lsro --logits logits.npy --labels labels.npy --out-dir out/
          seqcurate loss dsa --features x.npy --labels y.npy --centers c.npy --agent-order p.npy \\
              --faceid-num 5 --seqid-num 7 --lambda 0.5 --dropout-ratio 0.5 --alpha 2 --beta 1 --out-dir out/
        """,
        subcommands: [LSRO.self, DSA.self]
    )

    // Numeric options are parsed `.unconditional`ly: a negative value (an ignore label of -1, or a
    // wrong negative count) is a value, not an unknown option.
    struct LSRO: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "LSRO softmax loss; writes dlogits.npy.",
            discussion: """
            Labels >= 0 are identity classes, labels < 0 sequence samples (uniform target).

            Examples:
              seqcurate loss lsro --logits logits.npy --labels labels.npy --out-dir out/
            """
        )
        @Option(help: "Logits, float32 (batch, classes).") var logits: String
        @Option(help: "Labels, int32 (batch,).") var labels: String
        @Option(parsing: .unconditional, help: "Samples with this label are ignored.") var ignoreLabel: Int32?
        @Option(help: "Folder for dlogits.npy (created if missing).") var outDir: String

        func run() throws {
            let loss = try LossFileRunner.runLSRO(logits: URL(fileURLWithPath: logits), labels: URL(fileURLWithPath: labels),
                                                  outDir: URL(fileURLWithPath: outDir), ignoreLabel: ignoreLabel)
            print(LossFileRunner.lossJSON(loss))
        }
    }

    struct DSA: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "DSA loss; writes dfeatures.npy, dcenters.npy and centers.npy.",
            discussion: """
            --agent-order is a permutation of 0..<F+S; its first floor((F+S)*(1-R)) entries are the sampled agents.
            centers.npy holds the agents after the optional normalisation, dcenters.npy the center-style agent update.
            Loss weight 1.

            Examples:
              seqcurate loss dsa --features x.npy --labels y.npy --centers c.npy --agent-order p.npy \\
                  --faceid-num 10 --seqid-num 30 --lambda 0.5 --dropout-ratio 0.9 --alpha 2 --beta 1 \\
                  --use-normalize --scale 4 --out-dir out/
            """
        )
        @Option(help: "Features, float32 (batch, dim).") var features: String
        @Option(help: "Labels, int32 (batch,): 0…F-1 identities, -1…-S sequences.") var labels: String
        @Option(help: "Agents, float32 (F+S, dim).") var centers: String
        @Option(help: "Agent order, int32 permutation of 0..<F+S.") var agentOrder: String
        @Option(parsing: .unconditional, help: "Number of identity classes F.") var faceidNum: Int
        @Option(parsing: .unconditional, help: "Number of sequences S.") var seqidNum: Int
        @Option(name: .customLong("lambda"), parsing: .unconditional, help: "Pull-term weight in [0, 1].") var lambdaValue: Float
        @Option(parsing: .unconditional, help: "Agent dropout ratio in [0, 1].") var dropoutRatio: Double
        @Option(parsing: .unconditional, help: "Margin factor (>= 1).") var alpha: Float
        @Option(parsing: .unconditional, help: "Additive margin (>= 0).") var beta: Float
        @Flag(help: "Rescale every agent to norm --scale first.") var useNormalize = false
        @Option(parsing: .unconditional, help: "Agent norm with --use-normalize.") var scale: Float = 1
        @Option(parsing: .unconditional, help: "Samples with this label are ignored.") var ignoreLabel: Int32?
        @Option(help: "Folder for the outputs (created if missing).") var outDir: String

        var config: DSAConfig {
            DSAConfig(faceIDCount: faceidNum, sequenceIDCount: seqidNum, lambda: lambdaValue,
                      dropoutRatio: dropoutRatio, alpha: alpha, beta: beta,
                      useNormalize: useNormalize, scale: scale, ignoreLabel: ignoreLabel)
        }

        /// The ranges of the method page, checked by the library's `DSAConfig`.
        func validate() throws {
            do {
                try config.validate()
            } catch let error as SeqError {
                throw ValidationError(error.reason)
            }
        }

        func run() throws {
            let loss = try LossFileRunner.runDSA(features: URL(fileURLWithPath: features), labels: URL(fileURLWithPath: labels),
                                                 centers: URL(fileURLWithPath: centers), agentOrder: URL(fileURLWithPath: agentOrder),
                                                 config: config, outDir: URL(fileURLWithPath: outDir))
            print(LossFileRunner.lossJSON(loss))
        }
    }
}
