import Foundation
import SeqMedia
import SeqNN

/// Turns a face image into network input: resize to `imageSize` (when it differs), crop
/// `cropSize` (random in training, central otherwise), optional mirror, `(v - 127.5) / 128`,
/// colour planes in `channelOrder`.
public struct FacePreprocessor: Sendable {
    public var imageSize: Int
    public var cropSize: Int
    public var channels: Int
    /// The plane order written for 3-channel input (images are decoded as RGB).
    public var channelOrder: ChannelOrder

    public init(imageSize: Int, cropSize: Int, channels: Int, channelOrder: ChannelOrder = .rgb) {
        precondition(imageSize >= cropSize && cropSize > 0)
        self.imageSize = imageSize
        self.cropSize = cropSize
        self.channels = channels
        self.channelOrder = channelOrder
    }

    /// Writes `channels x cropSize x cropSize` floats (CHW) at `out`.
    /// - Parameters:
    ///   - offset: top-left corner of the crop; nil for the centre.
    public func fill(_ image: Image, offset: (x: Int, y: Int)?, mirror: Bool, into out: UnsafeMutablePointer<Float>) {
        let src = Self.fitted(image, channels: channels, side: imageSize)
        let margin = imageSize - cropSize
        let ox = offset?.x ?? margin / 2, oy = offset?.y ?? margin / 2
        let side = cropSize, plane = side * side, c = channels, w = imageSize
        // Output plane of each source channel: BGR writes red to the last plane.
        let swap = channelOrder == .bgr && c == 3
        src.pixels.withUnsafeBufferPointer { p in
            for y in 0..<side {
                let row = (oy + y) * w
                for x in 0..<side {
                    let sx = mirror ? ox + side - 1 - x : ox + x
                    let base = (row + sx) * c
                    for ch in 0..<c {
                        let dest = swap ? c - 1 - ch : ch
                        out[dest * plane + y * side + x] = (Float(p[base + ch]) - 127.5) / 128
                    }
                }
            }
        }
    }

    /// The image with the wanted channel count and side (bilinear resize when needed).
    static func fitted(_ image: Image, channels: Int, side: Int) -> Image {
        var img = image
        if channels == 1 && img.channels != 1 { img = img.grayscale() }
        if channels == 3 && img.channels == 1 {
            img = Image(width: img.width, height: img.height, channels: 3, pixels: img.pixels.flatMap { [$0, $0, $0] })
        }
        if img.width == side && img.height == side { return img }
        return resized(img, width: side, height: side)
    }

    /// Bilinear resize with pixel-centre alignment.
    static func resized(_ img: Image, width: Int, height: Int) -> Image {
        var out = [UInt8](repeating: 0, count: width * height * img.channels)
        let sx = Float(img.width) / Float(width), sy = Float(img.height) / Float(height)
        let c = img.channels
        img.pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                let fy = max(0, min(Float(img.height - 1), (Float(y) + 0.5) * sy - 0.5))
                let y0 = Int(fy), y1 = min(y0 + 1, img.height - 1), wy = fy - Float(y0)
                for x in 0..<width {
                    let fx = max(0, min(Float(img.width - 1), (Float(x) + 0.5) * sx - 0.5))
                    let x0 = Int(fx), x1 = min(x0 + 1, img.width - 1), wx = fx - Float(x0)
                    for ch in 0..<c {
                        let a = Float(p[(y0 * img.width + x0) * c + ch]), b = Float(p[(y0 * img.width + x1) * c + ch])
                        let d = Float(p[(y1 * img.width + x0) * c + ch]), e = Float(p[(y1 * img.width + x1) * c + ch])
                        let v = (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy
                        out[(y * width + x) * c + ch] = UInt8(max(0, min(255, v.rounded())))
                    }
                }
            }
        }
        return Image(width: width, height: height, channels: c, pixels: out)
    }
}
