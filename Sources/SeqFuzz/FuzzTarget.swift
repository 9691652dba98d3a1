import Foundation
import SeqCore
import SeqEval
import SeqMedia
import SeqNN
import SeqTrain

/// The parsers that read files a user (or a download) hands to seqcurate, each packaged as a
/// fuzz target: bytes in, the parser's answer out.
///
/// The same functions serve three callers: libFuzzer in the `seqfuzz` binary built with
/// `-sanitize=fuzzer,address` (tools/fuzz.sh), the replay mode of a normal `seqfuzz` build,
/// and the XCTest that replays every committed seed and regression input. Each must return or
/// throw a `SeqError`; a trap, a sanitizer report or another error type is a finding.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `.npy` arrays, read as float32, int32 and uint8 (features, labels, test vectors).
    case npy
    /// safetensors weights and checkpoints.
    case safetensors
    /// Pair lists in the four published layouts, scored and evaluated with stand-in features.
    case pairs
    /// Keys files of feature mode, indexed as LFW images and as YTF videos.
    case keys
    /// SeqFace feature pickles (`eval --features X.pkl`), turned into LFW and YTF sources.
    case pickle
    /// ROC files of `eval --compare-roc` (SeqFace's roc_27.txt), with their derived figures.
    case roc
    /// Caffe-style training lists, read as identity and as sequence lists.
    case trainlist
    /// The JSON training configuration.
    case trainconfig
    /// JPEG, PNG and BMP decoding.
    case image
    /// Container probing and the first few frames of video decoding.
    case video

    /// What a parser made of one input.
    public enum Outcome: Sendable, CustomStringConvertible {
        /// Every parser the target runs accepted the input.
        case accepted
        /// A parser refused it with a `SeqError` (the contract: one line, naming the file).
        case refused(SeqError)
        /// A parser threw something other than a `SeqError`, which breaks the project's rule.
        case foreignError(String)

        public var description: String {
            switch self {
            case .accepted: return "accepted"
            case .refused(let e): return "refused: \(e)"
            case .foreignError(let e): return "non-SeqError thrown: \(e)"
            }
        }

        /// Why this outcome breaks the error contract, or nil when it keeps it: an error must be
        /// a `SeqError` on one line that names the input file.
        public func contractViolation(naming path: String) -> String? {
            switch self {
            case .accepted: return nil
            case .foreignError(let e): return "threw a non-SeqError: \(e)"
            case .refused(let e):
                if e.description.contains(where: \.isNewline) { return "error message spans lines: \(e.description.debugDescription)" }
                if !e.description.contains(path) { return "error does not name \(path): \(e.description)" }
                return nil
            }
        }
    }

    /// Frames decoded per video input: enough to get past the headers and the first key frame,
    /// few enough that one input stays in milliseconds.
    public static let videoFrameCap = 4
    /// Seconds of video decoded at most per input.
    public static let videoSeconds = 2.0

    /// The file name the input gets inside `scratch` (or in error messages, for in-memory
    /// parsers); errors are expected to name it.
    public var inputName: String {
        switch self {
        case .npy: return "fuzz.npy"
        case .safetensors: return "fuzz.safetensors"
        case .pairs: return "pairs.txt"
        case .keys: return "keys.txt"
        case .pickle: return "features.pkl"
        case .roc: return "roc.txt"
        case .trainlist: return "list.txt"
        case .trainconfig: return "config.json"
        case .image: return "image"
        case .video: return "video"
        }
    }

    /// Runs `data` through this target's parsers. `scratch` is an existing folder the target
    /// may write its input file into (parsers that only read paths need one); nothing else is
    /// left there. Returns the first refusal, or `.accepted`.
    public func run(_ data: Data, scratch: URL) -> Outcome {
        do {
            try body(data, scratch: scratch)
            return .accepted
        } catch let e as SeqError {
            return .refused(e)
        } catch {
            return .foreignError("\(type(of: error)): \(error)")
        }
    }

    /// The path that error messages for this target's input should name.
    public func inputPath(scratch: URL) -> String {
        switch self {
        case .npy, .safetensors, .pairs, .keys, .pickle, .roc, .image: return inputName
        case .trainlist, .trainconfig, .video: return scratch.appendingPathComponent(inputName).path
        }
    }

    private func body(_ data: Data, scratch: URL) throws {
        switch self {
        case .npy:
            // Each element type takes its own conversion path (f8 -> f4, i8 -> i4, u1); a file
            // holds one dtype, so the input is accepted when any of them reads it.
            var errors: [Error] = []
            do { _ = try NPYArray<Float>.decode(data, path: inputName) } catch { errors.append(error) }
            do { _ = try NPYArray<Int32>.decode(data, path: inputName) } catch { errors.append(error) }
            do { _ = try NPYArray<UInt8>.decode(data, path: inputName) } catch { errors.append(error) }
            if let foreign = errors.first(where: { !($0 is SeqError) }) { throw foreign }
            if errors.count == 3 { throw errors[0] }

        case .safetensors:
            _ = try SafeTensors.decode(data, path: inputName)

        case .pairs:
            let list = try PairFileReader.decode(data, file: inputName)
            try Self.evaluate(list)

        case .keys:
            let keys = try FeatureFile.parseKeys(data, path: inputName)
            guard !keys.isEmpty else { return }
            // Stand-in features (all ones) exercise the indexes: duplicate keys, video folders.
            let file = try FeatureFile(keys: keys, values: [Float](repeating: 1, count: keys.count), dimension: 1,
                                       featuresPath: "features.npy", keysPath: inputName)
            let probe = Array(keys.prefix(8))
            _ = try file.source(for: .lfw).features(for: probe)
            let folders = probe.map { k in k.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") }
            _ = try file.source(for: .ytf).features(for: folders)

        case .pickle:
            let file = try FeatureFile.fromPickle(try FeaturePickle.decode(data, path: inputName), path: inputName)
            let probe = Array(file.keys.prefix(8))
            _ = try file.source(for: .lfw).features(for: probe)
            _ = try file.source(for: .ytf).features(for: probe)

        case .roc:
            let roc = try ComparedROC.parse(data, label: "fuzz", file: inputName)
            _ = roc.auc
            _ = roc.bestAccuracy(positives: roc.tpr.count / 2, negatives: roc.tpr.count - roc.tpr.count / 2)
            _ = try JSONValue(encoding: roc)

        case .trainlist:
            let url = try write(data, in: scratch)
            defer { try? FileManager.default.removeItem(at: url) }
            // Identity labels are 0…F-1 and sequence labels -1…-S, so a list can be only one
            // kind: it is accepted when either reading accepts it.
            var errors: [Error] = []
            for kind in [TrainingList.Kind.identity, .sequence] {
                do { _ = try TrainingList(file: url, kind: kind, root: scratch, checkFiles: false) } catch { errors.append(error) }
            }
            if let foreign = errors.first(where: { !($0 is SeqError) }) { throw foreign }
            if errors.count == 2 { throw errors[0] }

        case .trainconfig:
            let url = try write(data, in: scratch)
            defer { try? FileManager.default.removeItem(at: url) }
            _ = try TrainConfig.load(from: url)

        case .image:
            // The low bit of the length picks the output format, so both conversions get inputs.
            _ = try ImageIO.decode(data, name: inputName, grayscale: data.count & 1 == 1)

        case .video:
            let url = try write(data, in: scratch)
            defer { try? FileManager.default.removeItem(at: url) }
            let reader = try VideoReader(url: url, options: VideoReaderOptions(endTime: Self.videoSeconds, threads: 1))
            var frames = 0
            while frames < Self.videoFrameCap, try reader.nextFrame() != nil { frames += 1 }
        }
    }

    private func write(_ data: Data, in scratch: URL) throws -> URL {
        let url = scratch.appendingPathComponent(inputName)
        do { try data.write(to: url) } catch {
            throw SeqError("fuzz harness cannot write its input: \(error.localizedDescription)", file: url.path)
        }
        return url
    }

    /// Scores the pairs with deterministic stand-in features (two values hashed from each key)
    /// and computes every figure of the report, as `eval` would.
    private static func evaluate(_ list: PairList) throws {
        var keys: [String] = []
        var seen = Set<String>()
        for p in list.pairs {
            for k in [p.first, p.second] where seen.insert(k).inserted {
                // LFW keys are images; a YTF key is a video folder whose frames are rows under it.
                keys.append(list.benchmark == .lfw ? k : k + "/0.jpg")
            }
        }
        var values: [Float] = []
        values.reserveCapacity(keys.count * 2)
        for k in keys {
            var h: UInt32 = 2166136261
            for b in k.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
            values.append(Float(h & 0xFFFF) + 1)
            values.append(Float(h >> 16) - 30000)
        }
        let file = try FeatureFile(keys: keys, values: values, dimension: 2, featuresPath: "features.npy", keysPath: "keys.txt")
        let scores = try PairScorer.score(list, with: try file.source(for: list.benchmark), skipMissing: true)
        guard !scores.pairs.isEmpty else { return }
        let report = EvalReport(scores: scores, worst: 3)
        _ = report.summaryJSON.serialized(.condensed)
        _ = report.detailedJSON
        _ = report.table
    }
}
