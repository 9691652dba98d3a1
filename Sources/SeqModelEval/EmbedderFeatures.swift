import Foundation
import SeqCore
import SeqDetect
import SeqEmbed
import SeqEval
import SeqMedia

/// Model mode with dlib's pretrained face embedding (`eval --embedder dlib`, `features
/// --embedder dlib`): every image's main face (MTCNN) cut into dlib's 150x150 chip
/// (`FaceChip`) and embedded by `FaceEmbedder`, so a researcher can put the pretrained
/// embedding through the LFW and YTF protocols. An image where MTCNN finds no face is used
/// whole, shrunk to 150x150, and counted in a note (as `eval --detect` does).
public struct EmbedderFeatures {
    public var embedder: FaceEmbedder
    public var makeDetector: () throws -> MTCNN
    /// Leave out keys without an image (their pairs are then skipped by the scorer).
    public var skipMissing = false
    /// Images of more pixels than this are refused before decoding.
    public var maxPixels = ImageIO.defaultMaxPixels
    public var quiet = false

    public init(embedder: FaceEmbedder, makeDetector: @escaping () throws -> MTCNN) {
        self.embedder = embedder
        self.makeDetector = makeDetector
    }

    /// The descriptors of every image the pairs of `list` need under `root` (see
    /// `DatasetImages` for the keys), in need order.
    public func features(for list: PairList, root: URL) throws -> FeatureFile {
        let dataset = try DatasetImages(root: root, benchmark: list.benchmark)
        let needed = try dataset.images(neededBy: list, skipMissing: skipMissing)
        let values = try descriptors(of: needed.map(\.url))
        return try FeatureFile(keys: needed.map(\.key), values: values, dimension: FaceEmbedder.dimension,
                               featuresPath: "dlib embedding of \(dataset.base.path)", keysPath: list.file)
    }

    /// The descriptors of image files, 128 floats each, in order.
    public func descriptors(of urls: [URL]) throws -> [Float] {
        let detector = try makeDetector()
        let progress = ProgressReporter("embed", total: urls.count, unit: "images", quiet: quiet)
        var values: [Float] = []
        values.reserveCapacity(urls.count * FaceEmbedder.dimension)
        var misses = 0
        let step = max(1, embedder.batchSize)
        for start in stride(from: 0, to: urls.count, by: step) {
            let batch = Array(urls[start..<min(start + step, urls.count)])
            // Detection and chips in parallel; the network then takes the batch in one pass.
            var chips = [Image?](repeating: nil, count: batch.count)
            var missed = [Bool](repeating: false, count: batch.count)
            var failure: Error?
            let lock = NSLock()
            chips.withUnsafeMutableBufferPointer { c in
                missed.withUnsafeMutableBufferPointer { m in
                    let (cb, mb) = (c, m)
                    DispatchQueue.concurrentPerform(iterations: batch.count) { i in
                        do {
                            let image = try ImageIO.read(batch[i], maxPixels: maxPixels)
                            let face = FaceDetection.mainFace(detector.detect(image), width: image.width, height: image.height)
                            if let face, let chip = embedder.chip(of: face, in: image) {
                                cb[i] = chip
                            } else {
                                cb[i] = image.resizedArea(width: FaceChip.size, height: FaceChip.size)
                                mb[i] = true
                            }
                        } catch {
                            lock.lock()
                            if failure == nil { failure = error }
                            lock.unlock()
                        }
                    }
                }
            }
            if let failure { throw failure }
            misses += missed.filter { $0 }.count
            for d in try embedder.embed(chips.map { $0! }) { values += d }
            progress.advance(by: batch.count)
        }
        progress.finish()
        if misses > 0 {
            printError("seqcurate: note: no face found in \(misses) of \(urls.count) images; those are used whole, shrunk to 150x150")
        }
        return values
    }
}
