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
        --align seqface (default) cuts the published SeqFace crop: eyes levelled, a square of side \
        3d placed from the eye centre (d = eye-to-mouth distance + 1), resized to --size (144). \
        --align similarity maps the five landmarks onto the standard 112x112 template by a \
        least-squares similarity transform (--size scales the template, default 112).
        Crops are written to DIR as <image name>_<face number>.jpg, faces numbered from 0 in \
        order of score. An unreadable image is reported and the rest are still processed; the \
        failures are listed at the end and the exit code is then 1.

        Examples:
          seqcurate align assets/messi5.jpg --out crops/
          seqcurate align photos/*.jpg --out crops112/ --align similarity --size 112
        """)

    @Argument(help: "Image files.") var images: [String]
    @Option(help: "Output folder (created if missing).") var out: String
    @Option(help: "Crop geometry.") var align: AlignMethod = .seqface
    @Option(name: .customLong("method"), help: .init("Old name of --align.", visibility: .hidden)) var oldMethod: AlignMethod?
    @Option(parsing: .unconditional, help: "Output side in pixels (default 144 for seqface, 112 for similarity).") var size: Int?
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var limits: ImageLimitOptions

    /// The crop geometry, given as --align or by its old name --method.
    var method: AlignMethod { oldMethod ?? align }

    func validate() throws {
        try Renamed.check(old: oldMethod, new: align, default: .seqface, "--method", "--align")
        if let size, size < 8 || size > 4096 { throw ValidationError("--size must lie between 8 and 4096, got \(size)") }
    }

    func run() throws {
        let aligner = FaceCropping.aligner(method, size: size)
        let mtcnn = try detector.makeDetector(parallelPyramid: true)
        // MTCNN runs pyramid levels and R-/O-Net halves on all cores itself.
        BLASRuntime.yieldThreads()
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: out), withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create the folder: \(IOFailure.reason(of: error))", file: out)
        }
        var failures = InputFailures(of: "images")
        var written = 0
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
                failures.record(error, input: path)
            }
        }
        print("wrote \(written) crop\(written == 1 ? "" : "s") to \(out)")
        try failures.throwIfAny(of: images.count)
    }
}
