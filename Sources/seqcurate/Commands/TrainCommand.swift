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
          seqcurate train --out runs/a --resume --max-iter 20000     # train a finished run further (other settings are refused)
          seqcurate train --benchmark 5 --out /tmp/bench     # synthetic published step: train and feature images/s
        """
    )

    @Option(help: "Identity list (labels 0…F-1).") var identityList: String?
    @Option(help: "Sequence list (labels -1…-S).") var sequenceList: String?
    @Option(help: "Folder the list paths are relative to (default: the export manifest's root, else each list's folder).") var root: String?
    @Option(help: "Run folder.") var out: String
    @Flag(help: "Continue the run in --out from its last good checkpoint (\(ResumeRules.changeableFlags) may change).") var resume = false
    @Option(help: "JSON config (network, head, dsa, solver, data sections).") var config: String?
    @Option(help: "Network preset: the published face_res20net, or tiny for demos.") var network: NetworkPreset?
    // Numbers are parsed `.unconditional`ly so that a negative value reaches validate() and gets
    // a message about its range, instead of being taken for an option ("Missing value").
    @Option(parsing: .unconditional, help: "Multiply the network's channel counts.") var width: Double?
    @Option(parsing: .unconditional, help: "Input crop side (the network's input size).") var input: Int?
    @Option(parsing: .unconditional, help: "Identity images per batch (default 32).") var identityBatch: Int?
    @Option(parsing: .unconditional, help: "Sequence images per batch (default 32; 0 trains identity-only).") var sequenceBatch: Int?
    @Option(help: "Margin of the identity classifier.") var margin: MarginKind?
    @Option(help: "Backward rule of the head: caffe (published MarginInnerProduct; sphereface's default) or exact (the true derivative; the only one for other margins).")
    var headBackward: MarginBackward?
    @Option(parsing: .unconditional, help: "Base learning rate.") var baseLr: Float?
    @Option(parsing: .unconditional, help: "Iterations to train.") var maxIter: Int?
    @Option(parsing: .unconditional, help: "Checkpoint every N iterations (0: only at the end).") var snapshot: Int?
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Image decoding threads.") var threads: Int?
    @Option(parsing: .unconditional, help: "Number of identities F (default: the export manifest's, else largest label + 1).") var faceidNum: Int?
    @Option(parsing: .unconditional, help: "Number of sequences S (default: the export manifest's, else largest -label).") var seqidNum: Int?
    @Flag(help: "No progress output.") var quiet = false
    @Option(parsing: .unconditional, help: "Measure N synthetic iterations of the published step (sphereface head, LSRO, DSA; batch --identity-batch + --sequence-batch, default 8 + 8) instead of training; prints JSON.")
    var benchmark: Int?
    @Option(parsing: .unconditional, help: "Classes of the benchmark head.") var benchmarkClasses = 1000
    @Option(parsing: .unconditional, help: "Sequence ids of the benchmark's DSA agents.") var benchmarkSequences = 1000

    func validate() throws {
        let maxClasses = TrainLimits.maxClasses, maxBatch = TrainLimits.maxBatch
        func check(_ flag: String, _ value: Int?, _ range: ClosedRange<Int>, _ what: String) throws {
            guard let value, !range.contains(value) else { return }
            if value < range.lowerBound {
                throw ValidationError("\(flag) must be at least \(range.lowerBound) (\(what)), got \(value)")
            }
            throw ValidationError("\(flag) must be at most \(range.upperBound) (\(what)), got \(value)")
        }
        try check("--faceid-num", faceidNum, 1...maxClasses, "the number of identity classes")
        try check("--seqid-num", seqidNum, 1...maxClasses, "the number of sequences")
        try check("--identity-batch", identityBatch, 1...maxBatch, "identity images per batch")
        try check("--sequence-batch", sequenceBatch, 0...maxBatch, "sequence images per batch; 0 trains identity-only")
        try check("--max-iter", maxIter, 1...TrainLimits.maxIterations, "iterations to train")
        try check("--snapshot", snapshot, 0...TrainLimits.maxIterations, "0 checkpoints only at the end")
        try check("--threads", threads, 1...TrainLimits.maxThreads, "decoding threads")
        try check("--input", input, 1...TrainLimits.maxInputSize, "the input crop side")
        try check("--benchmark", benchmark, 1...1_000_000, "benchmark iterations")
        try check("--benchmark-classes", benchmarkClasses, 1...maxClasses, "classes of the benchmark head")
        try check("--benchmark-sequences", benchmarkSequences, 1...maxClasses, "sequence ids of the benchmark")
        if let baseLr, !(baseLr > 0 && baseLr.isFinite) {
            throw ValidationError("--base-lr must be a positive finite number, got \(baseLr)")
        }
        if let width, !(width > 0 && width.isFinite) {
            throw ValidationError("--width must be a positive finite number, got \(width)")
        }
        if identityList == nil && !resume && benchmark == nil {
            throw ValidationError("--identity-list is required (except with --resume or --benchmark)")
        }
        if let sequenceBatch, sequenceBatch > 0, sequenceList == nil, !resume, benchmark == nil {
            throw ValidationError("--sequence-batch > 0 needs --sequence-list")
        }
    }

    func run() throws {
        if let benchmark {
            var settings = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? TrainConfig()
            try overrides.apply(to: &settings)
            let result = try TrainBenchmark.run(network: settings.network, margin: settings.head, dsa: settings.dsa, solver: settings.solver,
                                                classes: benchmarkClasses, sequences: benchmarkSequences,
                                                identityBatch: identityBatch ?? 8, sequenceBatch: sequenceBatch ?? 8,
                                                iterations: benchmark)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
            return
        }
        let runDir = URL(fileURLWithPath: out)
        var settings: TrainConfig
        var identityPath = identityList, sequencePath = sequenceList
        var identityRoot = root.map { URL(fileURLWithPath: $0) }, sequenceRoot = identityRoot
        var faceCount = faceidNum, sequenceCount = seqidNum
        if resume {
            let configURL = runDir.appendingPathComponent("config.json")
            guard FileManager.default.fileExists(atPath: configURL.path) else {
                throw SeqError("nothing to resume: no config.json in the run folder", file: runDir.path)
            }
            settings = try TrainConfig.load(from: configURL)
            let info = try TrainRunInfo.load(run: runDir)
            let refused = try ResumeRules.refusedChanges(saved: settings, info: info, requested: overrides,
                                                         config: try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) },
                                                         configName: config)
            guard refused.isEmpty else { throw SeqError(ResumeRules.refusal(refused), file: configURL.path) }
            if let maxIter { settings.solver.maxIter = maxIter }
            if let snapshot { settings.solver.snapshot = snapshot }
            if let threads { settings.data.threads = threads }
            try settings.validate()
            identityPath = identityPath ?? info.identityList
            sequencePath = sequencePath ?? info.sequenceList
            identityRoot = identityRoot ?? info.identityRoot.map { URL(fileURLWithPath: $0) }
            sequenceRoot = sequenceRoot ?? info.sequenceRoot.map { URL(fileURLWithPath: $0) }
            // The run's class counts fix the head's shape, so the lists are checked against them.
            faceCount = faceCount ?? info.faceidNum
            sequenceCount = sequenceCount ?? info.seqidNum
        } else {
            settings = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? TrainConfig()
            try overrides.apply(to: &settings)
        }
        guard let identityPath else { throw SeqError("--identity-list is required") }
        let identity = try TrainingList(file: URL(fileURLWithPath: identityPath), kind: .identity, root: identityRoot, classCount: faceCount)
        var sequence: TrainingList? = nil
        if let sequencePath, settings.data.sequenceBatch > 0 {
            sequence = try TrainingList(file: URL(fileURLWithPath: sequencePath), kind: .sequence, root: sequenceRoot, classCount: sequenceCount)
        } else if settings.data.sequenceBatch > 0 && !resume {
            settings.data.sequenceBatch = 0  // no sequence list: identity-only (validate() refused an explicit --sequence-batch)
        }
        let trainer = try Trainer(config: settings, identity: identity, sequence: sequence,
                                  options: .init(runDir: runDir, resume: resume, quiet: quiet))
        // Shown even with --quiet: the user must know the run went back further than they expect.
        for note in trainer.resumeNotes { printError(note) }
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
    }

    /// The flags that set training values, for `TrainOverrides.apply(to:)` and `ResumeRules`.
    private var overrides: TrainOverrides {
        var o = TrainOverrides()
        o.network = network
        o.width = width
        o.inputSize = input
        o.identityBatch = identityBatch
        o.sequenceBatch = sequenceBatch
        o.margin = margin
        o.headBackward = headBackward
        o.baseLR = baseLr
        o.maxIter = maxIter
        o.snapshot = snapshot
        o.seed = seed
        o.threads = threads
        o.faceidNum = faceidNum
        o.seqidNum = seqidNum
        o.identityList = identityList
        o.sequenceList = sequenceList
        return o
    }
}

extension NetworkPreset: ExpressibleByArgument {}
extension MarginKind: ExpressibleByArgument {}
extension MarginBackward: ExpressibleByArgument {}
