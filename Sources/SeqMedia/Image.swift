import Foundation
import SeqCore

/// An 8-bit image, rows top to bottom, channels interleaved (HWC): 3 for RGB, 1 for grayscale.
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "pixel count does not match \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int, channels: Int = 3) {
        self.init(width: width, height: height, channels: channels, pixels: [UInt8](repeating: 0, count: width * height * channels))
    }

    /// The value of channel `c` at pixel (x, y).
    @inlinable public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// The BT.601 luma of an RGB image (or a copy of a grayscale one).
    public func grayscale() -> Image {
        if channels == 1 { return self }
        var out = [UInt8](repeating: 0, count: width * height)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<(width * height) {
                let r = Int(p[3 * i]), g = Int(p[3 * i + 1]), b = Int(p[3 * i + 2])
                out[i] = UInt8((r * 77 + g * 150 + b * 29 + 128) >> 8)
            }
        }
        return Image(width: width, height: height, channels: 1, pixels: out)
    }
}

/// A decoded image with the size its file declares: larger than `image` when the decoder scaled
/// it down (`ImageIO.read(_:grayscale:maxPixels:reducingTo:)`).
public struct DecodedImage: Sendable, Equatable {
    public var image: Image
    public var fullWidth: Int
    public var fullHeight: Int

    public init(image: Image, fullWidth: Int, fullHeight: Int) {
        self.image = image
        self.fullWidth = fullWidth
        self.fullHeight = fullHeight
    }

    /// Multiply coordinates in `image` by these to get coordinates in the full-size picture.
    public var scaleX: Float { Float(fullWidth) / Float(max(image.width, 1)) }
    public var scaleY: Float { Float(fullHeight) / Float(max(image.height, 1)) }
}
