import Foundation
import SeqCore
import SeqNN

/// What a checkpoint's JSON holds besides the tensors: enough to continue the run exactly.
public struct CheckpointState: Codable, Equatable, Sendable {
    /// Iterations completed.
    public var iteration: Int
    /// File names inside the run's `checkpoints/` folder.
    public var weightsFile: String
    public var momentumFile: String
    /// Byte sizes, checked before loading so a truncated file is refused.
    public var weightsBytes: Int
    public var momentumBytes: Int
    public var learningRate: Float

    /// What makes this state unusable, or nil. A damaged file can decode yet hold an
    /// iteration the batch arithmetic cannot take (negative, or near `Int.max`) or name a file
    /// outside the checkpoint folder.
    var problem: String? {
        guard (1...TrainLimits.maxIterations).contains(iteration) else { return "iteration \(iteration) is out of range" }
        for name in [weightsFile, momentumFile] where name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            return "file name \"\(name)\" is not a file in checkpoints/"
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case iteration, weightsFile = "weights_file", momentumFile = "momentum_file"
        case weightsBytes = "weights_bytes", momentumBytes = "momentum_bytes", learningRate = "learning_rate"
    }
}

/// Checkpoints in a run folder: `checkpoints/iter_N.safetensors` (weights),
/// `iter_N.momentum.safetensors`, `iter_N.solver.json`, and `checkpoint.json` naming the last
/// good one. Every file is written atomically, the pointer last.
public enum Checkpoint {
    public static func folder(_ run: URL) -> URL { run.appendingPathComponent("checkpoints") }
    public static func pointer(_ run: URL) -> URL { run.appendingPathComponent("checkpoint.json") }

    /// Writes a checkpoint and points `checkpoint.json` at it; returns the weights file.
    @discardableResult
    public static func save(run: URL, iteration: Int, parameters: [Parameter], momentum: [String: Tensor],
                            learningRate: Float) throws -> URL {
        let dir = folder(run)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let stem = String(format: "iter_%08d", iteration)
        let weights = dir.appendingPathComponent(stem + ".safetensors")
        let moments = dir.appendingPathComponent(stem + ".momentum.safetensors")
        try SafeTensors.save(parameters, to: weights, metadata: ["iteration": String(iteration), "format": "seqcurate-train"])
        try SafeTensors.write(momentum, to: moments, metadata: ["iteration": String(iteration)])
        let state = CheckpointState(iteration: iteration, weightsFile: weights.lastPathComponent, momentumFile: moments.lastPathComponent,
                                    weightsBytes: try fileSize(weights), momentumBytes: try fileSize(moments),
                                    learningRate: learningRate)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(state)
        let stateURL = dir.appendingPathComponent(stem + ".solver.json")
        try AtomicFile.write(json, to: stateURL)
        try AtomicFile.write(json, to: pointer(run))
        return weights
    }

    /// The state of the last good checkpoint, or nil when the run has none.
    public static func latest(run: URL) throws -> CheckpointState? {
        let url = pointer(run)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: data) } catch {
            throw SeqError("corrupt checkpoint pointer (not the expected JSON)", file: url.path)
        }
        if let problem = state.problem { throw SeqError("corrupt checkpoint pointer: \(problem)", file: url.path) }
        return state
    }

    /// A checkpoint a run could resume from: its solver JSON and what it says, or why it
    /// cannot be read.
    public struct Candidate: Sendable {
        /// `iter_N.solver.json`, or `checkpoint.json` when only the pointer names it.
        public var file: URL
        public var state: CheckpointState?
        /// Why `state` is nil.
        public var problem: String?
    }

    /// Every checkpoint of a run, newest first: each `checkpoints/iter_N.solver.json`, plus the
    /// one `checkpoint.json` names when its solver JSON is gone. A solver JSON that cannot be
    /// decoded is listed with its problem, so a caller can say what it skipped.
    public static func candidates(run: URL) -> [Candidate] {
        var found: [Int: Candidate] = [:]
        var unreadable: [Candidate] = []
        let dir = folder(run)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        for name in names where name.hasPrefix("iter_") && name.hasSuffix(".solver.json") {
            let url = dir.appendingPathComponent(name)
            if let data = FileManager.default.contents(atPath: url.path),
               let state = try? JSONDecoder().decode(CheckpointState.self, from: data) {
                if let problem = state.problem {
                    unreadable.append(Candidate(file: url, problem: problem))
                } else {
                    found[state.iteration] = Candidate(file: url, state: state)
                }
            } else {
                unreadable.append(Candidate(file: url, problem: "not the expected solver JSON"))
            }
        }
        if let data = FileManager.default.contents(atPath: pointer(run).path) {
            if let state = try? JSONDecoder().decode(CheckpointState.self, from: data) {
                if let problem = state.problem {
                    unreadable.append(Candidate(file: pointer(run), problem: problem))
                } else if found[state.iteration] == nil {
                    found[state.iteration] = Candidate(file: pointer(run), state: state)
                }
            } else {
                unreadable.append(Candidate(file: pointer(run), problem: "corrupt checkpoint pointer (not the expected JSON)"))
            }
        }
        // Unreadable files sort by the iteration in their name, so messages list them in order.
        func iteration(_ c: Candidate) -> Int {
            c.state?.iteration ?? Int(c.file.lastPathComponent.dropFirst(5).prefix { $0.isNumber }) ?? Int.max
        }
        return (Array(found.values) + unreadable).sorted { iteration($0) > iteration($1) }
    }

    /// Reads a safetensors file after checking its size against the recorded one and its header.
    public static func readChecked(_ url: URL, expectedBytes: Int?) throws -> [String: Tensor] {
        let size: Int
        do { size = try fileSize(url) } catch { throw SeqError("checkpoint file is missing", file: url.path) }
        if let expectedBytes, size != expectedBytes {
            throw SeqError("corrupt checkpoint: \(size) bytes where \(expectedBytes) were written; not loaded", file: url.path)
        }
        do { return try SafeTensors.read(from: url) } catch let e as SeqError {
            throw SeqError("corrupt checkpoint: \(e.reason); not loaded", file: url.path)
        }
    }

    /// Loads parameters by name from tensors, checking every one is present with its shape.
    public static func assign(_ tensors: [String: Tensor], to parameters: [Parameter], file: URL) throws {
        for p in parameters {
            guard let t = tensors[p.name] else { throw SeqError("checkpoint has no tensor \"\(p.name)\"", file: file.path) }
            guard t.shape == p.value.shape else {
                throw SeqError("tensor \"\(p.name)\" has shape \(t.shape), the model expects \(p.value.shape)", file: file.path)
            }
            guard t.data.allSatisfy({ $0.isFinite }) else {
                throw SeqError("tensor \"\(p.name)\" holds NaN or Inf; not loaded", file: file.path)
            }
        }
        for p in parameters { p.value = tensors[p.name]! }
    }

    static func fileSize(_ url: URL) throws -> Int {
        let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attrs[.size] as? NSNumber)?.intValue ?? 0
    }
}
