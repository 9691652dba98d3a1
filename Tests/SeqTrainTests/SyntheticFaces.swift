import Foundation
import SeqMedia
@testable import SeqTrain

/// Generates a small image dataset a CNN can learn: each class is a random colour layout
/// (a 3x3 grid, smoothly upsampled); its images are shifted, brightness-jittered and noisy.
struct SyntheticFaces {
    let root: URL
    let side: Int
    private var rng: SeededGenerator

    init(root: URL, side: Int = 36, seed: UInt64 = 5) throws {
        self.root = root
        self.side = side
        rng = SeededGenerator(seed: seed)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    mutating func template() -> [Float] {
        (0..<27).map { _ in rng.nextUnitFloat() * 200 + 28 }
    }

    mutating func image(of template: [Float]) -> Image {
        let dx = Float(Int(rng.next() % 5) - 2), dy = Float(Int(rng.next() % 5) - 2)
        let gain = 0.85 + 0.3 * rng.nextUnitFloat()
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            for x in 0..<side {
                // Grid coordinates in [0, 2], bilinear between the 3x3 cells.
                let gx = max(0, min(2, (Float(x) + dx) / Float(side - 1) * 2))
                let gy = max(0, min(2, (Float(y) + dy) / Float(side - 1) * 2))
                let x0 = min(Int(gx), 1), y0 = min(Int(gy), 1)
                let fx = gx - Float(x0), fy = gy - Float(y0)
                for c in 0..<3 {
                    func cell(_ cx: Int, _ cy: Int) -> Float { template[(cy * 3 + cx) * 3 + c] }
                    let v = (cell(x0, y0) * (1 - fx) + cell(x0 + 1, y0) * fx) * (1 - fy)
                        + (cell(x0, y0 + 1) * (1 - fx) + cell(x0 + 1, y0 + 1) * fx) * fy
                    let noisy = v * gain + rng.nextGaussian() * 12
                    pixels[(y * side + x) * 3 + c] = UInt8(max(0, min(255, noisy.rounded())))
                }
            }
        }
        return Image(width: side, height: side, channels: 3, pixels: pixels)
    }

    /// Writes `classes` classes of `perClass` images under `folder` and a list with `label(i)`;
    /// returns the list file.
    mutating func writeList(_ name: String, folder: String, classes: Int, perClass: Int, label: (Int) -> Int) throws -> URL {
        var lines: [String] = []
        for k in 0..<classes {
            let t = template()
            let dir = root.appendingPathComponent("\(folder)/\(k)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for i in 0..<perClass {
                let rel = "\(folder)/\(k)/\(i).png"
                try ImageIO.writePNG(image(of: t), to: root.appendingPathComponent(rel))
                lines.append("\(rel) \(label(k))")
            }
        }
        let url = root.appendingPathComponent(name)
        try lines.joined(separator: "\n").appending("\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// Best-threshold verification accuracy over all same-class and different-class pairs
/// (balanced by weighting), from features `[n, d]` and class ids.
func verificationAccuracy(features: [Float], dim: Int, classes: [Int]) -> Double {
    let n = classes.count
    var unit = features
    for i in 0..<n {
        var s: Float = 0
        for k in 0..<dim { s += unit[i * dim + k] * unit[i * dim + k] }
        let inv = 1 / max(s.squareRoot(), 1e-12)
        for k in 0..<dim { unit[i * dim + k] *= inv }
    }
    var pairs: [(Float, Bool)] = []
    for i in 0..<n {
        for j in (i + 1)..<n {
            var c: Float = 0
            for k in 0..<dim { c += unit[i * dim + k] * unit[j * dim + k] }
            pairs.append((c, classes[i] == classes[j]))
        }
    }
    let positives = Double(pairs.filter { $0.1 }.count), negatives = Double(pairs.count) - positives
    var best = 0.0
    for (t, _) in pairs {
        let tp = Double(pairs.filter { $0.1 && $0.0 >= t }.count)
        let tn = Double(pairs.filter { !$0.1 && $0.0 < t }.count)
        best = max(best, 0.5 * (tp / positives + tn / negatives))
    }
    return best
}
