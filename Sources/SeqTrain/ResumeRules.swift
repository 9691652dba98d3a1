import Foundation
import SeqCore

/// What a run folder's `run.json` records beside `config.json`: the lists the run was started
/// with, their roots, and the class counts that fix the head's shape.
public struct TrainRunInfo: Sendable, Equatable {
    public var identityList: String?
    public var sequenceList: String?
    public var identityRoot: String?
    public var sequenceRoot: String?
    public var faceidNum: Int?
    public var seqidNum: Int?

    public init(identityList: String? = nil, sequenceList: String? = nil, identityRoot: String? = nil,
                sequenceRoot: String? = nil, faceidNum: Int? = nil, seqidNum: Int? = nil) {
        self.identityList = identityList
        self.sequenceList = sequenceList
        self.identityRoot = identityRoot
        self.sequenceRoot = sequenceRoot
        self.faceidNum = faceidNum
        self.seqidNum = seqidNum
    }

    /// What resume takes from the run's `run.json` (the `TrainingRunInfo` contract, read with
    /// its own reader); empty when the file is missing. Class counts that are not positive read
    /// as missing.
    public static func load(run: URL) throws -> TrainRunInfo {
        let url = run.appendingPathComponent(TrainingRunInfo.fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return TrainRunInfo() }
        let info = try TrainingRunInfo.read(data, file: url.path)
        func positive(_ n: Int) -> Int? { n > 0 ? n : nil }
        return TrainRunInfo(identityList: info.identityList, sequenceList: info.sequenceList,
                            identityRoot: info.identityRoot, sequenceRoot: info.sequenceRoot,
                            faceidNum: positive(info.faceidNum), seqidNum: positive(info.seqidNum))
    }
}

/// Which settings a resumed run may change: only those that leave the loss sequence as it is.
/// The run's own value, given again, is no change.
public enum ResumeRules {
    /// The flags that may change on resume (`--root` only says where the same images now live).
    public static let changeableFlags = "--max-iter, --snapshot, --threads and --root"

    /// The settings in `requested` (and in `config`, a config file given by `configName`) that
    /// would change the run saved as `saved` and `info`, each as `--flag value differs from the
    /// run's value`, or one entry naming the config keys that differ. Empty: the run may go on.
    public static func refusedChanges(saved: TrainConfig, info: TrainRunInfo, requested: TrainOverrides,
                                      config: TrainConfig? = nil, configName: String? = nil) throws -> [String] {
        var changed: [String] = []
        func note<T: Equatable>(_ flag: String, _ given: T?, _ theirs: T?, _ show: (T) -> String = { "\($0)" }) {
            guard let given else { return }
            if theirs != given { changed.append("\(flag) \(show(given)) differs from the run's \(theirs.map(show) ?? "none")") }
        }
        note("--base-lr", requested.baseLR, saved.solver.baseLR)
        note("--seed", requested.seed, saved.solver.seed)
        note("--identity-batch", requested.identityBatch, saved.data.identityBatch)
        note("--sequence-batch", requested.sequenceBatch, saved.data.sequenceBatch)
        note("--margin", requested.margin, saved.head.kind, \.rawValue)
        note("--head-backward", requested.headBackward, saved.head.backward, \.rawValue)
        note("--width", requested.width, saved.network.width)
        note("--input", requested.inputSize, saved.network.inputSize)
        if let preset = requested.network, preset != NetworkPreset.matching(saved.network) {
            let theirs = NetworkPreset.matching(saved.network)?.rawValue ?? "custom network"
            changed.append("--network \(preset.rawValue) differs from the run's \(theirs)")
        }
        note("--faceid-num", requested.faceidNum, info.faceidNum)
        note("--seqid-num", requested.seqidNum, info.seqidNum)
        func standardized(_ path: String?) -> String? { path.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
        note("--identity-list", standardized(requested.identityList), standardized(info.identityList))
        note("--sequence-list", standardized(requested.sequenceList), standardized(info.sequenceList))
        if changed.isEmpty {
            // Each flag above matches; a config file (and combinations such as a preset without
            // the run's width) can still change the run: compare the settings as a whole.
            var wanted = config ?? saved
            try requested.apply(to: &wanted)
            wanted.solver.maxIter = saved.solver.maxIter
            wanted.solver.snapshot = saved.solver.snapshot
            wanted.data.threads = saved.data.threads
            let diffs = wanted.differences(from: saved)
            if !diffs.isEmpty {
                let given = configName.map { "--config \($0)" } ?? "the given flags"
                changed.append("\(given) differ\(configName == nil ? "" : "s") from the run's settings in \(diffs.joined(separator: ", "))")
            }
        }
        return changed
    }

    /// The message refusing `changes` (from `refusedChanges`).
    public static func refusal(_ changes: [String]) -> String {
        changes.joined(separator: "; ") + "; only \(changeableFlags) may change with --resume "
            + "(start a new run in another --out folder to change the others)"
    }
}
