import Foundation
import SeqDetect
import SeqMedia

/// The 150x150 face chip the dlib embedding takes, cut from MTCNN's five landmarks.
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
}

extension FaceEmbedder {
    /// The descriptor of each face detected in `image` (chips cut by `FaceChip`), in order;
    /// nil for a face whose landmarks give no chip.
    public func embed(faces: [FaceDetection], in image: Image) throws -> [[Float]?] {
        let chips = faces.map { FaceChip.extract(from: image, face: $0) }
        let made = try embed(chips.compactMap { $0 })
        var next = made.makeIterator()
        return chips.map { $0 == nil ? nil : next.next() }
    }
}
