import Foundation
import SeqCore
import SeqNN

/// Trains the SeqFace network: `face_res20net`-family body, margin head with LSRO loss on the
/// identity classes, and the DSA loss on `fc5` when sequence data is mixed in.
///
/// A run folder holds `config.json`, `run.json` (lists and class counts), `metrics.jsonl`
/// (one line per iteration) and `checkpoints/`. Everything random derives from
/// `solver.seed` and the iteration number, so `resume` continues with the same losses an
/// uninterrupted run would produce.
public final class Trainer {
    public struct Options {
        public var runDir: URL
        /// Continue from the run's last good checkpoint.
        public var resume = false
        /// No progress output (tests, `--quiet`).
        public var quiet = false
        /// Stop (with a checkpoint) once this many iterations are complete, before `max_iter`.
        public var stopAfter: Int? = nil

        public init(runDir: URL, resume: Bool = false, quiet: Bool = false, stopAfter: Int? = nil) {
            self.runDir = runDir
            self.resume = resume
            self.quiet = quiet
            self.stopAfter = stopAfter
        }
    }

    /// One line of `metrics.jsonl` (the contract lives in SeqCore, where the report reads it too).
    public typealias Record = TrainingMetricsRecord

    public let config: TrainConfig
    public let options: Options
    public let network: FaceResNet
    public let head: MarginHead
    /// DSA agents `[F + S, featureDim]`: learning-rate multiplier 1, no weight decay.
    public let agents: Parameter?
    public let solver: SGDSolver
    public let loader: BatchLoader
    public let faceIDCount: Int
    public let sequenceIDCount: Int
    private let lsro: LSROLoss
    private let dsa: DSALoss?
    /// Iterations completed so far.
    public private(set) var iteration = 0
    /// On resume: the checkpoints that could not be loaded and the one used, one line each,
    /// for the caller to show (empty when the newest checkpoint loaded).
    public private(set) var resumeNotes: [String] = []

    public var parameters: [Parameter] { network.parameters + head.parameters + (agents.map { [$0] } ?? []) }

    public init(config: TrainConfig, identity: TrainingList, sequence: TrainingList?, options: Options) throws {
        try config.validate()
        guard identity.kind == .identity else { throw SeqError("the identity list must hold identity labels", file: identity.file.path) }
        if let sequence, sequence.kind != .sequence { throw SeqError("the sequence list must hold sequence labels", file: sequence.file.path) }
        self.config = config
        self.options = options
        faceIDCount = identity.classCount
        let useSequences = config.data.sequenceBatch > 0 && sequence != nil
        sequenceIDCount = useSequences ? sequence!.classCount : 0
        // Before any allocation: a run no machine here can hold is an error, not an abort or an OOM kill.
        try TrainLimits.checkMemory(network: config.network,
                                    batch: config.data.identityBatch + (useSequences ? config.data.sequenceBatch : 0),
                                    classes: faceIDCount,
                                    agents: useSequences && config.solver.dsaWeight > 0 ? faceIDCount + sequenceIDCount : 0)
        var rng = SeededGenerator(seed: config.solver.seed)
        network = try FaceResNet(config: config.network, using: &rng)
        head = try MarginHead(featureDim: config.network.featureDim, classes: faceIDCount, config: config.head, using: &rng)
        lsro = LSROLoss(lossWeight: config.solver.lsroWeight)
        if useSequences && config.solver.dsaWeight > 0 {
            let dsaConfig = config.dsa.lossConfig(faceIDCount: faceIDCount, sequenceIDCount: sequenceIDCount,
                                                  lossWeight: config.solver.dsaWeight)
            dsa = try DSALoss(config: dsaConfig, featureDim: config.network.featureDim)
            let values = DSALoss.initialAgents(config: dsaConfig, featureDim: config.network.featureDim, using: &rng)
            agents = Parameter(name: "dsa.agents", value: Tensor(shape: [dsaConfig.agentCount, config.network.featureDim], data: values),
                               lrMult: 1, decayMult: 0)
        } else {
            dsa = nil
            agents = nil
        }
        solver = SGDSolver(config: config.solver)
        let pre = FacePreprocessor(imageSize: config.data.resolvedImageSize(inputSize: config.network.inputSize),
                                   cropSize: config.network.inputSize, channels: config.network.inputChannels,
                                   channelOrder: config.network.channelOrder)
        loader = try BatchLoader(identity: identity, sequence: useSequences ? sequence : nil,
                                 identityBatch: config.data.identityBatch, sequenceBatch: useSequences ? config.data.sequenceBatch : 0,
                                 preprocessor: pre, mirror: config.data.mirror, seed: config.solver.seed)
        try prepareRunFolder(identity: identity, sequence: useSequences ? sequence : nil)
    }

    private var metricsURL: URL { options.runDir.appendingPathComponent(TrainingMetricsRecord.fileName) }

    private func prepareRunFolder(identity: TrainingList, sequence: TrainingList?) throws {
        let run = options.runDir
        let fm = FileManager.default
        do { try fm.createDirectory(at: run, withIntermediateDirectories: true) } catch {
            throw SeqError("cannot create run folder: \(error.localizedDescription)", file: run.path)
        }
        let configURL = run.appendingPathComponent("config.json")
        if options.resume {
            let candidates = Checkpoint.candidates(run: run)
            guard !candidates.isEmpty else {
                throw SeqError("nothing to resume: the run folder has no checkpoint.json", file: run.path)
            }
            // Only settings that leave the loss sequence unchanged may differ on resume.
            var saved = try TrainConfig.load(from: configURL)
            saved.solver.maxIter = config.solver.maxIter
            saved.solver.snapshot = config.solver.snapshot
            saved.data.threads = config.data.threads
            guard saved == config else {
                throw SeqError("config differs from the one the run was started with in "
                               + config.differences(from: saved).joined(separator: ", ")
                               + " (only max_iter, snapshot and threads may change on resume)", file: configURL.path)
            }
            let state = try restoreNewestGood(candidates)
            try AtomicFile.write(try config.jsonData(), to: configURL)
            // Keep metrics up to the checkpoint, so the file reads like one uninterrupted run.
            // A line cut short by a crash is dropped; a whole line without a key is an error.
            if let text = try? String(contentsOf: metricsURL, encoding: .utf8) {
                var kept: [Substring] = []
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    guard (try? JSONValue.parse(String(line))) != nil else { continue }
                    let r = try Record.read(line: Data(line.utf8), file: metricsURL.path, lineNumber: number + 1)
                    if r.iter <= state.iteration { kept.append(line) }
                }
                try AtomicFile.write(kept.map { $0 + "\n" }.joined(), to: metricsURL)
            }
        } else {
            if fm.fileExists(atPath: Checkpoint.pointer(run).path) {
                throw SeqError("run folder already holds a run; use --resume to continue it or choose a new folder", file: run.path)
            }
            try AtomicFile.write(try config.jsonData(), to: configURL)
            let info = TrainingRunInfo(
                faceidNum: faceIDCount, identityImages: identity.entries.count, identityList: identity.file.path,
                identityRoot: identity.root.path, seqidNum: sequenceIDCount, sequenceImages: sequence?.entries.count ?? 0,
                sequenceList: sequence?.file.path, sequenceRoot: sequence?.root.path)
            try AtomicFile.write(try info.serialized(), to: run.appendingPathComponent(TrainingRunInfo.fileName))
            try AtomicFile.write("", to: metricsURL)
        }
    }

    /// Restores the newest checkpoint that loads, noting each one skipped; when none loads, the
    /// error lists why each was refused.
    private func restoreNewestGood(_ candidates: [Checkpoint.Candidate]) throws -> CheckpointState {
        var skipped: [String] = []
        for candidate in candidates {
            guard let state = candidate.state else {
                skipped.append("\(candidate.file.path): \(candidate.problem ?? "unreadable")")
                continue
            }
            do {
                try restore(state)
            } catch let e as SeqError {
                skipped.append(e.description)
                continue
            }
            let used = Checkpoint.folder(options.runDir).appendingPathComponent(state.weightsFile).path
            resumeNotes = skipped.map { "resume: skipped checkpoint \($0)" }
            if !skipped.isEmpty { resumeNotes.append("resume: using the newest good checkpoint, iteration \(state.iteration) (\(used))") }
            return state
        }
        // One line however many were tried: the newest one's problem, and how many others failed.
        let others = skipped.count > 1 ? " (and \(skipped.count - 1) older checkpoint\(skipped.count > 2 ? "s" : "") refused too)" : ""
        throw SeqError("no good checkpoint to resume from: \(skipped.first ?? "none found")\(others)", file: options.runDir.path)
    }

    private func restore(_ state: CheckpointState) throws {
        let dir = Checkpoint.folder(options.runDir)
        let weightsURL = dir.appendingPathComponent(state.weightsFile)
        let momentumURL = dir.appendingPathComponent(state.momentumFile)
        let weights = try Checkpoint.readChecked(weightsURL, expectedBytes: state.weightsBytes)
        let momentum = try Checkpoint.readChecked(momentumURL, expectedBytes: state.momentumBytes)
        try Checkpoint.assign(weights, to: parameters, file: weightsURL)
        try solver.restore(history: momentum, for: parameters, file: momentumURL.path)
        iteration = state.iteration
        dsa?.iteration = state.iteration
    }

    /// Runs one iteration on `batch` and applies the update.
    /// - Throws: a `SeqError` naming the iteration when a loss or weight becomes NaN or infinite.
    public func step(_ batch: TrainingBatch) throws -> Record {
        let started = Date()
        let params = parameters
        for p in params { p.zeroGrad() }
        let lr = config.solver.learningRate(at: iteration)
        let number = iteration + 1
        let features = network.forward(batch.images)
        // Checked here, before the head: everything downstream of a NaN feature is NaN too,
        // and the message should name where it started.
        if features.data.withUnsafeBufferPointer({ b in b.contains { !$0.isFinite } }) {
            try stop(iteration: number, reason: "fc5 features became NaN or infinite")
        }
        let logits = head.forward(features, labels: batch.labels, iteration: number)
        let identityLoss = try lsro.evaluate(logits: logits.data, labels: batch.labels, classes: faceIDCount)
        var dfeatures = head.backward(Tensor(shape: logits.shape, data: identityLoss.dlogits))
        var sequenceLoss: Float? = nil
        if let dsa, let agents {
            var rng = SeededGenerator(seed: mixSeed(config.solver.seed, 0xD5A, UInt64(iteration)))
            let out = try dsa.evaluate(features: features.data, labels: batch.labels, centers: &agents.value.data, using: &rng)
            sequenceLoss = out.loss
            agents.grad.data = out.dcenters
            dfeatures.data.withUnsafeMutableBufferPointer { d in
                for i in 0..<d.count { d[i] += out.dfeatures[i] }
            }
        }
        try checkFinite("LSRO loss", identityLoss.loss, iteration: number)
        if let sequenceLoss { try checkFinite("DSA loss", sequenceLoss, iteration: number) }
        network.backward(dfeatures)
        solver.step(params, learningRate: lr)
        for p in params {
            let bad = p.value.data.withUnsafeBufferPointer { b in b.contains { !$0.isFinite } }
            if bad { try stop(iteration: number, reason: "weights of \(p.name) became NaN or infinite") }
        }
        iteration = number
        let seconds = max(Date().timeIntervalSince(started), 1e-9)
        return Record(iter: number, lsro: identityLoss.loss, dsa: sequenceLoss, lr: lr,
                      imagesPerSecond: Double(batch.labels.count) / seconds)
    }

    private func checkFinite(_ what: String, _ value: Float, iteration: Int) throws {
        if !value.isFinite { try stop(iteration: iteration, reason: "\(what) is \(value.isNaN ? "NaN" : "infinite")") }
    }

    private func stop(iteration: Int, reason: String) throws -> Never {
        let last = (try? Checkpoint.latest(run: options.runDir))?.map { "last good checkpoint: iteration \($0.iteration) (\(Checkpoint.folder(options.runDir).appendingPathComponent($0.weightsFile).path))" }
            ?? "no checkpoint was written yet"
        throw SeqError("iteration \(iteration): \(reason); training stopped, \(last)")
    }

    /// Writes a checkpoint of the current state.
    @discardableResult
    public func saveCheckpoint() throws -> URL {
        try Checkpoint.save(run: options.runDir, iteration: iteration, parameters: parameters, momentum: solver.history,
                            learningRate: config.solver.learningRate(at: max(iteration - 1, 0)))
    }

    /// Trains until `max_iter` (or `stopAfter`), checkpointing every `snapshot` iterations and
    /// at the end. Returns the records of the iterations run now.
    @discardableResult
    public func run() throws -> [Record] {
        let end = min(config.solver.maxIter, options.stopAfter ?? Int.max)
        guard iteration < end else { return [] }
        let prefetcher = BatchPrefetcher(loader: loader, start: iteration, depth: 2, threads: config.data.threads)
        defer { prefetcher.stop() }
        let progress = ProgressReporter("train", total: end - iteration, unit: "iter", quiet: options.quiet)
        let metrics = try FileHandle(forWritingTo: metricsURL)
        defer { try? metrics.close() }
        metrics.seekToEndOfFile()
        var records: [Record] = []
        let started = Date()
        var images = 0
        while iteration < end {
            let batch = try prefetcher.nextBatch()
            var record = try step(batch)
            images += batch.labels.count
            // Count the waiting for data as well: this is the rate a user sees.
            record.imagesPerSecond = Double(images) / max(Date().timeIntervalSince(started), 1e-9)
            records.append(record)
            metrics.write(try record.line() + Data("\n".utf8))
            var note = String(format: "lsro %.4f", record.lsro)
            if let d = record.dsa { note += String(format: " dsa %.4f", d) }
            note += String(format: " lr %.3g %.1f img/s", record.lr, record.imagesPerSecond)
            progress.advance(note: note)
            if config.solver.snapshot > 0 && iteration % config.solver.snapshot == 0 && iteration < end {
                try saveCheckpoint()
            }
        }
        try saveCheckpoint()
        progress.finish()
        return records
    }
}
