import ArgumentParser
import Foundation
import SeqCore
import SeqEmbed
import SeqModelEval
import SeqNN
import SeqTrain

/// `seqcurate features`: fc5 features of a trained run for a list or a folder of face images.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Extract fc5 features with a trained model.",
        discussion: """
        Writes a float32 .npy matrix (rows x feature_dim) and, beside it, NAME.keys.txt with one image path \
        (relative to the list root or --images folder) per row. Images are brought to the training image size, \
        centrally cropped and scaled as (v-127.5)/128; a model folder (seqcurate import-caffe) brings images \
        to its input as its model.json says (docs/caffe-models.md). --flip adds the mirrored image's feature to each row. \
        --embedder dlib instead of --model gives dlib's pretrained 128-number face descriptor of each image's \
        main face (MTCNN, dlib's 150x150 chip; docs/embedding.md); an image without a face is used whole.

        Examples:
          seqcurate features --model runs/seqface --images lfw_aligned/ --out lfw.npy --flip
          seqcurate features --model models/resnet27 --images lfw_aligned/ --out lfw27.npy
          seqcurate features --embedder dlib --images lfw/ --out lfw_dlib.npy
          seqcurate features --model runs/seqface --checkpoint runs/seqface/checkpoints/iter_00010000.safetensors --list test.txt --out test.npy
        """
    )

    @Option(help: "Run folder of seqcurate train (its config.json), or a model folder (model.json, as import-caffe writes).") var model: String?
    @Option(help: "A pretrained embedding instead of --model: dlib (MTCNN, dlib's chip, dlib's face ResNet).") var embedder: PretrainedEmbedder?
    @Option(name: .customLong("embedding-weights"), help: "dlib face embedding weights for --embedder dlib (default: found as for embed).") var embeddingWeights: String?
    @Option(help: "Weights file (default: the run's last good checkpoint).") var checkpoint: String?
    @Option(help: "List of images (path [label] per line).") var list: String?
    @Option(help: "Folder list paths are relative to (default: the list's folder).") var root: String?
    @Option(help: "Folder of images, searched recursively.") var images: String?
    @Option(help: "Output .npy file.") var out: String
    @Flag(help: "Add the feature of the mirrored image.") var flip = false
    @Option(parsing: .unconditional, help: "Images per forward pass.") var batchSize = 16
    @Option(name: .customLong("batch"), parsing: .unconditional, help: .init("Old name of --batch-size.", visibility: .hidden)) var oldBatch: Int?
    @Option(parsing: .unconditional, help: "Decoding threads.") var threads = 2
    @Flag(help: "No progress output.") var quiet = false
    @OptionGroup var detector: DetectorOptions

    /// Images per forward pass, given as --batch-size or by its old name --batch.
    var batch: Int { oldBatch ?? batchSize }

    func validate() throws {
        try Renamed.check(old: oldBatch, new: batchSize, default: 16, "--batch", "--batch-size")
        // The keys file goes beside the features, so standard output cannot hold both.
        if OutputFile.isStandardOutput(out) { throw ValidationError("--out needs a file name (the keys are written beside it), not '-'") }
        guard (1...TrainLimits.maxBatch).contains(batch) else {
            throw ValidationError("\(oldBatch == nil ? "--batch-size" : "--batch") must be in 1…\(TrainLimits.maxBatch), got \(batch)")
        }
        guard (1...TrainLimits.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 1…\(TrainLimits.maxThreads), got \(threads)")
        }
        if (list == nil) == (images == nil) { throw ValidationError("give exactly one of --list and --images") }
        if (model == nil) == (embedder == nil) { throw ValidationError("give exactly one of --model and --embedder") }
        if embedder != nil && (flip || checkpoint != nil) { throw ValidationError("--flip and --checkpoint apply to --model only") }
        if embeddingWeights != nil && embedder == nil { throw ValidationError("--embedding-weights applies to --embedder only") }
    }

    func run() throws {
        let set: ImageSet
        if let list {
            set = try ImageSet.list(URL(fileURLWithPath: list), root: root.map { URL(fileURLWithPath: $0) })
        } else {
            set = try ImageSet.directory(URL(fileURLWithPath: images!))
        }
        if embedder != nil {
            let embed = try FaceEmbedder(weights: WeightsLocator.dlibFace(embeddingWeights))
            embed.batchSize = batch
            var pipeline = EmbedderFeatures(embedder: embed, makeDetector: { try detector.makeDetector(parallelPyramid: false) })
            pipeline.quiet = quiet
            let values = try pipeline.descriptors(of: set.urls)
            print(try Self.writeMatrix(values, rows: set.keys.count, dim: FaceEmbedder.dimension, keys: set.keys,
                                       to: URL(fileURLWithPath: out)))
            return
        }
        guard let model else { throw ValidationError("give --model or --embedder") }
        let extractor = try FeatureEmbedding.load(model: URL(fileURLWithPath: model), checkpoint: checkpoint.map { URL(fileURLWithPath: $0) },
                                                  batchSize: batch, threads: threads)
        let progress = ProgressReporter("features", total: set.urls.count, unit: "images", quiet: quiet)
        let values = try extractor.extract(set.urls, flip: flip, progress: progress)
        progress.finish()
        print(try Self.writeMatrix(values, rows: set.keys.count, dim: extractor.featureDim, keys: set.keys,
                                   to: URL(fileURLWithPath: out)))
    }

    /// Writes `rows` x `dim` float32 values as .npy at `outURL` and, beside a regular file, the
    /// keys file (NAME.keys.txt, one key per row); returns the one-line JSON summary the
    /// commands print. Shared by `features` and `embed`.
    static func writeMatrix(_ values: [Float], rows: Int, dim: Int, keys: [String], to outURL: URL) throws -> String {
        try? FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        // NPY writes go through OutputFile: /dev/null or a FIFO is written into, never replaced.
        try NPYArray(shape: [rows, dim], values: values).write(to: outURL)
        // The keys go beside a regular file only: "/dev/null.keys.txt" would land in /dev.
        var keysPath = "null"
        if !Self.isDevice(outURL.path) {
            let keysURL = ImageSet.keysURL(for: outURL)
            try AtomicFile.write(keys.joined(separator: "\n") + "\n", to: keysURL)
            keysPath = "\"\(keysURL.path)\""
        }
        return String(format: "{\"rows\": %d, \"dim\": %d, \"features\": \"%@\", \"keys\": %@}", rows, dim, outURL.path, keysPath)
    }

    /// True when `path` exists and is not a regular file or folder (a device, FIFO or socket).
    static func isDevice(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }
}
