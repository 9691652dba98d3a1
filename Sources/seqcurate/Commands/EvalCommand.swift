import ArgumentParser
import Foundation
import SeqCore
import SeqEmbed
import SeqEval
import SeqIngest
import SeqModelEval

/// `seqcurate eval lfw|ytf`: verification figures by the published LFW and YTF protocols.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate face features on LFW or YTF pairs (SeqFace's figure, 10-fold, ROC).",
        discussion: """
        Reads a pair list in any published layout (LFW pairs.txt, SeqFace's LFW list, YTF \
        splits.txt, SeqFace's YTF list; detected automatically) and scores each pair by cosine \
        similarity. Reports SeqFace's best-threshold accuracy over all pairs, the standard \
        10-fold accuracy (threshold chosen on nine folds), AUC, EER and TAR at FAR 1e-3 and 1e-2.

        Feature mode: F.npy is float32 [rows, dim], K.txt one key per row (the image path \
        relative to the dataset root). For YTF a video's feature is the L2-normalised sum of \
        the L2-normalised features of every row under Name/<video>/. A SeqFace feature pickle \
        (--features feature_27.pkl, no --keys) holds its keys: each dict key loses a trailing / \
        and everything up to its last images/ folder (data/LFW/images/Name/Name_0001.jpg -> \
        Name/Name_0001.jpg; data/YTF/images/Name/3/ -> Name/3, one feature per video).

        --compare-roc FILE draws a published ROC (SeqFace's data/LFW/roc_27.txt: "tpr fpr" \
        lines) beside this one in roc.svg and results.json of --out, and so in the report; \
        label=FILE names the curve, else the file name does. It may be repeated.

        Model mode: features are extracted from the images under --root with the latest \
        checkpoint of the training run --model (LFW ROOT/Name/Name_0001.jpg; YTF \
        ROOT/aligned_images_DB/Name/<video>/*.jpg, else frame_images_DB) and cached in \
        RUN/eval_cache/, so a re-run only reads them. With --detect, raw images are detected and aligned first (crops cached in RUN/eval_cache/aligned-*). \
        With --embedder dlib instead of --model, dlib's pretrained face descriptor is used: \
        each image's main face (MTCNN) is cut into dlib's 150x150 chip and embedded \
        (docs/embedding.md); nothing is cached.

        Examples:
          seqcurate eval lfw --pairs lfw_pairs.txt --features F.npy --keys K.txt
          seqcurate eval ytf --pairs ytf_splits.txt --features F.npy --keys K.txt --json
          seqcurate eval lfw --pairs lfw_pairs_seqface.txt --features F.npy --keys K.txt --out results/lfw
          seqcurate eval ytf --pairs ytf_pairs_seqface.txt --features F.npy --keys K.txt --skip-missing
          seqcurate eval lfw --pairs lfw_pairs.txt --root data/lfw --model runs/r27
          seqcurate eval lfw --pairs lfw_pairs.txt --root data/lfw --embedder dlib
          seqcurate eval lfw --pairs lfw_pairs_seqface.txt --features feature_27.pkl --out results/lfw27 \
            --compare-roc roc_27.txt --compare-roc ResNet-64=roc_64.txt
        """
    )

    @Argument(help: "The benchmark: lfw or ytf.")
    var benchmark: Benchmark

    @Option(help: "The pair list (any of the four published layouts).")
    var pairs: String

    @Option(help: "Feature matrix, float32 .npy [rows, dim]; or a SeqFace feature pickle (.pkl), which needs no --keys.")
    var features: String?

    @Option(help: "Keys file: one key per feature row, relative to the dataset root (not with a .pkl).")
    var keys: String?

    @Option(help: "Dataset root for model mode (LFW Name/Name_0001.jpg; YTF aligned_images_DB/Name/<video>/).")
    var root: String?

    @Option(help: "Trained model run, or model folder of import-caffe, for model mode.")
    var model: String?

    @Flag(help: "Model mode: detect (MTCNN) and align (SeqFace crop) raw images first.")
    var detect = false

    @Option(help: "Model mode with a pretrained embedding instead of --model: dlib (MTCNN, dlib's chip, dlib's face ResNet).")
    var embedder: PretrainedEmbedder?

    @Option(name: .customLong("embedding-weights"), help: "dlib face embedding weights for --embedder dlib (default: found as for embed).")
    var embeddingWeights: String?
    @OptionGroup var detectorOptions: DetectorOptions
    @OptionGroup var imageLimits: ImageLimitOptions

    @Flag(help: "Print one JSON object with the figures instead of the table.")
    var json = false

    @Flag(help: "No progress output (model mode; --json implies it).")
    var quiet = false

    @Option(help: "Write roc.txt, roc.svg, results.json and scores.txt into this folder.")
    var out: String?

    @Option(name: .customLong("compare-roc"), help: ArgumentHelp(
        "A ROC file (tpr fpr lines, as SeqFace's roc_27.txt) to draw beside this one; [label=]path; repeatable.",
        valueName: "roc"))
    var compareROC: [String] = []

    @Flag(help: "Leave out pairs whose key has no feature (and say how many) instead of stopping.")
    var skipMissing = false

    @Option(parsing: .unconditional, help: "How many worst false accepts and false rejects to list.")
    var worst: Int = 10

    @Flag(help: .hidden)
    var timing = false

    func validate() throws {
        let featureMode = features != nil || keys != nil
        let modelMode = root != nil || model != nil || embedder != nil
        if featureMode && modelMode {
            throw ValidationError("use either --features/--keys (feature mode) or --root/--model (model mode), not both")
        }
        if !featureMode && !modelMode {
            throw ValidationError("give --features and --keys (feature mode) or --root and --model (model mode)")
        }
        if let features, FeatureFile.isPickle(features) {
            if keys != nil { throw ValidationError("a .pkl feature file holds its own keys; leave out --keys") }
        } else if featureMode && (features == nil || keys == nil) {
            throw ValidationError("feature mode needs both --features and --keys")
        }
        if embedder != nil {
            if root == nil { throw ValidationError("--embedder needs --root (the dataset's images)") }
            if model != nil { throw ValidationError("use either --model or --embedder, not both") }
            if detect { throw ValidationError("--embedder dlib detects faces itself; leave out --detect") }
        } else if modelMode && (root == nil || model == nil) {
            throw ValidationError("model mode needs both --root and --model")
        }
        if embeddingWeights != nil && embedder == nil { throw ValidationError("--embedding-weights applies to --embedder only") }
        if detect && !modelMode { throw ValidationError("--detect applies to model mode (--root/--model) only") }
        if worst < 0 { throw ValidationError("--worst must be 0 or more") }
    }

    func run() throws {
        try evaluate()
    }

    private func evaluate() throws {
        var clock = PhaseClock()
        let list = try PairFileReader.read(URL(fileURLWithPath: pairs), expected: benchmark)
        clock.lap("read pairs")

        let compared = try comparedCurves()
        let file: FeatureFile
        if let features, FeatureFile.isPickle(features) {
            file = try FeatureFile.loadPickle(URL(fileURLWithPath: features))
            clock.lap("read feature pickle", io: true)
        } else if let features, let keys {
            file = try FeatureFile.load(features: URL(fileURLWithPath: features), keys: URL(fileURLWithPath: keys))
            clock.lap("read features+keys", io: true)
        } else {
            file = try extractedFeatures(for: list)
            clock.lap("extract or read cached features", io: true)
        }
        let source = try file.source(for: list.benchmark)
        clock.lap("index keys")
        let scores = try PairScorer.score(list, with: source, skipMissing: skipMissing)
        clock.lap(list.benchmark == .ytf ? "aggregate videos+score" : "score")
        var report = EvalReport(scores: scores, worst: worst)
        report.compared = compared
        clock.lap("figures")

        if !scores.skipped.isEmpty {
            let n = scores.missingKeys.count
            printError("seqcurate: skipped \(scores.skipped.count) of \(list.pairs.count) pairs: \(n) \(n == 1 ? "key has" : "keys have") no feature (first: '\(scores.missingKeys[0])')")
        }
        if let out {
            try report.write(to: URL(fileURLWithPath: out), scores: scores)
            clock.lap("write --out", io: true)
        }
        print(json ? report.summaryJSON.serialized(.pretty) : report.table, terminator: json ? "\n" : "")
        if timing { printError(clock.summary) }
    }
}

extension EvalCommand {
    /// The curves of `--compare-roc`, read before any work so a bad file stops the run early.
    private func comparedCurves() throws -> [ComparedROC] {
        let curves = compareROC.map(ComparedROC.parseArgument)
        var seen = Set<String>()
        for (label, _) in curves where !seen.insert(label).inserted {
            throw SeqError("two --compare-roc curves are labelled '\(label)'; name them with label=path")
        }
        return try curves.map { try ComparedROC.read(URL(fileURLWithPath: $0.path), label: $0.label) }
    }

    /// Model mode: the run's features of the images the pairs need (see `ModelFeatures`).
    private func extractedFeatures(for list: PairList) throws -> FeatureFile {
        if embedder != nil, let root {
            var pipeline = EmbedderFeatures(embedder: try FaceEmbedder(weights: WeightsLocator.dlibFace(embeddingWeights)),
                                            makeDetector: { try detectorOptions.makeDetector(parallelPyramid: false) })
            pipeline.skipMissing = skipMissing
            pipeline.maxPixels = imageLimits.maxPixels
            pipeline.quiet = json || quiet
            return try pipeline.features(for: list, root: URL(fileURLWithPath: root))
        }
        guard let root, let model else { throw SeqError("model mode needs --root and --model") }
        let detection = detect ? ModelFeatures.Detection(makeDetector: { try detectorOptions.makeDetector(parallelPyramid: false) },
                                                         cropper: FaceCropping.make(.seqface, size: 144)) : nil
        var pipeline = ModelFeatures(root: URL(fileURLWithPath: root), run: URL(fileURLWithPath: model), detection: detection)
        pipeline.skipMissing = skipMissing
        pipeline.maxPixels = imageLimits.maxPixels
        pipeline.quiet = json || quiet
        return try pipeline.features(for: list)
    }
}

/// Wall-clock time per phase, for the hidden `--timing` flag (tools/bench_eval.sh reads it).
private struct PhaseClock {
    private var last = DispatchTime.now().uptimeNanoseconds
    private var phases: [(String, Double, Bool)] = []

    mutating func lap(_ name: String, io: Bool = false) {
        let now = DispatchTime.now().uptimeNanoseconds
        phases.append((name, Double(now - last) / 1e9, io))
        last = now
    }

    var summary: String {
        let compute = phases.filter { !$0.2 }.reduce(0) { $0 + $1.1 }
        let total = phases.reduce(0) { $0 + $1.1 }
        let parts = phases.map { String(format: "%@ %.3fs", $0.0, $0.1) }.joined(separator: ", ")
        return "timing: \(parts); compute \(String(format: "%.3f", compute))s, total \(String(format: "%.3f", total))s"
    }
}

/// The pretrained embeddings `eval` and `features` can use instead of a trained model.
enum PretrainedEmbedder: String, ExpressibleByArgument, CaseIterable {
    /// dlib's face ResNet (`dlib_face_recognition_resnet_model_v1`) on MTCNN chips.
    case dlib
}
