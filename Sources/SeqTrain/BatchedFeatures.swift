import Dispatch
import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// The extraction loop that trained runs (`FeatureExtractor`) and model folders
/// (`GraphFeatureExtractor`) share: images read and preprocessed in parallel a batch at a time,
/// one forward pass per batch (twice the batch with `flip`), the mirrored image's feature added
/// to its row. Each caller brings only its own preprocessing and network.
struct BatchedFeatures {
    /// `[channels, height, width]` of one network input.
    var sampleShape: (channels: Int, height: Int, width: Int)
    var featureDim: Int
    var batchSize: Int
    var threads: Int
    /// Read images as grey (one-channel networks).
    var grayscale: Bool = false

    /// Features `[urls.count, featureDim]`, row-major.
    /// - Parameters:
    ///   - fill: writes one preprocessed image (mirrored or not) at a pointer.
    ///   - forward: the network's forward pass on `[N, C, H, W]`.
    func extract(_ urls: [URL], flip: Bool, progress: ProgressReporter?,
                 fill: (Image, Bool, UnsafeMutablePointer<Float>) -> Void,
                 forward: (Tensor) -> Tensor) throws -> [Float] {
        let d = featureDim
        let sample = sampleShape.channels * sampleShape.height * sampleShape.width
        let copies = flip ? 2 : 1
        let gray = grayscale
        var out = [Float](repeating: 0, count: urls.count * d)
        var start = 0
        while start < urls.count {
            let chunk = Array(urls[start..<min(start + batchSize, urls.count)])
            var data = [Float](repeating: 0, count: chunk.count * copies * sample)
            let errors = ErrorBox()
            data.withUnsafeMutableBufferPointer { buf in
                let base = SendablePointer(buf.baseAddress!)
                let workers = min(threads, chunk.count)
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for i in stride(from: w, to: chunk.count, by: workers) {
                        do {
                            // Gray networks see the same luma as in training (`Image.grayscale()` of the
                            // RGB decode), not the decoder's own gray conversion, which differs by a level.
                            let rgb = try ImageIO.read(chunk[i])
                            let image = gray ? rgb.grayscale() : rgb
                            fill(image, false, base.pointer + i * sample)
                            if flip { fill(image, true, base.pointer + (chunk.count + i) * sample) }
                        } catch let e as SeqError {
                            errors.set(e)
                        } catch {
                            errors.set(SeqError("cannot read image: \(error)", file: chunk[i].path))
                        }
                    }
                }
            }
            if let e = errors.error { throw e }
            let f = forward(Tensor(shape: [chunk.count * copies, sampleShape.channels, sampleShape.height, sampleShape.width], data: data))
            for i in 0..<chunk.count {
                for k in 0..<d {
                    out[(start + i) * d + k] = f.data[i * d + k] + (flip ? f.data[(chunk.count + i) * d + k] : 0)
                }
            }
            start += chunk.count
            progress?.advance(by: chunk.count)
        }
        return out
    }
}
