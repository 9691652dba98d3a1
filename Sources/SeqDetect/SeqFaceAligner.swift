import Foundation
import SeqMedia

/// The SeqFace crop (docs/seqface-method.md, "Data"): rotate about the eye centre until the
/// eyes are level; with `d` the vertical distance from the eye centre to the mouth centre
/// plus one, take the square of side `s = 3d` whose left edge is `s/2` left of the eye centre
/// and whose top edge is `s/3` above it, clipped to the image, and resize it to
/// `size` x `size` (144 by default: the published network crops 128 from it).
///
/// Unclipped, the eye centre lands at (size/2, size/3) and the eyes on one row. Clipping (the
/// published behaviour) only matters for faces at the image border; there the clipped
/// rectangle is stretched to the output square. With `clipToImage` off the square is kept and
/// the outside filled according to `border`.
public struct SeqFaceAligner: FaceAligner {
    public var size: Int
    public var clipToImage: Bool
    public var border: BorderMode

    public init(size: Int = 144, clipToImage: Bool = true, border: BorderMode = .replicate) {
        precondition(size > 0, "output size must be positive")
        self.size = size
        self.clipToImage = clipToImage
        self.border = border
    }

    public var outputWidth: Int { size }
    public var outputHeight: Int { size }

    /// The crop rectangle in the rotated frame (x, y, width, height), the eye centre and the
    /// rotation angle, or nil for unusable landmarks.
    public func cropGeometry(_ face: FaceDetection, imageWidth: Int, imageHeight: Int)
        -> (left: Float, top: Float, width: Float, height: Float, eyeCentre: Point2, angle: Float)? {
        let le = face.leftEye, re = face.rightEye
        let eye = Point2((le.x + re.x) / 2, (le.y + re.y) / 2)
        let mouth = Point2((face.mouthLeft.x + face.mouthRight.x) / 2, (face.mouthLeft.y + face.mouthRight.y) / 2)
        let angle = atan2f(re.y - le.y, re.x - le.x)
        guard angle.isFinite else { return nil }
        // The mouth centre in the frame rotated by -angle about the eye centre.
        let dx = mouth.x - eye.x, dy = mouth.y - eye.y
        let mouthDown = -sinf(angle) * dx + cosf(angle) * dy
        let d = mouthDown + 1
        guard d.isFinite, d >= 2 else { return nil }
        let s = 3 * d
        var left = eye.x - s / 2, top = eye.y - s / 3
        var right = left + s, bottom = top + s
        if clipToImage {
            left = max(left, 0); top = max(top, 0)
            right = min(right, Float(imageWidth)); bottom = min(bottom, Float(imageHeight))
            guard right - left >= 1, bottom - top >= 1 else { return nil }
        }
        return (left, top, right - left, bottom - top, eye, angle)
    }

    public func outputToSource(_ face: FaceDetection, imageWidth: Int, imageHeight: Int) -> AffineTransform? {
        guard let g = cropGeometry(face, imageWidth: imageWidth, imageHeight: imageHeight) else { return nil }
        // Output pixel -> rotated frame: scale and offset into the crop rectangle.
        let toRect = AffineTransform(a: g.width / Float(size), b: 0, c: 0, d: g.height / Float(size), tx: g.left, ty: g.top)
        // Rotated frame -> source: rotate by +angle about the eye centre.
        let rotate = AffineTransform.similarity(scale: 1, angle: g.angle, tx: 0, ty: 0)
        let c = g.eyeCentre
        let moved = rotate.apply(Point2(-c.x, -c.y))
        let aboutEye = AffineTransform(a: rotate.a, b: rotate.b, c: rotate.c, d: rotate.d,
                                       tx: moved.x + c.x, ty: moved.y + c.y)
        return aboutEye.concatenating(toRect)
    }
}
