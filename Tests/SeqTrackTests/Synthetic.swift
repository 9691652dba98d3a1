import SeqDetect
import SeqMedia
import SeqTestSupport

enum Synthetic {
    /// A frontal face of box side `size` centred at (cx, cy): eyes 0.4 size apart, level.
    static func face(cx: Float, cy: Float, size: Float = 60, score: Float = 0.99) -> FaceDetection {
        let h = size / 2
        return FaceDetection(
            box: FaceBox(x1: cx - h, y1: cy - h, x2: cx + h, y2: cy + h),
            score: score,
            landmarks: [Point2(cx - 0.2 * size, cy - 0.1 * size), Point2(cx + 0.2 * size, cy - 0.1 * size),
                        Point2(cx, cy + 0.05 * size),
                        Point2(cx - 0.15 * size, cy + 0.25 * size), Point2(cx + 0.15 * size, cy + 0.25 * size)])
    }

    /// An RGB image filled by `color(x, y)`.
    static func image(width: Int, height: Int, _ color: (Int, Int) -> (UInt8, UInt8, UInt8)) -> Image {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = color(x, y)
                let i = (y * width + x) * 3
                px[i] = r; px[i + 1] = g; px[i + 2] = b
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: px)
    }

    /// A gray image of uniform random noise.
    static func noise(width: Int, height: Int, rng: inout TestRandom) -> Image {
        Image(width: width, height: height, channels: 1,
              pixels: (0..<(width * height)).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    /// `image` with every value moved by a random amount in -amplitude...amplitude.
    static func perturbed(_ image: Image, amplitude: Int, rng: inout TestRandom) -> Image {
        var out = image
        for i in out.pixels.indices {
            out.pixels[i] = UInt8(clamping: Int(out.pixels[i]) + Int.random(in: -amplitude...amplitude, using: &rng))
        }
        return out
    }
}
