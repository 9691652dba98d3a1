import Foundation
import SeqMedia

/// Five-point alignment for insightface-style models: the least-squares similarity transform
/// (Umeyama) taking the detected landmarks onto a standard template, then a bilinear warp.
public struct SimilarityAligner: FaceAligner {
    /// A landmark template: five points (left eye, right eye, nose, mouth corners) in an
    /// output of `width` x `height` pixels.
    public struct Template: Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var points: [Point2]

        /// The ArcFace / insightface 112x112 template.
        public static let arcface112 = Template(width: 112, height: 112, points: [
            Point2(38.2946, 51.6963), Point2(73.5318, 51.5014), Point2(56.0252, 71.7366),
            Point2(41.5493, 92.3655), Point2(70.7299, 92.2041),
        ])
        /// The 96x112 template (SphereFace / CosFace): the 112 template moved 8 pixels left.
        public static let sphereface96x112 = Template(width: 96, height: 112, points: arcface112.points.map {
            Point2($0.x - 8, $0.y)
        })

        /// The template scaled so that its height is `height` pixels.
        public func scaled(toHeight newHeight: Int) -> Template {
            let k = Float(newHeight) / Float(height)
            return Template(width: Int((Float(width) * k).rounded()), height: newHeight,
                            points: points.map { Point2($0.x * k, $0.y * k) })
        }
    }

    public var template: Template
    public var border: BorderMode

    public init(template: Template = .arcface112, border: BorderMode = .constant(0)) {
        self.template = template
        self.border = border
    }

    public var outputWidth: Int { template.width }
    public var outputHeight: Int { template.height }

    public func outputToSource(_ face: FaceDetection, imageWidth: Int, imageHeight: Int) -> AffineTransform? {
        SimilarityEstimator.estimate(from: face.landmarks, to: template.points)?.inverted
    }
}
