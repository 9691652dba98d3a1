import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// A model folder: a network given as a graph rather than trained here (for instance one
/// imported from Caffe by `seqcurate import-caffe`), usable wherever a training run is
/// (`seqcurate features --model`, `seqcurate eval --model`).
///
///     MODEL/model.json            ModelManifest: graph, input preprocessing, where it came from
///     MODEL/weights.safetensors   the graph's weights (`<node>.<role>`) and `preprocess.mean`
///
/// docs/caffe-models.md describes both files.
public enum ModelFolder {
    public static let manifestName = "model.json"
    public static let weightsName = "weights.safetensors"
    /// Weights key of the mean image (`[C, H, W]`, the network input size), when there is one.
    public static let meanKey = "preprocess.mean"

    /// True when `folder` holds a `model.json` (and so is a model folder, not a training run).
    public static func isModelFolder(_ folder: URL) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(manifestName).path)
    }

    /// Writes `model.json` and `weights.safetensors` into `folder` (created when missing).
    public static func write(_ manifest: ModelManifest, weights: [String: Tensor], to folder: URL) throws {
        try manifest.validate(weights: weights)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SafeTensors.write(weights, to: folder.appendingPathComponent(weightsName), metadata: ["format": ModelManifest.formatName])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(manifest) + Data("\n".utf8), to: folder.appendingPathComponent(manifestName))
    }

    /// Reads a model folder's manifest and weights, checking them against each other.
    public static func read(_ folder: URL) throws -> (manifest: ModelManifest, weights: [String: Tensor]) {
        let manifestURL = folder.appendingPathComponent(manifestName)
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(contentsOf: manifestURL))
        } catch let e as SeqError {
            throw e
        } catch let e as DecodingError {
            throw SeqError("not a model manifest: \(Self.describe(e))", file: manifestURL.path)
        } catch {
            throw SeqError("cannot read the model manifest: \(error.localizedDescription)", file: manifestURL.path)
        }
        guard manifest.format == ModelManifest.formatName, manifest.version == 1 else {
            throw SeqError("unsupported model format \(manifest.format) version \(manifest.version) (this seqcurate reads \(ModelManifest.formatName) 1)",
                           file: manifestURL.path)
        }
        let weightsURL = folder.appendingPathComponent(weightsName)
        let weights = try SafeTensors.read(from: weightsURL)
        do {
            try manifest.validate(weights: weights)
        } catch let e as SeqError {
            throw SeqError(e.reason, file: e.file ?? folder.path)
        }
        return (manifest, weights)
    }

    private static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let key, let c): return "missing '\((c.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "bad value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// `model.json`: the graph, how images become its input, and where it came from.
public struct ModelManifest: Codable, Equatable, Sendable {
    public static let formatName = "seqcurate-model"

    /// Always `seqcurate-model`.
    public var format: String = formatName
    /// 1.
    public var version: Int = 1
    public var graph: GraphSpec
    public var preprocess: InputPreprocessing
    /// Free-form provenance (for an import: the source files and their SHA-256).
    public var source: [String: String]

    public init(graph: GraphSpec, preprocess: InputPreprocessing, source: [String: String] = [:]) {
        self.graph = graph
        self.preprocess = preprocess
        self.source = source
    }

    /// Checks the graph against the weights (by building it) and the preprocessing against the input.
    public func validate(weights: [String: Tensor]) throws {
        _ = try GraphNetwork(spec: graph, weights: weights)
        try preprocess.validate(inputShape: graph.inputShape, mean: weights[ModelFolder.meanKey])
    }
}

/// How an image becomes network input; with Caffe's defaults it reproduces SeqFace's
/// `featurer.py` (docs/caffe-models.md):
///
/// 1. the image as 8-bit RGB (or gray for a 1-channel input);
/// 2. resized to `resizeHeight` x `resizeWidth` by bilinear interpolation on pixel centres, in
///    floating point (not rounded back to 8 bits);
/// 3. the central `H` x `W` crop, the network input size, starting at
///    `floor(resize/2 - input/2)` on each axis;
/// 4. channels put in `channelOrder` (`bgr` for Caffe models);
/// 5. `value * rawScale / 255`, less the mean image (`preprocess.mean` in the weights, `[C, H, W]`
///    in network channel order) or `meanValues` per channel;
/// 6. times `inputScale`.
public struct InputPreprocessing: Codable, Equatable, Sendable {
    public var resizeHeight: Int
    public var resizeWidth: Int
    /// `rgb` or `bgr`: the order of the input's channels (the same values as a training run's
    /// `network.channel_order`).
    public var channelOrder: String
    public var rawScale: Float
    /// Whether the weights hold a mean image `preprocess.mean`.
    public var meanImage: Bool
    /// A mean per channel (network channel order), used when there is no mean image.
    public var meanValues: [Float]?
    public var inputScale: Float
    /// How much a face box is enlarged (about its centre, kept inside the image) before the
    /// crop, as `featurer.py`'s `scale`; applies only where a face box is given.
    public var boxScale: Float

    public init(resizeHeight: Int, resizeWidth: Int, channelOrder: String = "bgr", rawScale: Float = 255,
                meanImage: Bool = false, meanValues: [Float]? = nil, inputScale: Float = 1, boxScale: Float = 1.1) {
        self.resizeHeight = resizeHeight
        self.resizeWidth = resizeWidth
        self.channelOrder = channelOrder
        self.rawScale = rawScale
        self.meanImage = meanImage
        self.meanValues = meanValues
        self.inputScale = inputScale
        self.boxScale = boxScale
    }

    enum CodingKeys: String, CodingKey {
        case resizeHeight = "resize_height", resizeWidth = "resize_width", channelOrder = "channel_order"
        case rawScale = "raw_scale", meanImage = "mean_image", meanValues = "mean_values"
        case inputScale = "input_scale", boxScale = "box_scale"
    }

    public func validate(inputShape: [Int], mean: Tensor?) throws {
        guard inputShape.count == 3, inputShape[0] == 1 || inputShape[0] == 3 else {
            throw SeqError("an image model needs a [1 or 3, H, W] input, got \(inputShape)")
        }
        guard channelOrder == "rgb" || channelOrder == "bgr" else {
            throw SeqError("preprocess.channel_order must be \"rgb\" or \"bgr\", got \"\(channelOrder)\"")
        }
        guard resizeHeight >= inputShape[1], resizeWidth >= inputShape[2], resizeHeight <= 4096, resizeWidth <= 4096 else {
            throw SeqError("preprocess resize \(resizeHeight)x\(resizeWidth) must be at least the input \(inputShape[1])x\(inputShape[2]) (and at most 4096)")
        }
        guard rawScale.isFinite, inputScale.isFinite, boxScale.isFinite, boxScale > 0 else {
            throw SeqError("preprocess raw_scale, input_scale and box_scale must be finite")
        }
        if meanImage {
            guard let mean else { throw SeqError("preprocess.mean_image is set but the weights have no '\(ModelFolder.meanKey)'") }
            guard mean.shape == inputShape else {
                throw SeqError("'\(ModelFolder.meanKey)' has shape \(mean.shape), the input is \(inputShape)")
            }
        }
        if let meanValues, meanValues.count != inputShape[0] {
            throw SeqError("preprocess.mean_values has \(meanValues.count) values for \(inputShape[0]) channels")
        }
    }
}

/// Turns images into the input of a model folder's graph (see `InputPreprocessing`).
public struct ModelPreprocessor: Sendable {
    public let settings: InputPreprocessing
    public let channels: Int
    public let height: Int
    public let width: Int
    /// `[C, H, W]` subtracted after the raw scale (zeros when there is no mean).
    let mean: [Float]

    public init(settings: InputPreprocessing, inputShape: [Int], mean: Tensor?) throws {
        try settings.validate(inputShape: inputShape, mean: mean)
        self.settings = settings
        (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        let plane = height * width
        if settings.meanImage, let mean {
            self.mean = mean.data
        } else if let values = settings.meanValues {
            self.mean = values.flatMap { [Float](repeating: $0, count: plane) }
        } else {
            self.mean = [Float](repeating: 0, count: channels * plane)
        }
    }

    /// Floats per sample (`C * H * W`).
    public var sampleCount: Int { channels * height * width }

    /// Writes the `[C, H, W]` input for `image` at `out`; `mirror` flips the crop left to right.
    public func fill(_ image: Image, mirror: Bool = false, into out: UnsafeMutablePointer<Float>) {
        var img = image
        if channels == 1 && img.channels != 1 { img = img.grayscale() }
        let rh = settings.resizeHeight, rw = settings.resizeWidth
        let resized = Self.resize(img, height: rh, width: rw)
        let c = img.channels
        // featurer.py: centre = dims / 2.0, crop from int(centre - crop / 2.0).
        let oy = Int(Double(rh) / 2 - Double(height) / 2), ox = Int(Double(rw) / 2 - Double(width) / 2)
        let plane = height * width
        let bgr = settings.channelOrder == "bgr"
        let raw = settings.rawScale / 255, scale = settings.inputScale
        for k in 0..<channels {
            // Network channel k reads image channel src (a gray image feeds all three).
            let src = c == 1 ? 0 : (bgr ? 2 - k : k)
            for y in 0..<height {
                let row = (oy + y) * rw
                for x in 0..<width {
                    let sx = mirror ? ox + width - 1 - x : ox + x
                    let i = k * plane + y * width + x
                    out[i] = (resized[(row + sx) * c + src] * raw - mean[i]) * scale
                }
            }
        }
    }

    /// Bilinear resize of 8-bit pixels to floats: output pixel centres map to
    /// `(i + 0.5) * in / out - 0.5`, clamped to the image (the border pixel is repeated).
    /// An image already of that size is converted without interpolation.
    static func resize(_ img: Image, height: Int, width: Int) -> [Float] {
        let c = img.channels
        if img.width == width && img.height == height { return img.pixels.map(Float.init) }
        var out = [Float](repeating: 0, count: width * height * c)
        let sy = Double(img.height) / Double(height), sx = Double(img.width) / Double(width)
        let xs: [(Int, Int, Float)] = (0..<width).map { x in
            let f = min(max((Double(x) + 0.5) * sx - 0.5, 0), Double(img.width - 1))
            let x0 = Int(f)
            return (x0, min(x0 + 1, img.width - 1), Float(f - Double(x0)))
        }
        img.pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let f = min(max((Double(y) + 0.5) * sy - 0.5, 0), Double(img.height - 1))
                let y0 = Int(f), y1 = min(y0 + 1, img.height - 1), wy = Float(f - Double(y0))
                for x in 0..<width {
                    let (x0, x1, wx) = xs[x]
                    for ch in 0..<c {
                        let a = Float(p[(y0 * img.width + x0) * c + ch]), b = Float(p[(y0 * img.width + x1) * c + ch])
                        let d = Float(p[(y1 * img.width + x0) * c + ch]), e = Float(p[(y1 * img.width + x1) * c + ch])
                        out[(y * width + x) * c + ch] = (a + (b - a) * wx) * (1 - wy) + (d + (e - d) * wx) * wy
                    }
                }
            }
        }
        return out
    }

    /// The crop `featurer.py` takes around a face box (`util.fix_box` without a ratio): the box
    /// grown by `settings.boxScale` about its centre, no wider than twice the distance from the
    /// centre to the nearer image edge. Integer arithmetic as in the Python 2 original.
    public func faceCrop(x: Int, y: Int, width w: Int, height h: Int, imageWidth: Int, imageHeight: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        func half(_ v: Int) -> Int { Int((Double(v) / 2).rounded(.down)) }
        let cx = x + half(w), cy = y + half(h)
        let mw = 2 * min(cx, imageWidth - cx), mh = 2 * min(cy, imageHeight - cy)
        let nw = max(1, min(Int(Float(w) * settings.boxScale), mw)), nh = max(1, min(Int(Float(h) * settings.boxScale), mh))
        return (cx - half(nw), cy - half(nh), nw, nh)
    }
}
