import Foundation
import SeqCore

/// Settings of the MTCNN cascade. The defaults are those of the original MTCNN and of
/// facenet-pytorch, which seqcurate's detections are tested against.
public struct MTCNNOptions: Sendable, Equatable {
    /// Smallest face side, in pixels of the (possibly downscaled) image, that the pyramid looks for.
    public var minFaceSize: Float = 20
    /// Score thresholds of P-Net, R-Net and O-Net.
    public var thresholds: (pnet: Float, rnet: Float, onet: Float) = (0.6, 0.7, 0.7)
    /// Ratio between successive pyramid scales.
    public var scaleFactor: Double = 0.709
    /// When set, images whose longer side exceeds it are downscaled to this side before
    /// detection; boxes and landmarks are still reported in full-size pixels.
    public var maxSide: Int?
    /// Run the pyramid levels of P-Net concurrently (one image at a time uses all cores).
    /// Turn off when many frames are already detected in parallel.
    public var parallelPyramid = true

    public init(minFaceSize: Float = 20, thresholds: (pnet: Float, rnet: Float, onet: Float) = (0.6, 0.7, 0.7),
                scaleFactor: Double = 0.709, maxSide: Int? = nil, parallelPyramid: Bool = true) {
        self.minFaceSize = minFaceSize
        self.thresholds = thresholds
        self.scaleFactor = scaleFactor
        self.maxSide = maxSide
        self.parallelPyramid = parallelPyramid
    }

    public static func == (a: MTCNNOptions, b: MTCNNOptions) -> Bool {
        a.minFaceSize == b.minFaceSize && a.thresholds == b.thresholds && a.scaleFactor == b.scaleFactor
            && a.maxSide == b.maxSide && a.parallelPyramid == b.parallelPyramid
    }

    /// Throws when a value cannot work (thresholds outside [0, 1], factor outside (0, 1), ...).
    public func validate() throws {
        guard minFaceSize >= 1 else { throw SeqError("min face size must be at least 1 pixel, got \(minFaceSize)") }
        for t in [thresholds.pnet, thresholds.rnet, thresholds.onet] where !(0...1).contains(t) {
            throw SeqError("thresholds must lie in [0, 1], got \(t)")
        }
        guard scaleFactor > 0.1, scaleFactor < 1 else {
            throw SeqError("pyramid factor must lie in (0.1, 1), got \(scaleFactor)")
        }
        if let m = maxSide, m < 12 { throw SeqError("max side must be at least 12 pixels, got \(m)") }
    }
}
