import Dispatch
import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// The MTCNN face detector (Zhang et al. 2016) with the published weights: an image pyramid
/// scanned by P-Net, candidates refined by R-Net at 24x24 and by O-Net at 48x48, which also
/// places five landmarks.
///
/// The cascade follows facenet-pytorch 2.6.0's MTCNN step for step (area-averaged pyramid and
/// crops, its NMS variants and box arithmetic), so detections agree with it; see docs/mtcnn.md.
///
/// Thread-safe: `detect` may be called from several threads at once. Each call borrows a set of
/// networks from an internal pool (built on demand, sharing the weights).
public final class MTCNN: @unchecked Sendable {
    public let options: MTCNNOptions
    private let weights: [String: Tensor]
    private let lock = NSLock()
    private var idle: [MTCNNNetworks] = []

    /// Where `tools/setup.sh` puts the converted weights, relative to the repository root.
    public static let defaultWeightsPath = "assets/mtcnn.safetensors"

    /// Loads the networks from a safetensors file written by tools/convert_mtcnn.py.
    /// Throws a `SeqError` that says how to fetch the weights when the file is missing or corrupt.
    public init(weights url: URL, options: MTCNNOptions = MTCNNOptions()) throws {
        try options.validate()
        self.options = options
        let hint = "run tools/setup.sh (or python3 tools/convert_mtcnn.py --cache DIR --out \(url.path)) to fetch and convert them"
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("MTCNN weights not found; \(hint)", file: url.path)
        }
        do {
            weights = try SafeTensors.read(from: url)
            idle = [try MTCNNNetworks(weights: weights)]
        } catch let error as SeqError {
            throw SeqError("MTCNN weights unusable (\(error.reason)); \(hint)", file: url.path)
        }
    }

    /// Runs `body` with a network set no other thread is using.
    func withNetworks<T>(_ body: (MTCNNNetworks) -> T) -> T {
        lock.lock()
        let nets = idle.popLast()
        lock.unlock()
        // The weights were validated by init, so building another set cannot fail.
        let networks = nets ?? (try! MTCNNNetworks(weights: weights))
        defer {
            lock.lock()
            idle.append(networks)
            lock.unlock()
        }
        return body(networks)
    }

    /// The faces in `image`, highest score first, in the image's pixel coordinates.
    /// Images smaller than the minimum face size give no faces.
    public func detect(_ image: Image) -> [FaceDetection] {
        detect(image, minFaceSize: options.minFaceSize)
    }

    /// The faces in `image` of at least `minFaceSize` pixels (instead of `options.minFaceSize`):
    /// the pyramid starts at a smaller scale, so a larger minimum costs less (twice the size,
    /// about a quarter of the P-Net work). Used by ingest's periodic key frames.
    public func detect(_ image: Image, minFaceSize: Float) -> [FaceDetection] {
        detect(image, minFaceSize: minFaceSize, excluding: [])
    }

    /// The faces in `image` of at least `minFaceSize` pixels other than the `known` ones: a
    /// candidate overlapping a known box by more than `overlap` (IoU) is dropped after P-Net and
    /// again after R-Net, so R-Net and O-Net, which cost the same for every candidate whatever
    /// the pyramid, run only on the others. (At 720p a frame gives about a hundred P-Net
    /// candidates, most of them around the faces already there.) Ingest's light key frames use
    /// it to look for new faces beside those they follow.
    ///
    /// `pnetThreshold` (default: the options') replaces P-Net's threshold for this call: a caller
    /// that looks for large or already known faces can ask for fewer, surer proposals.
    public func detect(_ image: Image, minFaceSize: Float, excluding known: [FaceBox], overlap: Float = 0.3,
                       pnetThreshold: Float? = nil) -> [FaceDetection] {
        guard image.width > 0, image.height > 0 else { return [] }
        var work = image
        var scaleX: Float = 1, scaleY: Float = 1
        if let maxSide = options.maxSide, max(image.width, image.height) > maxSide {
            let s = Double(maxSide) / Double(max(image.width, image.height))
            let w = max(1, Int((Double(image.width) * s).rounded()))
            let h = max(1, Int((Double(image.height) * s).rounded()))
            work = AreaResampler.resized(image, width: w, height: h)
            scaleX = Float(image.width) / Float(w)
            scaleY = Float(image.height) / Float(h)
        }
        let excluded = known.map { FaceBox(x1: $0.x1 / scaleX, y1: $0.y1 / scaleY, x2: $0.x2 / scaleX, y2: $0.y2 / scaleY) }
        var faces = cascade(work, minFaceSize: minFaceSize, excluding: excluded, overlap: overlap,
                            pnetThreshold: pnetThreshold ?? options.thresholds.pnet)
        if scaleX != 1 || scaleY != 1 {
            faces = faces.map { $0.scaled(x: scaleX, y: scaleY) }
        }
        return faces
    }

    // MARK: - Cascade

    private func cascade(_ frame: Image, minFaceSize: Float, excluding known: [FaceBox] = [], overlap: Float = 0.3,
                         pnetThreshold: Float) -> [FaceDetection] {
        // Every pyramid level and every R-/O-Net crop averages rows of this frame: sum its
        // columns once, so each takes its vertical windows by subtraction.
        let image = RGBRegion(frame).withColumnSums()
        func unknown(_ c: Candidate) -> Bool {
            let b = FaceBox(x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2)
            return !known.contains { $0.iou(b) > overlap }
        }
        var boxes = proposals(image, minFaceSize: minFaceSize, threshold: pnetThreshold)
        if !known.isEmpty { boxes = boxes.filter(unknown) }
        if boxes.isEmpty { return [] }
        boxes = refine(image, boxes)
        if !known.isEmpty { boxes = boxes.filter(unknown) }
        if boxes.isEmpty { return [] }
        let faces = finish(image, boxes)
        return known.isEmpty ? faces : faces.filter { f in !known.contains { $0.iou(f.box) > overlap } }
    }

    /// The pyramid scales: the first maps `minFaceSize` onto P-Net's 12-pixel window, each next
    /// one is `scaleFactor` smaller, down to a shorter side of 12 pixels.
    func pyramidScales(width: Int, height: Int, minFaceSize: Float? = nil) -> [Double] {
        let m = 12.0 / Double(minFaceSize ?? options.minFaceSize)
        var side = Double(min(width, height)) * m
        var scale = m
        var scales: [Double] = []
        let factor = options.scaleFactor
        while side >= 12 {
            scales.append(scale)
            scale *= factor
            side *= factor
        }
        return scales
    }

    /// Stage 1: P-Net over every pyramid level, NMS 0.5 per level, then 0.7 over all, box
    /// regression and squaring.
    private func proposals(_ image: RGBRegion, minFaceSize: Float, threshold: Float) -> [Candidate] {
        let scales = pyramidScales(width: image.width, height: image.height, minFaceSize: minFaceSize)
        if scales.isEmpty { return [] }
        var perLevel = [[Candidate]](repeating: [], count: scales.count)
        let runLevel = { (i: Int) -> [Candidate] in
            self.withNetworks { self.scanLevel(image, scale: scales[i], threshold: threshold, networks: $0) }
        }
        if options.parallelPyramid && scales.count > 1 {
            // Big levels first so the work splits evenly; results are stored per level.
            perLevel.withUnsafeMutableBufferPointer { out in
                let slots = out.baseAddress!
                DispatchQueue.concurrentPerform(iterations: scales.count) { i in
                    (slots + i).pointee = runLevel(i)
                }
            }
        } else {
            for i in scales.indices { perLevel[i] = runLevel(i) }
        }
        let all = perLevel.flatMap { $0 }
        let kept = nonMaximumSuppression(all, threshold: 0.7, measure: .union)
        return kept.map { i -> Candidate in
            var b = all[i]
            let w = b.x2 - b.x1, h = b.y2 - b.y1
            b = Candidate(x1: b.x1 + b.reg.0 * w, y1: b.y1 + b.reg.1 * h,
                          x2: b.x2 + b.reg.2 * w, y2: b.y2 + b.reg.3 * h, score: b.score)
            return squared(b)
        }
    }

    /// P-Net on one pyramid level: the windows scoring at least the P-Net threshold, in
    /// image coordinates, after NMS 0.5 within the level.
    private func scanLevel(_ image: RGBRegion, scale: Double, threshold: Float, networks: MTCNNNetworks) -> [Candidate] {
        let h = Int(Double(image.height) * scale + 1), w = Int(Double(image.width) * scale + 1)
        guard h >= 12, w >= 12 else { return [] }
        // Every value is written by the resampling.
        let input = Tensor(shape: [1, 3, h, w]) { p in
            AreaResampler.resample(image, x0: 0, y0: 0, width: image.width, height: image.height,
                                   outWidth: w, outHeight: h, gain: 0.0078125, offset: -127.5 * 0.0078125,
                                   into: p.baseAddress!)
        }
        let out = networks.pnet(input)
        let plane = out.height * out.width
        let s = Float(scale)
        var found: [Candidate] = []
        for y in 0..<out.height {
            for x in 0..<out.width {
                let i = y * out.width + x
                let p = out.probability[i]
                guard p >= threshold else { continue }
                // A P-Net output cell sees a 12x12 window at stride 2 of the scaled image.
                let fx = Float(2 * x), fy = Float(2 * y)
                found.append(Candidate(
                    x1: ((fx + 1) / s).rounded(.down), y1: ((fy + 1) / s).rounded(.down),
                    x2: ((fx + 12) / s).rounded(.down), y2: ((fy + 12) / s).rounded(.down),
                    score: p,
                    reg: (out.offsets[i], out.offsets[plane + i], out.offsets[2 * plane + i], out.offsets[3 * plane + i])))
            }
        }
        return nonMaximumSuppression(found, threshold: 0.5, measure: .union).map { found[$0] }
    }

    /// Stage 2: R-Net on 24x24 crops, threshold, NMS 0.7, regression, squaring.
    private func refine(_ image: RGBRegion, _ boxes: [Candidate]) -> [Candidate] {
        let threshold = options.thresholds.rnet
        let passed = inChunks(boxes.count) { range -> [Candidate] in
            let slice = Array(boxes[range])
            let (input, valid) = self.crops(image, slice, side: 24)
            let out = self.withNetworks { $0.rnet(input) }
            var kept: [Candidate] = []
            for (k, i) in valid.enumerated() where out.probability[k] > threshold {
                var b = slice[i]
                b.score = out.probability[k]
                b.reg = (out.offsets[4 * k], out.offsets[4 * k + 1], out.offsets[4 * k + 2], out.offsets[4 * k + 3])
                kept.append(b)
            }
            return kept
        }.flatMap { $0 }
        return nonMaximumSuppression(passed, threshold: 0.7, measure: .union).map { squared(regressed(passed[$0])) }
    }

    /// Stage 3: O-Net on 48x48 crops, threshold, landmarks, regression, NMS 0.7 over the
    /// smaller area.
    private func finish(_ image: RGBRegion, _ boxes: [Candidate]) -> [FaceDetection] {
        let threshold = options.thresholds.onet
        let passed = inChunks(boxes.count) { range -> [Candidate] in
            let slice = Array(boxes[range])
            let (input, valid) = self.crops(image, slice, side: 48)
            let out = self.withNetworks { $0.onet(input) }
            var kept: [Candidate] = []
            for (k, i) in valid.enumerated() where out.probability[k] > threshold {
                var b = slice[i]
                b.score = out.probability[k]
                b.reg = (out.offsets[4 * k], out.offsets[4 * k + 1], out.offsets[4 * k + 2], out.offsets[4 * k + 3])
                // Landmarks are relative to the box O-Net saw, pixel-inclusive, one-based.
                let w = b.x2 - b.x1 + 1, h = b.y2 - b.y1 + 1
                b.landmarks = (0..<5).map { j in
                    Point2(w * out.landmarks[10 * k + j] + b.x1 - 1, h * out.landmarks[10 * k + 5 + j] + b.y1 - 1)
                }
                kept.append(self.regressed(b))
            }
            return kept
        }.flatMap { $0 }
        return nonMaximumSuppression(passed, threshold: 0.7, measure: .minimum).map { i in
            let b = passed[i]
            return FaceDetection(box: FaceBox(x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2), score: b.score, landmarks: b.landmarks)
        }
    }

    /// Runs `body` over `0..<count` split into consecutive ranges, concurrently when
    /// `parallelPyramid` is on and there is enough work, and returns the results in range order.
    private func inChunks<T>(_ count: Int, _ body: @escaping (Range<Int>) -> T) -> [T] {
        let chunks = options.parallelPyramid ? min(ProcessInfo.processInfo.activeProcessorCount, count / 16) : 1
        if chunks <= 1 { return [body(0..<count)] }
        let ranges = (0..<chunks).map { c in (c * count / chunks)..<((c + 1) * count / chunks) }
        var results = [T?](repeating: nil, count: chunks)
        results.withUnsafeMutableBufferPointer { out in
            let slots = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: chunks) { c in (slots + c).pointee = body(ranges[c]) }
        }
        return results.map { $0! }
    }

    /// The boxes cut from the image (clipped to it) and resampled to `side` x `side`, as one
    /// normalised batch; `valid` lists which boxes had a non-empty crop, in batch order.
    func crops(_ image: RGBRegion, _ boxes: [Candidate], side: Int) -> (Tensor, valid: [Int]) {
        var regions: [(x0: Int, y0: Int, x1: Int, y1: Int)] = []
        var valid: [Int] = []
        for (i, b) in boxes.enumerated() {
            // One-based inclusive corners truncated toward zero, clipped to the image, as the reference.
            let x0 = max(Int(b.x1), 1) - 1, y0 = max(Int(b.y1), 1) - 1
            let x1 = min(Int(b.x2), image.width), y1 = min(Int(b.y2), image.height)
            guard x1 > x0, y1 > y0 else { continue }
            regions.append((x0, y0, x1, y1))
            valid.append(i)
        }
        let size = 3 * side * side
        var input = Tensor(zeros: [regions.count, 3, side, side])
        input.data.withUnsafeMutableBufferPointer { p in
            for (k, r) in regions.enumerated() {
                AreaResampler.resample(image, x0: r.x0, y0: r.y0, width: r.x1 - r.x0, height: r.y1 - r.y0,
                                       outWidth: side, outHeight: side, gain: 0.0078125, offset: -127.5 * 0.0078125,
                                       into: p.baseAddress! + k * size)
            }
        }
        return (input, valid)
    }

    /// The box moved by its regression offsets (in units of the pixel-inclusive size).
    func regressed(_ b: Candidate) -> Candidate {
        var r = b
        let w = b.x2 - b.x1 + 1, h = b.y2 - b.y1 + 1
        r.x1 = b.x1 + b.reg.0 * w
        r.y1 = b.y1 + b.reg.1 * h
        r.x2 = b.x2 + b.reg.2 * w
        r.y2 = b.y2 + b.reg.3 * h
        return r
    }

    /// The square with the box's centre and its longer side.
    func squared(_ b: Candidate) -> Candidate {
        var r = b
        let w = b.x2 - b.x1, h = b.y2 - b.y1, l = max(w, h)
        r.x1 = b.x1 + w * 0.5 - l * 0.5
        r.y1 = b.y1 + h * 0.5 - l * 0.5
        r.x2 = r.x1 + l
        r.y2 = r.y1 + l
        return r
    }
}
