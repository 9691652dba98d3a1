import ArgumentParser
import Foundation
import SeqCore
import SeqTrain

/// `seqcurate loss`: evaluates one loss on `.npy` inputs, for cross-checks with other frameworks.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Evaluate the LSRO or DSA loss, or the margin head, on .npy inputs and write the gradients.",
        discussion: """
        Inputs are NumPy .npy files: float32 (or float64) arrays, int32 (or int64) labels. \
        The loss is printed as {"loss": …} on standard output (the margin head prints {"lambda": …}); gradients go to --out-dir.

        Examples:
          seqcurate loss lsro --logits logits.npy --labels labels.npy --out-dir out/
          seqcurate loss dsa --features x.npy --labels y.npy --centers c.npy --agent-order p.npy \\
              --faceid-num 5 --seqid-num 7 --lambda 0.5 --dropout-ratio 0.5 --alpha 2 --beta 1 --out-dir out/
          seqcurate loss margin --type sphereface --features x.npy --weight w.npy --labels y.npy \\
              --top-diff g.npy --iteration 1 --out-dir out/
        """,
        subcommands: [LSRO.self, DSA.self, Margin.self]
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

    struct Margin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Margin head (NormL2, Scale, MarginInnerProduct); writes logits.npy, dfeatures.npy, dweight.npy and weight.npy.",
            discussion: """
            Runs the published head of train_val.prototxt forward and backward: the raw fc5 features are \
            L2-normalised, scaled by --scale and fed to the margin classifier, whose class-weight rows are \
            first normalised in place (weight.npy holds them). --top-diff is the gradient of the logits; \
            dfeatures.npy is the gradient with respect to the raw features, dweight.npy the class-weight \
            gradient. Labels < 0 (sequence samples) get no margin. --iteration is the 1-based iteration \
            of the lambda schedule: lambda = max(base * (1 + gamma * N)^-power, lambda_min).

            Examples:
              seqcurate loss margin --type sphereface --features x.npy --weight w.npy --labels y.npy \\
                  --top-diff g.npy --iteration 1 --out-dir out/
              seqcurate loss margin --type sphereface --backward exact --base 1000 --lambda-min 5 \\
                  --features x.npy --weight w.npy --labels y.npy --top-diff g.npy --iteration 200 --out-dir out/
            """
        )
        @Option(help: "Margin kind (the published head is sphereface).") var type: MarginKind = .sphereface
        @Option(parsing: .unconditional, help: "Margin (sphereface: integer 1…8, default 4; Caffe's layer has 1…4).") var m: Float?
        @Option(help: "Backward rule: caffe (sphereface's default) or exact.") var backward: MarginBackward?
        @Option(parsing: .unconditional, help: "Feature scale s.") var scale: Float = 32
        @Option(help: "Raw fc5 features, float32 (batch, dim).") var features: String
        @Option(help: "Class weights, float32 (classes, dim).") var weight: String
        @Option(help: "Labels, int32 (batch,): 0…classes-1, negative for sequence samples.") var labels: String
        @Option(help: "Gradient of the logits, float32 (batch, classes).") var topDiff: String
        @Option(parsing: .unconditional, help: "Iteration (1-based) of the lambda schedule.") var iteration: Int
        @Option(parsing: .unconditional, help: "Lambda schedule base.") var base: Float = 5
        @Option(parsing: .unconditional, help: "Lambda schedule gamma.") var gamma: Float = 0.12
        @Option(parsing: .unconditional, help: "Lambda schedule power.") var power: Float = 1
        @Option(parsing: .unconditional, help: "Lambda floor.") var lambdaMin: Float = 5
        @Option(help: "Folder for the outputs (created if missing).") var outDir: String

        var config: MarginConfig {
            MarginConfig(kind: type, m: m, scale: scale, lambdaBase: base, gamma: gamma, power: power, lambdaMin: lambdaMin,
                         backward: backward)
        }

        func validate() throws {
            guard iteration >= 0 else { throw ValidationError("--iteration must be >= 0, got \(iteration)") }
            do {
                try config.validate()
            } catch let error as SeqError {
                throw ValidationError(error.reason)
            }
        }

        func run() throws {
            let lambda = try LossFileRunner.runMargin(features: URL(fileURLWithPath: features), weight: URL(fileURLWithPath: weight),
                                                      labels: URL(fileURLWithPath: labels), topDiff: URL(fileURLWithPath: topDiff),
                                                      config: config, iteration: iteration, outDir: URL(fileURLWithPath: outDir))
            print(LossFileRunner.lambdaJSON(lambda))
        }
    }
}
