import ArgumentParser
import Foundation
import SeqCaffe
import SeqCore
import SeqTrain

/// `seqcurate import-caffe`: a Caffe network (such as SeqFace's published ResNet-27) as a model
/// folder that `features` and `eval --model` take like a training run.
struct ImportCaffeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-caffe",
        abstract: "Import a Caffe model (deploy.prototxt + .caffemodel) as a model folder.",
        discussion: """
        Builds the network from the layer graph of --deploy, takes each layer's weights from --weights by \
        layer name and writes OUT/model.json and OUT/weights.safetensors. The feature is the first top of the \
        last layer, or --output. Layers: Input, Data, ImageData, Convolution, InnerProduct, PReLU, ReLU, Eltwise, \
        Pooling, BatchNorm, Scale, Normalize, NormL2, Flatten, Dropout, Split; any other type on the way to the \
        output is refused by name. Images are prepared as SeqFace's featurer.py does: resized to --resize, \
        centrally cropped to the network input, BGR, times --raw-scale/255, less the --mean image, times \
        --input-scale (docs/caffe-models.md).

        Examples:
          seqcurate import-caffe --deploy ResNet-27/deploy.prototxt --weights ResNet-27/train.caffemodel \\
              --mean ResNet-27/mean.binaryproto --out models/resnet27
          seqcurate features --model models/resnet27 --images lfw_aligned/ --out lfw27.npy
        """
    )

    @Option(help: "Network description (text NetParameter).") var deploy: String
    @Option(help: "Trained weights (binary NetParameter).") var weights: String
    @Option(help: "Mean file (binary BlobProto), subtracted from every input.") var mean: String?
    @Option(help: "Model folder to write (created if missing).") var out: String
    @Option(help: "Blob whose value is the feature (default: the first top of the last layer).") var output: String?
    @Option(help: "Size images are resized to before the centre crop, HxW (default 144x144, or the input size where larger).")
    var resize: String?
    @Option(help: "Channel order of the network input: bgr or rgb.") var channelOrder = "bgr"
    @Option(parsing: .unconditional, help: "Pixel values are v * raw-scale / 255 before the mean is subtracted.") var rawScale: Float = 255
    @Option(parsing: .unconditional, help: "Factor applied after the mean is subtracted.") var inputScale: Float = 0.0078125
    @Flag(help: "Keep BatchNorm and Scale as separate steps instead of folding them into the layer before.") var noFold = false

    func validate() throws {
        if let resize, Self.parseSize(resize) == nil { throw ValidationError("--resize must be HxW, such as 144x144, got '\(resize)'") }
        guard channelOrder == "bgr" || channelOrder == "rgb" else {
            throw ValidationError("--channel-order must be bgr or rgb, got '\(channelOrder)'")
        }
        guard rawScale.isFinite, rawScale > 0, inputScale.isFinite, inputScale > 0 else {
            throw ValidationError("--raw-scale and --input-scale must be positive")
        }
        if OutputFile.isStandardOutput(out) { throw ValidationError("--out needs a folder name, not '-'") }
    }

    static func parseSize(_ text: String) -> (Int, Int)? {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), (1...4096).contains(h), (1...4096).contains(w) else { return nil }
        return (h, w)
    }

    func run() throws {
        var options = CaffeImportOptions()
        options.output = output
        if let resize, let (h, w) = Self.parseSize(resize) { (options.resizeHeight, options.resizeWidth) = (h, w) }
        options.channelOrder = channelOrder
        options.rawScale = rawScale
        options.inputScale = inputScale
        options.fold = !noFold
        let folder = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) {
            throw SeqError("--out is a training run (it has config.json); give a new folder", file: folder.path)
        }
        let imported = try CaffeImporter.load(deploy: URL(fileURLWithPath: deploy), weights: URL(fileURLWithPath: weights),
                                              mean: mean.map { URL(fileURLWithPath: $0) }, options: options)
        try ModelFolder.write(imported.manifest, weights: imported.weights, to: folder)
        let graph = imported.manifest.graph
        let dim = try GraphFeatureExtractor(manifest: imported.manifest, weights: imported.weights).featureDim
        let skipped = imported.report.skippedLayers.map { "\"\($0)\"" }.joined(separator: ", ")
        print("{\"model\": \"\(folder.path)\", \"input\": \(graph.inputShape), \"output\": \"\(graph.output)\", \"feature_dim\": \(dim), "
              + "\"nodes\": \(imported.report.nodes), \"folded\": \(imported.report.folded), \"skipped_layers\": [\(skipped)]}")
    }
}
