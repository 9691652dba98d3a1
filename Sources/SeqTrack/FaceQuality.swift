import Foundation
import SeqDetect
import SeqMedia

/// Quality measures of one face, recorded in the catalog and used by `SequenceSelector`.
///
/// Formulas (landmarks in image pixels, MTCNN order: left eye `L`, right eye `R`, nose `N`, mouth
/// corners; "left"/"right" as seen in the image):
/// - `score`: the detector's confidence.
/// - `eyeDistance = |R - L|` in source pixels, the face size.
/// - `roll = atan2(R.y - L.y, R.x - L.x)` in degrees: 0 for level eyes, positive when the
///   image-right eye is lower (the head tilts clockwise on screen).
/// - `yaw`: with `u = (R - L) / |R - L|` and `M = (L + R) / 2`, the nose offset along the eye line
///   is `r = (N - M) . u / |R - L|`. A head turned by θ about the vertical axis moves the nose tip
///   (depth ≈ 0.5 eye distances in front of the eyes) by `0.5 sin θ` while the eye distance
///   shrinks by `cos θ`, so `r ≈ 0.5 tan θ` and `yaw = atan(r / 0.5)` in degrees: 0 for a frontal
///   face, positive when the nose points to the image right. A proxy, good to ~10° on frontal to
///   half-profile faces, useless beyond (MTCNN landmarks degrade there).
/// - `sharpness`: the variance of the 4-neighbour Laplacian `[0 1 0; 1 -4 1; 0 1 0]` over the
///   interior of the aligned crop, after converting it to gray (BT.601) and box-resampling it to
///   `sharpnessSize` x `sharpnessSize` (default 64) on the 0...255 scale. Resampling to a fixed
///   size makes the value comparable across crop sizes and keeps it from collapsing when a small
///   face is enlarged to a 144x144 crop.
public struct FaceQuality: Sendable, Equatable, Codable {
    public var score: Float
    public var eyeDistance: Float
    public var sharpness: Float
    /// Degrees; see the type's documentation.
    public var yaw: Float
    /// Degrees; see the type's documentation.
    public var roll: Float

    /// Default side of the square the crop is resampled to before the Laplacian.
    public static let defaultSharpnessSize = 64
    /// Assumed depth of the nose tip in front of the eyes, in eye distances (yaw proxy).
    public static let noseDepthRatio: Float = 0.5

    public init(score: Float, eyeDistance: Float, sharpness: Float, yaw: Float, roll: Float) {
        self.score = score
        self.eyeDistance = eyeDistance
        self.sharpness = sharpness
        self.yaw = yaw
        self.roll = roll
    }

    /// All measures of `detection`, with the sharpness taken on `alignedCrop` (the face cut out
    /// and aligned from the frame, RGB or gray, any size).
    public init(detection: FaceDetection, alignedCrop: Image, sharpnessSize: Int = FaceQuality.defaultSharpnessSize) {
        self.init(score: detection.score,
                  eyeDistance: Self.eyeDistance(detection),
                  sharpness: Self.sharpness(of: alignedCrop, size: sharpnessSize),
                  yaw: Self.yaw(detection),
                  roll: Self.roll(detection))
    }

    /// The measures of `detection` with a sharpness measured elsewhere (for example 0 for an
    /// interpolated face that was never cropped).
    public init(detection: FaceDetection, sharpness: Float) {
        self.init(score: detection.score, eyeDistance: Self.eyeDistance(detection), sharpness: sharpness,
                  yaw: Self.yaw(detection), roll: Self.roll(detection))
    }

    public static func eyeDistance(_ d: FaceDetection) -> Float { distance(d.leftEye, d.rightEye) }

    public static func roll(_ d: FaceDetection) -> Float {
        let dx = d.rightEye.x - d.leftEye.x, dy = d.rightEye.y - d.leftEye.y
        return atan2(dy, dx) * 180 / .pi
    }

    public static func yaw(_ d: FaceDetection) -> Float {
        let e = eyeDistance(d)
        guard e > 0 else { return 90 }
        let ux = (d.rightEye.x - d.leftEye.x) / e, uy = (d.rightEye.y - d.leftEye.y) / e
        let mx = (d.leftEye.x + d.rightEye.x) / 2, my = (d.leftEye.y + d.rightEye.y) / 2
        let r = ((d.nose.x - mx) * ux + (d.nose.y - my) * uy) / e
        return atan(r / noseDepthRatio) * 180 / .pi
    }

    /// Variance of the Laplacian of `image` in gray, resampled to `size` x `size` first.
    public static func sharpness(of image: Image, size: Int = defaultSharpnessSize) -> Float {
        precondition(size >= 3, "sharpness needs at least 3x3 pixels")
        let g = BoxResampler.luma(image, width: size, height: size)
        var sum: Double = 0, sumSq: Double = 0
        g.withUnsafeBufferPointer { p in
            for y in 1..<(size - 1) {
                for x in 1..<(size - 1) {
                    let i = y * size + x
                    let lap = Double(p[i - 1] + p[i + 1] + p[i - size] + p[i + size] - 4 * p[i])
                    sum += lap
                    sumSq += lap * lap
                }
            }
        }
        let n = Double((size - 2) * (size - 2))
        let mean = sum / n
        return Float(max(0, sumSq / n - mean * mean))
    }
}
