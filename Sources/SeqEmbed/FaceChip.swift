import Foundation
import SeqDetect
import SeqMedia

/// The 150x150 face chip the dlib embedding takes: from dlib's own five landmarks
/// (`extract(from:face:predictor:)`, what `FaceEmbedder.chip(of:in:)` uses when the shape
/// predictor is loaded), or from MTCNN's five landmarks and `template` (the fallback, below).
///
/// dlib cuts its chips from its own 5-point shape predictor (`get_face_chip`, size 150,
/// padding 0.25). MTCNN's points are different points (eye centres, nose tip, mouth corners),
/// so `template` holds where MTCNN's points land, on average, in dlib's own chips of the same
/// faces (measured by tools/chip_template.py on the sample media; docs/embedding.md). A chip is
/// the least-squares similarity (Umeyama) taking a face's landmarks onto that template, then a
/// bilinear warp with black outside the image, as dlib's chips have.
public enum FaceChip {
    /// Side of the chip in pixels.
    public static let size = FaceEmbedder.chipSize

    /// MTCNN's left eye, right eye, nose, left and right mouth corner in dlib's 150x150 chip
    /// (padding 0.25): their mean over 32 real faces (tools/chip_template.py: messi5.jpg,
    /// astronaut.png, carphone frames), made symmetric about the chip's centre column as dlib's
    /// own template is.
    public static let template: [Point2] = [
        Point2(46.49, 47.96), Point2(102.51, 47.96), Point2(74.50, 73.48),
        Point2(52.03, 108.97), Point2(96.97, 108.97),
    ]

    /// The map from chip pixels to image pixels for a face with these five landmarks (left eye,
    /// right eye, nose, left mouth corner, right mouth corner), or nil when they coincide.
    public static func chipToImage(landmarks: [Point2]) -> SeqDetect.AffineTransform? {
        precondition(landmarks.count == 5, "a face chip needs MTCNN's five landmarks")
        return SimilarityEstimator.estimate(from: landmarks, to: template)?.inverted
    }

    /// The 150x150 RGB chip of the face with these five landmarks in `image`, or nil when the
    /// landmarks give no geometry. `image` must have 3 channels.
    public static func extract(from image: Image, landmarks: [Point2]) -> Image? {
        precondition(image.channels == 3, "face chips are cut from RGB images")
        guard let m = chipToImage(landmarks: landmarks) else { return nil }
        return ImageWarper.warp(image, width: size, height: size, outputToSource: m, border: .constant(0))
    }

    /// The chip of a detected face (its landmarks).
    public static func extract(from image: Image, face: FaceDetection) -> Image? {
        extract(from: image, landmarks: face.landmarks)
    }

    // MARK: dlib's own chip, from dlib's own landmarks

    /// dlib's 5-point mean face (`get_face_chip_details` for 5-point shapes) in the unit square:
    /// outer and inner corner of the eye on the image's right, outer and inner corner of the
    /// other eye, base of the nose. tools/chip_template.py checks the chips made from it against
    /// dlib's.
    public static let dlibMeanFace: [Point2] = [
        Point2(0.8595674595992, 0.2134981538014), Point2(0.6460604764104, 0.2289674387677),
        Point2(0.1205750620789, 0.2137274526848), Point2(0.3340850613712, 0.2290642403242),
        Point2(0.4901123135679, 0.6277975316475),
    ]
    /// The space around dlib's mean face in its chips, as a fraction of the face (dlib's 0.25).
    public static let dlibPadding: Float = 0.25

    /// The box dlib's shape predictor starts from, made from an MTCNN box: dlib's HOG boxes of the
    /// same faces share the centre and are 1.057 times as wide and 0.849 times as tall (means
    /// over the 32 real faces of tools/chip_template.py, `diagnose`).
    public static func predictorBox(for box: FaceBox) -> (left: Float, top: Float, right: Float, bottom: Float) {
        let cx = (box.x1 + box.x2) / 2, cy = (box.y1 + box.y2) / 2
        let w = 1.057 * box.width, h = 0.849 * box.height
        return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    }

    /// The box dlib's HOG detector would have drawn around a face with these five dlib landmarks:
    /// with c their centroid and r their mean distance to it, the box's centre is c + (0.110 r,
    /// 0.489 r) and its sides are 4.512 r wide and 4.495 r tall (means over the 32 real faces of
    /// tools/chip_template.py). A second run of the predictor from this box starts where dlib's
    /// own run starts, whatever the MTCNN box's proportions.
    public static func predictorBox(forLandmarks p: [Point2]) -> (left: Float, top: Float, right: Float, bottom: Float) {
        let n = Float(p.count)
        let cx = p.reduce(0) { $0 + $1.x } / n, cy = p.reduce(0) { $0 + $1.y } / n
        let r = p.reduce(0) { $0 + (($1.x - cx) * ($1.x - cx) + ($1.y - cy) * ($1.y - cy)).squareRoot() } / n
        let x = cx + 0.110 * r, y = cy + 0.489 * r, w = 4.512 * r, h = 4.495 * r
        return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    }

    /// The map from chip pixels to image pixels for dlib's five landmarks, as dlib's
    /// `get_face_chip_details` and `extract_image_chip` make it: the least-squares similarity
    /// from the padded mean face (in chip pixels) onto the landmarks gives the chip's angle,
    /// centre (the image of the chip's centre point, 75, 75) and scale s; dlib's chip rectangle is
    /// then 150 s - 1 pixels wide and its corners go to chip pixels 0 and 149.
    public static func chipToImage(dlibLandmarks: [Point2]) -> SeqDetect.AffineTransform? {
        precondition(dlibLandmarks.count == 5, "dlib's chip needs the 5-point predictor's landmarks")
        let n = Float(size)
        let chip = dlibMeanFace.map { Point2((dlibPadding + $0.x) / (2 * dlibPadding + 1) * n, (dlibPadding + $0.y) / (2 * dlibPadding + 1) * n) }
        guard let fit = SimilarityEstimator.estimate(from: chip, to: dlibLandmarks) else { return nil }
        let scale = (fit.a * fit.a + fit.c * fit.c).squareRoot()
        guard scale > 0 else { return nil }
        let centre = fit.apply(Point2(n / 2, n / 2))
        let k = (n * scale - 1) / ((n - 1) * scale)
        let a = fit.a * k, b = fit.b * k, c = fit.c * k, d = fit.d * k
        let h = (n - 1) / 2
        return SeqDetect.AffineTransform(a: a, b: b, c: c, d: d, tx: centre.x - a * h - b * h, ty: centre.y - c * h - d * h)
    }

    /// The start box for dlib's shape predictor: the box dlib's frontal detector would report for
    /// this face. Two estimates of it, the MTCNN box made dlib-like (`predictorBox(for:)`) and
    /// the box dlib's detector would have drawn around the landmarks that gives
    /// (`predictorBox(forLandmarks:)`), are averaged (their errors are partly independent); with
    /// dlib's detector filters (`DlibFrontalDetector`) the best-scoring detector box around that
    /// estimate is taken, which is dlib's own box when it lies within a level and two cells
    /// (docs/embedding.md, "dlib's own box"). Without them, or where the detector scans none of
    /// those boxes, the estimate is snapped onto the nearest box dlib can report
    /// (`DlibDetectorGrid.nearest`), which hits dlib's box for about two faces in three.
    public static func predictorStart(in image: Image, face: FaceDetection, predictor: ShapePredictor,
                                      detector: DlibFrontalDetector? = nil) -> DlibDetectorGrid.Box {
        let first = predictorBox(for: face.box)
        let rough = predictor.landmarks(in: image, left: first.left, top: first.top, right: first.right, bottom: first.bottom)
        let implied = predictorBox(forLandmarks: rough)
        let estimate = (left: (first.left + implied.left) / 2, top: (first.top + implied.top) / 2,
                        right: (first.right + implied.right) / 2, bottom: (first.bottom + implied.bottom) / 2)
        if let detector, let best = detector.best(near: estimate, in: image) { return best.box }
        return DlibDetectorGrid.nearest(left: estimate.left, top: estimate.top, right: estimate.right, bottom: estimate.bottom)
    }

    /// dlib's chip of a detected face: dlib's 5-point shape predictor started from the box dlib's
    /// detector would draw (`predictorStart`), then dlib's chip geometry for those landmarks
    /// (`chipToImage(dlibLandmarks:)`) and a bilinear warp with black outside the image. Closer
    /// to dlib's full pipeline than the MTCNN template (docs/embedding.md).
    public static func extract(from image: Image, face: FaceDetection, predictor: ShapePredictor,
                               detector: DlibFrontalDetector? = nil) -> Image? {
        precondition(image.channels == 3, "face chips are cut from RGB images")
        // The predictor depends on where it starts: from dlib's own box.
        let b = predictorStart(in: image, face: face, predictor: predictor, detector: detector)
        let box = (left: Float(b.left), top: Float(b.top), right: Float(b.right), bottom: Float(b.bottom))
        // dlib keeps its landmarks as whole pixels and cuts its chips from those.
        let landmarks = predictor.landmarks(in: image, left: box.left, top: box.top, right: box.right, bottom: box.bottom)
            .map { Point2(($0.x + 0.5).rounded(.down), ($0.y + 0.5).rounded(.down)) }
        guard let m = chipToImage(dlibLandmarks: landmarks) else { return nil }
        return dlibWarp(image, chipToImage: m)
    }

    /// dlib's `extract_image_chip` of a 150x150 chip for the map `m` (chip pixels to image pixels),
    /// value for value. Where a chip pixel spans more than about two image pixels, dlib first
    /// halves (its `pyramid_down<2>`, a 5x5 binomial filter in integers) a crop around the chip
    /// until it no longer does, and samples that; then its bilinear `transform_image`: positions
    /// and weights in double, values truncated, black where a sample's 2x2 neighbourhood leaves
    /// the image.
    static func dlibWarp(_ image: Image, chipToImage m: SeqDetect.AffineTransform) -> Image {
        let n = size
        let a = Double(m.a), b = Double(m.b), c = Double(m.c), d = Double(m.d), tx = Double(m.tx), ty = Double(m.ty)
        // dlib's chip rectangle spans 149 sigma + 1 pixels (sigma: image pixels per chip pixel);
        // each halving maps p to p / 2 - (1.25, 0.75).
        let sigma = (a * a + c * c).squareRoot()
        // A map that is not finite, or that spreads the chip over more than any image, gives a
        // black chip (as dlib's would be: every sample outside) rather than a trap or an endless
        // halving.
        guard [a, b, c, d, tx, ty].allSatisfy(\.isFinite), sigma < 1e6 else { return Image(width: n, height: n, channels: 3) }
        var span = 149 * sigma  // right - left
        var depth = 0, grow = 2.0
        span = span / 2
        while (span + 1) * (span + 1) > Double(n * n) {
            span /= 2
            depth += 1
            grow = grow * 2 + 2
        }
        guard depth > 0 else {
            return dlibTransform(image, size: n, a: a, b: b, c: c, d: d, tx: tx, ty: ty)
        }
        // The crop: the chip's rotated rectangle grown by `grow`, inside the image, rounded.
        let corners = [(0.0, 0.0), (149.0, 0.0), (0.0, 149.0), (149.0, 149.0)].map { (a * $0.0 + b * $0.1 + tx, c * $0.0 + d * $0.1 + ty) }
        let left = max(corners.map(\.0).min()! - grow, 0), right = min(corners.map(\.0).max()! + grow, Double(image.width - 1))
        let top = max(corners.map(\.1).min()! - grow, 0), bottom = min(corners.map(\.1).max()! + grow, Double(image.height - 1))
        let x0 = Int(left.rounded(.toNearestOrAwayFromZero)), x1 = Int(right.rounded(.toNearestOrAwayFromZero))
        let y0 = Int(top.rounded(.toNearestOrAwayFromZero)), y1 = Int(bottom.rounded(.toNearestOrAwayFromZero))
        guard x1 >= x0, y1 >= y0 else { return Image(width: n, height: n, channels: 3) }
        var level = Image(width: x1 - x0 + 1, height: y1 - y0 + 1, channels: 3)
        for y in y0...y1 {
            let from = (y * image.width + x0) * 3, to = (y - y0) * level.width * 3
            level.pixels.replaceSubrange(to..<(to + level.width * 3), with: image.pixels[from..<(from + level.width * 3)])
        }
        for _ in 0..<depth { level = halveDlib(level) }
        // The map into the last level: translate to the crop, then halve `depth` times.
        var (la, lb, lc, ld, ltx, lty) = (a, b, c, d, tx - Double(x0), ty - Double(y0))
        for _ in 0..<depth {
            (la, lb, lc, ld) = (la / 2, lb / 2, lc / 2, ld / 2)
            (ltx, lty) = (ltx / 2 - 1.25, lty / 2 - 0.75)
        }
        return dlibTransform(level, size: n, a: la, b: lb, c: lc, d: ld, tx: ltx, ty: lty)
    }

    /// dlib's bilinear `transform_image` of an RGB image into a size x size chip: output pixel
    /// (col, row) samples the image at (a col + b row + tx, c col + d row + ty).
    static func dlibTransform(_ image: Image, size n: Int, a: Double, b: Double, c: Double, d: Double, tx: Double, ty: Double) -> Image {
        let w = image.width, h = image.height
        var out = [UInt8](repeating: 0, count: n * n * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for r in 0..<n {
                for col in 0..<n {
                    let x = a * Double(col) + b * Double(r) + tx, y = c * Double(col) + d * Double(r) + ty
                    // Inside with its 2x2 neighbourhood, checked before converting to integers.
                    guard x >= 0, y >= 0, x < Double(w - 1), y < Double(h - 1) else { continue }
                    let left = Int(x.rounded(.down)), top = Int(y.rounded(.down))
                    let lr = x - Double(left), tb = y - Double(top)
                    let i00 = (top * w + left) * 3, i10 = i00 + w * 3
                    for ch in 0..<3 {
                        let v = (1 - tb) * ((1 - lr) * Double(src[i00 + ch]) + lr * Double(src[i00 + 3 + ch]))
                            + tb * ((1 - lr) * Double(src[i10 + ch]) + lr * Double(src[i10 + 3 + ch]))
                        out[(r * n + col) * 3 + ch] = UInt8(truncatingIfNeeded: Int(v))
                    }
                }
            }
        }
        return Image(width: n, height: n, channels: 3, pixels: out)
    }

    /// dlib's `pyramid_down<2>` of an RGB image: a 1-4-6-4-1 filter along rows, then columns,
    /// in integers, every other pixel kept, divided by 256 (truncated); (n - 3) / 2 pixels a side.
    static func halveDlib(_ image: Image) -> Image {
        let w = image.width, h = image.height
        guard w > 8, h > 8 else { return Image(width: 0, height: 0, channels: 3) }
        let ow = (w - 3) / 2, oh = (h - 3) / 2
        let rowLength = ow * 3
        var rows = [Int32](repeating: 0, count: h * rowLength)
        var out = [UInt8](repeating: 0, count: oh * ow * 3)
        image.pixels.withUnsafeBufferPointer { px in
        rows.withUnsafeMutableBufferPointer { rb in
        out.withUnsafeMutableBufferPointer { ob in
            let p = px.baseAddress!, t = rb.baseAddress!, o = ob.baseAddress!
            // Along rows: every other column, 1-4-6-4-1 over five neighbours.
            for r in 0..<h {
                let src = p + r * w * 3, dst = t + r * rowLength
                for i in 0..<rowLength {
                    let c = i / 3, ch = i - 3 * c
                    let s = src + 6 * c + ch
                    dst[i] = Int32(s[0]) + 4 * Int32(s[3]) + 6 * Int32(s[6]) + 4 * Int32(s[9]) + Int32(s[12])
                }
            }
            // Along columns: rows 2, 4, ... (every other), the same filter, over 256.
            for dr in 0..<oh {
                let c0 = t + (2 * dr) * rowLength
                let dst = o + dr * rowLength
                for i in 0..<rowLength {
                    let v = c0[i] + 4 * c0[i + rowLength] + 6 * c0[i + 2 * rowLength] + 4 * c0[i + 3 * rowLength] + c0[i + 4 * rowLength]
                    dst[i] = UInt8(truncatingIfNeeded: v / 256)
                }
            }
        }}}
        return Image(width: ow, height: oh, channels: 3, pixels: out)
    }
}

extension FaceEmbedder {
    /// The descriptor of each face detected in `image` (chips cut by `FaceChip`), in order;
    /// nil for a face whose landmarks give no chip.
    public func embed(faces: [FaceDetection], in image: Image) throws -> [[Float]?] {
        let chips = faces.map { chip(of: $0, in: image) }
        let made = try embed(chips.compactMap { $0 })
        var next = made.makeIterator()
        return chips.map { $0 == nil ? nil : next.next() }
    }
}
