import Foundation
import SeqMedia

/// Cuts an aligned face image out of a frame, given the face's five landmarks.
public protocol FaceAligner: Sendable {
    /// The map from output pixels to source pixels for this face, or nil when the landmarks
    /// give no usable geometry (e.g. the mouth above the eyes).
    func outputToSource(_ face: FaceDetection, imageWidth: Int, imageHeight: Int) -> AffineTransform?
    /// Output size in pixels.
    var outputWidth: Int { get }
    var outputHeight: Int { get }
    var border: BorderMode { get }
}

extension FaceAligner {
    /// The aligned face, or nil when the landmarks give no usable geometry. A face much larger
    /// than the crop is averaged down in blocks first (`ImageWarper.warpReducingFirst`).
    public func align(_ image: Image, face: FaceDetection) -> Image? {
        guard let m = outputToSource(face, imageWidth: image.width, imageHeight: image.height) else { return nil }
        return ImageWarper.warpReducingFirst(image, width: outputWidth, height: outputHeight, outputToSource: m, border: border)
    }

    /// Where a point of the source image lands in the aligned output (e.g. a landmark).
    public func outputPosition(of p: Point2, face: FaceDetection, imageWidth: Int, imageHeight: Int) -> Point2? {
        outputToSource(face, imageWidth: imageWidth, imageHeight: imageHeight)?.inverted?.apply(p)
    }
}
