import ArgumentParser
import Foundation
import SeqCore
import SeqDetect
import SeqIngest
import SeqMedia
import SeqNN

struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Detect faces in images and write one aligned crop per face.",
        discussion: """
        --method seqface (default) cuts the published SeqFace crop: eyes levelled, a square of side \
        3d placed from the eye centre (d = eye-to-mouth distance + 1), resized to --size (144). \
        --method similarity maps the five landmarks onto the standard 112x112 template by a \
        least-squares similarity transform (--size scales the template, default 112).
        Crops are written to DIR as <image name>_<face number>.jpg, faces numbered from 0 in \
        order of score. An unreadable image is reported and the rest are still processed; the \
        exit code is then 1.

        Examples:
          seqcurate align ../shared/testdata/real/messi5.jpg --out crops/
          seqcurate align photos/*.jpg --out crops112/ --method similarity --size 112
        """)

    @Argument(help: "Image files.") var images: [String]
    @Option(help: "Output folder (created if missing).") var out: String
    @Option(help: "Crop geometry: seqface or similarity.") var method: AlignMethod = .seqface
    @Option(help: "Output side in pixels (default 144 for seqface, 112 for similarity).") var size: Int?
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var limits: ImageLimitOptions

    func run() throws {
        let aligner: any FaceAligner
        let mtcnn: MTCNN
        do {
            if let size, size < 8 || size > 4096 { throw SeqError("--size must lie between 8 and 4096") }
            aligner = FaceCropping.aligner(method, size: size)
            mtcnn = try detector.makeDetector(parallelPyramid: true)
            // MTCNN runs pyramid levels and R-/O-Net halves on all cores itself.
            BLASRuntime.yieldThreads()
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: out), withIntermediateDirectories: true)
        } catch let error as SeqError {
            printError("seqcurate: \(error)")
            throw ExitCode(1)
        } catch {
            printError("seqcurate: \(out): \(error.localizedDescription)")
            throw ExitCode(1)
        }
        var failed = 0, written = 0
        for path in images {
            do {
                let url = URL(fileURLWithPath: path)
                // Full size even with --max-side: the crops are cut from the original pixels.
                let image = try ImageIO.read(url, maxPixels: limits.maxPixels)
                let faces = mtcnn.detect(image)
                let stem = url.deletingPathExtension().lastPathComponent
                for (k, face) in faces.enumerated() {
                    guard let crop = aligner.align(image, face: face) else {
                        printError("seqcurate: \(path): face \(k): landmarks give no usable crop, skipped")
                        continue
                    }
                    let target = URL(fileURLWithPath: out).appendingPathComponent("\(stem)_\(k).jpg")
                    try ImageIO.writeJPEG(crop, to: target, quality: 95)
                    written += 1
                }
                print("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")")
            } catch {
                let e = error as? SeqError ?? SeqError("\(error)", file: path)
                printError("seqcurate: \(e)")
                failed += 1
            }
        }
        print("wrote \(written) crop\(written == 1 ? "" : "s") to \(out)")
        if failed > 0 {
            if images.count > 1 { printError("seqcurate: \(failed) of \(images.count) images failed") }
            throw ExitCode(1)
        }
    }
}
