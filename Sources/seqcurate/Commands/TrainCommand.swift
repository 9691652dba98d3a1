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
          seqcurate train --benchmark 5 --out /tmp/bench     # synthetic batches: train and feature images/s
        """
    )

    @Option(help: "Identity list (labels 0…F-1).") var identityList: String?
    @Option(help: "Sequence list (labels -1…-S).") var sequenceList: String?
    @Option(help: "Folder the list paths are relative to (default: the export manifest's root, else each list's folder).") var root: String?
    @Option(help: "Run folder.") var out: String
    @Flag(help: "Continue the run in --out from its last good checkpoint (--max-iter, --snapshot, --threads and --root may change).") var resume = false
    @Option(help: "JSON config (network, head, dsa, solver, data sections).") var config: String?
    @Option(help: "Network preset: face_res20net (published) or tiny (demo).") var network: String?
    // Numbers are parsed `.unconditional`ly so that a negative value reaches validate() and gets
    // a message about its range, instead of being taken for an option ("Missing value").
    @Option(parsing: .unconditional, help: "Multiply the network's channel counts.") var width: Double?
    @Option(parsing: .unconditional, help: "Input crop side (the network's input size).") var input: Int?
    @Option(parsing: .unconditional, help: "Identity images per batch (default 32).") var identityBatch: Int?
    @Option(parsing: .unconditional, help: "Sequence images per batch (default 32; 0 trains identity-only).") var sequenceBatch: Int?
    @Option(help: "Margin: sphereface, cosface, arcface or none.") var margin: String?
    @Option(parsing: .unconditional, help: "Base learning rate.") var baseLr: Float?
    @Option(parsing: .unconditional, help: "Iterations to train.") var maxIter: Int?
    @Option(parsing: .unconditional, help: "Checkpoint every N iterations (0: only at the end).") var snapshot: Int?
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Image decoding threads.") var threads: Int?
    @Option(parsing: .unconditional, help: "Number of identities F (default: the export manifest's, else largest label + 1).") var faceidNum: Int?
    @Option(parsing: .unconditional, help: "Number of sequences S (default: the export manifest's, else largest -label).") var seqidNum: Int?
    @Flag(help: "No progress output.") var quiet = false
    @Option(parsing: .unconditional, help: "Measure N synthetic iterations (batch --identity-batch, default 16) instead of training; prints JSON.")
    var benchmark: Int?
    @Option(parsing: .unconditional, help: "Classes of the benchmark head.") var benchmarkClasses = 1000

    /// Flags that may change on --resume: they do not change the loss sequence (--root only
    /// says where the same images now live).
    static let resumableFlags = "--max-iter, --snapshot, --threads and --root"

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
        if let baseLr, !(baseLr > 0 && baseLr.isFinite) {
            throw ValidationError("--base-lr must be a positive finite number, got \(baseLr)")
        }
        if let width, !(width > 0 && width.isFinite) {
            throw ValidationError("--width must be a positive finite number, got \(width)")
        }
    }

    func run() throws {
        BLASRuntime.ensureOptimalKernels()
        do {
            if let benchmark {
                var settings = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? TrainConfig()
                try applyFlags(to: &settings)
                let result = try TrainBenchmark.run(network: settings.network, classes: benchmarkClasses,
                                                    batch: identityBatch ?? 16, iterations: benchmark)
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
                let info = try runInfo(runDir)
                try refuseChangedSettings(saved: settings, info: info, configURL: configURL)
                if let maxIter { settings.solver.maxIter = maxIter }
                if let snapshot { settings.solver.snapshot = snapshot }
                if let threads { settings.data.threads = threads }
                try settings.validate()
                identityPath = identityPath ?? info?.identityList
                sequencePath = sequencePath ?? info?.sequenceList
                identityRoot = identityRoot ?? (info?.identityRoot).map { URL(fileURLWithPath: $0) }
                sequenceRoot = sequenceRoot ?? (info?.sequenceRoot).map { URL(fileURLWithPath: $0) }
                // The run's class counts fix the head's shape, so the lists are checked against them.
                faceCount = faceCount ?? Self.positiveInt(info?.faceidNum)
                sequenceCount = sequenceCount ?? Self.positiveInt(info?.seqidNum)
            } else {
                settings = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? TrainConfig()
                try applyFlags(to: &settings)
            }
            guard let identityPath else { throw SeqError("--identity-list is required") }
            let identity = try TrainingList(file: URL(fileURLWithPath: identityPath), kind: .identity, root: identityRoot, classCount: faceCount)
            var sequence: TrainingList? = nil
            if let sequencePath, settings.data.sequenceBatch > 0 {
                sequence = try TrainingList(file: URL(fileURLWithPath: sequencePath), kind: .sequence, root: sequenceRoot, classCount: sequenceCount)
            } else if settings.data.sequenceBatch > 0 && !resume {
                if sequenceBatch != nil { throw SeqError("--sequence-batch > 0 needs --sequence-list") }
                settings.data.sequenceBatch = 0  // no sequence list: identity-only
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
            // Keys in sorted order.
            var summary: [(String, JSONValue)] = []
            if let d = records.last?.dsa { summary.append(("dsa", .double(Double(d)))) }
            if let last = records.last { summary.append(("images_per_s", .double(last.imagesPerSecond))) }
            summary.append(("iterations", .int(trainer.iteration)))
            if let last = records.last { summary.append(("lsro", .double(Double(last.lsro)))) }
            summary.append(("run", .string(runDir.path)))
            print(JSONValue.object(summary).serialized(.compact))
        } catch let e as SeqError {
            printError("seqcurate: \(e)")
            throw ExitCode(1)
        }
    }

    /// The run's run.json (nil when the file is missing).
    private func runInfo(_ runDir: URL) throws -> TrainingRunInfo? {
        let url = runDir.appendingPathComponent(TrainingRunInfo.fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try TrainingRunInfo.read(data, file: url.path)
    }

    /// A positive count, else nil.
    private static func positiveInt(_ value: Int?) -> Int? {
        value.flatMap { $0 > 0 ? $0 : nil }
    }

    /// Refuses, by flag name, every setting given with --resume that would change the run.
    /// Flags not given do not count, and giving the run's own value is accepted.
    private func refuseChangedSettings(saved: TrainConfig, info: TrainingRunInfo?, configURL: URL) throws {
        var changed: [String] = []
        func note<T: Equatable>(_ flag: String, _ given: T?, _ theirs: T?) {
            guard let given else { return }
            if theirs != given { changed.append("\(flag) \(given) differs from the run's \(theirs.map { "\($0)" } ?? "none")") }
        }
        note("--base-lr", baseLr, saved.solver.baseLR)
        note("--seed", seed, saved.solver.seed)
        note("--identity-batch", identityBatch, saved.data.identityBatch)
        note("--sequence-batch", sequenceBatch, saved.data.sequenceBatch)
        note("--margin", margin, saved.head.kind.rawValue)
        note("--width", width, saved.network.width)
        note("--input", input, saved.network.inputSize)
        note("--network", network, Self.presetName(saved.network))
        note("--faceid-num", faceidNum, Self.positiveInt(info?.faceidNum))
        note("--seqid-num", seqidNum, Self.positiveInt(info?.seqidNum))
        func standardized(_ path: String?) -> String? { path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
        note("--identity-list", standardized(identityList), standardized(info?.identityList))
        note("--sequence-list", standardized(sequenceList), standardized(info?.sequenceList))
        if changed.isEmpty {
            // The flags above each match; --config (and combinations such as --network without
            // the run's --width) can still change the run: compare the settings as a whole.
            var wanted = try config.map { try TrainConfig.load(from: URL(fileURLWithPath: $0)) } ?? saved
            try applyFlags(to: &wanted)
            wanted.solver.maxIter = saved.solver.maxIter
            wanted.solver.snapshot = saved.solver.snapshot
            wanted.data.threads = saved.data.threads
            let diffs = wanted.differences(from: saved)
            if !diffs.isEmpty {
                let given = config.map { "--config \($0)" } ?? "the given flags"
                changed.append("\(given) differ\(config == nil ? "" : "s") from the run's settings in \(diffs.joined(separator: ", "))")
            }
        }
        guard changed.isEmpty else {
            throw SeqError(changed.joined(separator: "; ") + "; only \(Self.resumableFlags) may change with --resume "
                           + "(start a new run in another --out folder to change the others)", file: configURL.path)
        }
    }

    /// The preset a network config was made from (ignoring --width and --input), or "a custom network".
    private static func presetName(_ n: NetworkConfig) -> String {
        func same(_ p: NetworkConfig) -> Bool {
            p.channels == n.channels && p.units == n.units && p.featureDim == n.featureDim && p.inputChannels == n.inputChannels
        }
        return same(.tiny) ? "tiny" : same(.faceRes20) ? "face_res20net" : "custom network"
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
            guard let kind = MarginKind(rawValue: margin) else { throw SeqError("unknown --margin \"\(margin)\" (sphereface, cosface, arcface or none)") }
            // The same kind keeps the config's margin settings; another kind takes its defaults.
            if kind != c.head.kind { c.head = MarginConfig(kind: kind, scale: c.head.scale) }
        }
        if let baseLr { c.solver.baseLR = baseLr }
        if let maxIter { c.solver.maxIter = maxIter }
        if let snapshot { c.solver.snapshot = snapshot }
        if let seed { c.solver.seed = seed }
        if let threads { c.data.threads = threads }
        try c.validate()
    }
}
