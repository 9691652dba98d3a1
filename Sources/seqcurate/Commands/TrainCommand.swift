import ArgumentParser
import Foundation
import SeqCore
import SeqNN
import SeqTrain

/// `seqcurate train`: trains the SeqFace network on the exported identity and sequence lists.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the SeqFace network (LSRO + DSA) on exported lists.",
        discussion: """
        Lists are Caffe ImageData lists ("relative/path.jpg LABEL"): identity labels 0…F-1, sequence labels -1…-S. \
        Image paths are relative to --root, else to the root in the export's manifest.json, else to the list's folder. The run folder gets config.json, \
        run.json, metrics.jsonl and checkpoints/ (safetensors weights + JSON solver state). \
        Settings come from --config (JSON, see docs/training.md), then the flags below override them.

        Examples:
          seqcurate train --identity-list lists/identity.txt --sequence-list lists/sequence.txt --out runs/seqface
          seqcurate train --identity-list lists/identity.txt --sequence-batch 0 --network tiny --max-iter 2000 --out runs/demo
          seqcurate train --config my.json --identity-list id.txt --sequence-list seq.txt --out runs/a --snapshot 1000
          seqcurate train --out runs/a --resume
          seqcurate train --out runs/a --resume --max-iter 20000     # train a finished run further
          seqcurate train --benchmark 5 --out /tmp/bench     # synthetic batches: train and feature images/s
        """
    )

    @Option(help: "Identity list (labels 0…F-1).") var identityList: String?
    @Option(help: "Sequence list (labels -1…-S).") var sequenceList: String?
    @Option(help: "Folder the list paths are relative to (default: the export manifest's root, else each list's folder).") var root: String?
    @Option(help: "Run folder.") var out: String
    @Flag(help: "Continue the run in --out from its last good checkpoint (--max-iter, --snapshot, --threads may change).") var resume = false
    @Option(help: "JSON config (network, head, dsa, solver, data sections).") var config: String?
    @Option(help: "Network preset: face_res20net (published) or tiny (demo).") var network: String?
    @Option(help: "Multiply the network's channel counts.") var width: Double?
    @Option(help: "Input crop side (the network's input size).") var input: Int?
    @Option(help: "Identity images per batch (default 32).") var identityBatch: Int?
    @Option(help: "Sequence images per batch (default 32; 0 trains identity-only).") var sequenceBatch: Int?
    @Option(help: "Margin: sphereface, cosface, arcface or none.") var margin: String?
    @Option(help: "Base learning rate.") var baseLr: Float?
    @Option(help: "Iterations to train.") var maxIter: Int?
    @Option(help: "Checkpoint every N iterations (0: only at the end).") var snapshot: Int?
    @Option(help: "Random seed.") var seed: UInt64?
    @Option(help: "Image decoding threads.") var threads: Int?
    @Option(help: "Number of identities F (default: the export manifest's, else largest label + 1).") var faceidNum: Int?
    @Option(help: "Number of sequences S (default: the export manifest's, else largest -label).") var seqidNum: Int?
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "Measure N synthetic iterations (batch --identity-batch, default 16) instead of training; prints JSON.")
    var benchmark: Int?
    @Option(help: "Classes of the benchmark head.") var benchmarkClasses = 1000

    func run() throws {
        do {
            if let benchmark {
                var settings = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? TrainConfig()
                try applyFlags(to: &settings)
                let result = try TrainBenchmark.run(network: settings.network, classes: benchmarkClasses,
                                                    batch: identityBatch ?? 16, iterations: max(1, benchmark))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            let runDir = URL(fileURLWithPath: out)
            var settings: TrainConfig
            var identityPath = identityList, sequencePath = sequenceList
            var identityRoot = root.map { URL(fileURLWithPath: $0) }, sequenceRoot = identityRoot
            if resume {
                settings = try TrainConfig.load(from: runDir.appendingPathComponent("config.json"))
                if let maxIter { settings.solver.maxIter = maxIter }
                if let snapshot { settings.solver.snapshot = snapshot }
                if let threads { settings.data.threads = threads }
                if let data = FileManager.default.contents(atPath: runDir.appendingPathComponent("run.json").path),
                   let info = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    identityPath = identityPath ?? info["identity_list"] as? String
                    sequencePath = sequencePath ?? info["sequence_list"] as? String
                    identityRoot = identityRoot ?? (info["identity_root"] as? String).map { URL(fileURLWithPath: $0) }
                    sequenceRoot = sequenceRoot ?? (info["sequence_root"] as? String).map { URL(fileURLWithPath: $0) }
                }
            } else {
                settings = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? TrainConfig()
                try applyFlags(to: &settings)
            }
            guard let identityPath else { throw SeqError("--identity-list is required") }
            let identity = try TrainingList(file: URL(fileURLWithPath: identityPath), kind: .identity, root: identityRoot, classCount: faceidNum)
            var sequence: TrainingList? = nil
            if let sequencePath, settings.data.sequenceBatch > 0 {
                sequence = try TrainingList(file: URL(fileURLWithPath: sequencePath), kind: .sequence, root: sequenceRoot, classCount: seqidNum)
            } else if settings.data.sequenceBatch > 0 && !resume {
                if sequenceBatch != nil { throw SeqError("--sequence-batch > 0 needs --sequence-list") }
                settings.data.sequenceBatch = 0  // no sequence list: identity-only
            }
            let trainer = try Trainer(config: settings, identity: identity, sequence: sequence,
                                      options: .init(runDir: runDir, resume: resume, quiet: quiet))
            if !quiet {
                printError("train: F=\(trainer.faceIDCount) identities, S=\(trainer.sequenceIDCount) sequences, "
                    + "\(trainer.parameters.reduce(0) { $0 + $1.value.count }) parameters, BLAS core \(BLASRuntime.coreName), run \(runDir.path)")
            }
            let records = try trainer.run()
            var summary: [String: Any] = ["iterations": trainer.iteration, "run": runDir.path]
            if let last = records.last {
                summary["lsro"] = Double(last.lsro)
                summary["images_per_s"] = last.imagesPerSecond
                if let d = last.dsa { summary["dsa"] = Double(d) }
            }
            let json = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: json, as: UTF8.self))
        } catch let e as SeqError {
            printError("seqcurate: \(e)")
            throw ExitCode(1)
        }
    }

    private func applyFlags(to c: inout TrainConfig) throws {
        if let network {
            switch network {
            case "face_res20net": c.network = .faceRes20
            case "tiny": c.network = .tiny; if c.data.imageSize == 0 { c.data.imageSize = 36 }
            default: throw SeqError("unknown --network \"\(network)\" (face_res20net or tiny)")
            }
        }
        if let width { c.network.width = width }
        if let input { c.network.inputSize = input }
        if let identityBatch { c.data.identityBatch = identityBatch }
        if let sequenceBatch { c.data.sequenceBatch = sequenceBatch }
        if let margin {
            guard let kind = MarginKind(rawValue: margin) else { throw SeqError("unknown --margin \"\(margin)\"") }
            c.head = MarginConfig(kind: kind, scale: c.head.scale)
        }
        if let baseLr { c.solver.baseLR = baseLr }
        if let maxIter { c.solver.maxIter = maxIter }
        if let snapshot { c.solver.snapshot = snapshot }
        if let seed { c.solver.seed = seed }
        if let threads { c.data.threads = threads }
        try c.validate()
    }
}
