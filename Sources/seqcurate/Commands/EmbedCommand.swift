import ArgumentParser
import Foundation
import SeqCore
import SeqDetect
import SeqEmbed
import SeqMedia
import SeqNN

/// `seqcurate embed`: dlib's 128-number face descriptor of the main face of each image.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Compute dlib's pretrained 128-number face descriptor of each image's face.",
        discussion: """
        Each image's main face (MTCNN; the largest, preferring the centre) is cut into dlib's own \
        150x150 chip (the box dlib's HOG detector would report, dlib's 5-point landmarks from it, \
        dlib's chip extraction) and embedded by dlib's face ResNet (dlib_face_resnet.safetensors \
        from tools/setup.sh, run on seqcurate's own layers; docs/embedding.md). With --aligned the \
        images are 150x150 face chips already and are embedded as they are. Two descriptors less \
        than 0.6 apart are, by dlib's rule, the same person.

        Output: one line per image, PATH and the 128 numbers; with --json one JSON line per image:
          {"source": path, "box": [x1,y1,x2,y2] or null, "embedding": [128 numbers]}
        With --out, a float32 .npy matrix (images x 128) and NAME.keys.txt beside it (the image \
        paths, one per row, as `features` writes them), and a one-line summary.
        An image that cannot be read, has no face, or (--aligned) is not a 150x150 RGB chip is \
        left out and the rest are still embedded and written; the failures are then listed on \
        standard error, one line each naming the image, and the exit code is 1.

        Examples:
          seqcurate embed assets/messi5.jpg
          seqcurate embed --json assets/messi5.jpg > messi.jsonl
          seqcurate embed --out faces.npy photos/*.jpg
          seqcurate embed --aligned --json Tests/Fixtures/embedding/messi_chip.png
        """)

    @Argument(help: "Image files.") var images: [String]
    @Flag(help: "The images are 150x150 face chips: embed them as they are, without detection.") var aligned = false
    @Option(help: "Write the descriptors as a float32 .npy matrix here, with NAME.keys.txt beside it.") var out: String?
    @Flag(help: "Write JSON Lines (one object per image) instead of text.") var json = false
    @Option(name: .customLong("embedding-weights"), help: "dlib face embedding weights (default: $SEQCURATE_DLIB_WEIGHTS, else dlib_face_resnet.safetensors in $SEQCURATE_HOME, <prefix>/share/seqcurate, ./assets or the build tree's assets).")
    var embeddingWeights: String?
    @Option(parsing: .unconditional, help: "Chips per forward pass.") var batchSize = 32
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var limits: ImageLimitOptions

    func validate() throws {
        if let out, OutputFile.isStandardOutput(out) {
            throw ValidationError("--out needs a file name (the keys are written beside it), not '-'")
        }
        guard (1...1024).contains(batchSize) else { throw ValidationError("--batch-size must be in 1…1024, got \(batchSize)") }
    }

    func run() throws {
        let embedder = try FaceEmbedder(weights: WeightsLocator.dlibFace(embeddingWeights))
        embedder.batchSize = batchSize
        let mtcnn = aligned ? nil : try detector.makeDetector(parallelPyramid: true)
        var failures = InputFailures(of: "images")
        var keys: [String] = []
        var values: [Float] = []
        // Images are read and chipped one batch at a time, so memory stays bounded.
        for start in stride(from: 0, to: images.count, by: batchSize) {
            var chips: [(path: String, box: FaceBox?, chip: Image)] = []
            for path in images[start..<min(start + batchSize, images.count)] {
                do {
                    let (box, chip) = try self.chip(path, mtcnn: mtcnn, embedder: embedder)
                    chips.append((path, box, chip))
                } catch {
                    failures.record(error, input: path)
                }
            }
            let descriptors = try embedder.embed(chips.map { $0.chip })
            for (c, d) in zip(chips, descriptors) {
                if out != nil {
                    keys.append(c.path)
                    values += d
                } else if json {
                    print(EmbeddingJSON.line(source: c.path, box: c.box, embedding: d))
                } else {
                    print(c.path + " " + d.map { String(format: "%.7f", $0) }.joined(separator: " "))
                }
            }
        }
        if let out {
            print(try FeaturesCommand.writeMatrix(values, rows: keys.count, dim: FaceEmbedder.dimension, keys: keys,
                                                  to: URL(fileURLWithPath: out)))
        }
        try failures.throwIfAny(of: images.count)
    }

    /// The chip of one image: the image itself with --aligned, else its main face's chip.
    private func chip(_ path: String, mtcnn: MTCNN?, embedder: FaceEmbedder) throws -> (FaceBox?, Image) {
        let url = URL(fileURLWithPath: path)
        guard let mtcnn else {
            let image = try ImageIO.read(url, maxPixels: limits.maxPixels)
            guard image.width == FaceChip.size, image.height == FaceChip.size, image.channels == 3 else {
                throw SeqError("\(image.width)x\(image.height) image with \(image.channels) channels; "
                    + "--aligned takes \(FaceChip.size)x\(FaceChip.size) RGB face chips", file: path)
            }
            return (nil, image)
        }
        let image = try ImageIO.read(url, maxPixels: limits.maxPixels)
        // --max-side, if set, shrinks the image for detection only; faces come back in full-size
        // pixels and the chip is cut from the full image.
        guard let face = FaceDetection.mainFace(mtcnn.detect(image), width: image.width, height: image.height) else {
            throw SeqError("no face found", file: path)
        }
        guard let chip = embedder.chip(of: face, in: image) else {
            throw SeqError("the face's landmarks give no chip", file: path)
        }
        return (face.box, chip)
    }
}
