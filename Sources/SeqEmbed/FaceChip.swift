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

    /// A start box for dlib's shape predictor on dlib's detector grid: the predictor from the
    /// MTCNN box made dlib-like (`predictorBox(for:)`), the box dlib's detector would have drawn
    /// around those landmarks (`predictorBox(forLandmarks:)`), and the mean of these two
    /// estimates snapped onto the boxes dlib's detector can report (`DlibDetectorGrid`). Where the
    /// estimate is within half a grid step of dlib's own box this is dlib's box exactly (for most
    /// sample faces: tools/chip_template.py grid). Not yet what `extract(from:face:predictor:)` starts from: on the 32
    /// sample faces it raises the largest distance to dlib's pipeline from 0.0876 to 0.0883
    /// while halving the mean (docs/embedding.md, "Snapping to dlib's detector grid").
    public static func predictorStart(in image: Image, face: FaceDetection, predictor: ShapePredictor) -> DlibDetectorGrid.Box {
        let first = predictorBox(for: face.box)
        let rough = predictor.landmarks(in: image, left: first.left, top: first.top, right: first.right, bottom: first.bottom)
        let implied = predictorBox(forLandmarks: rough)
        // Two estimates with partly independent errors: their mean lands within half a step of
        // dlib's box more often than either (tools/chip_template.py grid).
        return DlibDetectorGrid.nearest(
            left: (first.left + implied.left) / 2, top: (first.top + implied.top) / 2,
            right: (first.right + implied.right) / 2, bottom: (first.bottom + implied.bottom) / 2)
    }

    /// dlib's chip of a detected face: dlib's 5-point shape predictor started from the box dlib's
    /// detector would most likely have drawn (`predictorStart`: the MTCNN box and the landmarks
    /// it gives, snapped onto dlib's detector grid), then dlib's chip geometry for those
    /// landmarks (`chipToImage(dlibLandmarks:)`) and a bilinear warp with black outside the
    /// image. Closer to dlib's full pipeline than the MTCNN template (docs/embedding.md).
    public static func extract(from image: Image, face: FaceDetection, predictor: ShapePredictor) -> Image? {
        precondition(image.channels == 3, "face chips are cut from RGB images")
        // The predictor depends on where it starts: from dlib's own box where the snap hits it.
        let b = predictorStart(in: image, face: face, predictor: predictor)
        let box = (left: Float(b.left), top: Float(b.top), right: Float(b.right), bottom: Float(b.bottom))
        // dlib keeps its landmarks as whole pixels and cuts its chips from those.
        let landmarks = predictor.landmarks(in: image, left: box.left, top: box.top, right: box.right, bottom: box.bottom)
            .map { Point2(($0.x + 0.5).rounded(.down), ($0.y + 0.5).rounded(.down)) }
        guard let m = chipToImage(dlibLandmarks: landmarks) else { return nil }
        return ImageWarper.warp(image, width: size, height: size, outputToSource: m, border: .constant(0))
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
