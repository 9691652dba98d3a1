import ArgumentParser
import Foundation
import SeqCore
import SeqDetect
import SeqMedia
import SeqNN

struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find faces and their five landmarks in images and videos with MTCNN.",
        discussion: """
        Images (.jpg, .jpeg, .png, .bmp) give one record, videos one per decoded frame (or every \
        Nth with --detect-every). With --json each record is one JSON line:
          {"source": path, "frame": index or null, "faces": [{"box": [x1,y1,x2,y2], "score": s, \
        "landmarks": [[x,y] x5]}]}
        Landmarks: left eye, right eye, nose, left and right mouth corner, in image pixels.
        An unreadable file is reported on standard error and the rest are still processed; the \
        exit code is then 1; the failures are listed at the end. The weights come from tools/setup.sh.

        Examples:
          seqcurate detect assets/messi5.jpg
          seqcurate detect --json --detect-every 5 assets/carphone_pristine.mp4 > faces.jsonl
          seqcurate detect --max-side 640 --min-face-size 40 --thresholds 0.6,0.7,0.8 video.mp4
          seqcurate detect --max-side 1600 --max-pixels 400000000 huge_panorama.jpg
        """)

    @Argument(help: "Image or video files.") var files: [String]
    @Flag(help: "Write JSON Lines (one object per image or frame) instead of text.") var json = false
    @Option(parsing: .unconditional, help: "Detect on every Nth video frame.") var detectEvery = 1
    @Option(name: .customLong("every"), parsing: .unconditional, help: .init("Old name of --detect-every.", visibility: .hidden)) var oldEvery: Int?
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var limits: ImageLimitOptions


    /// The frame stride, given as --detect-every or by its old name --every.
    var frameStride: Int { oldEvery ?? detectEvery }

    func validate() throws {
        try Renamed.check(old: oldEvery, new: detectEvery, default: 1, "--every", "--detect-every")
        if frameStride < 1 { throw ValidationError("\(oldEvery == nil ? "--detect-every" : "--every") must be at least 1, got \(frameStride)") }
    }

    func run() throws {
        let mtcnn = try detector.makeDetector(parallelPyramid: true)
        // MTCNN runs pyramid levels and R-/O-Net halves on all cores itself.
        BLASRuntime.yieldThreads()
        var failures = InputFailures(of: "files")
        for file in files {
            do {
                try detect(file, with: mtcnn)
            } catch {
                failures.record(error, input: file)
            }
        }
        try failures.throwIfAny(of: files.count)
    }

    private func detect(_ file: String, with mtcnn: MTCNN) throws {
        let url = URL(fileURLWithPath: file)
        if ImageIO.isImageFile(url) {
            // With --max-side the detector shrinks the image anyway: let the JPEG decoder do most of
            // that, so a huge photo never sits in memory at full size, and map the faces back.
            let decoded = try ImageIO.read(url, maxPixels: limits.maxPixels, reducingTo: detector.maxSide)
            let faces = mtcnn.detect(decoded.image).map { $0.scaled(x: decoded.scaleX, y: decoded.scaleY) }
            report(file, frame: nil, faces: faces)
            return
        }
        let reader = try VideoReader(url: url, options: VideoReaderOptions(stride: frameStride))
        while let frame = try reader.nextFrame() {
            report(file, frame: frame.index, faces: mtcnn.detect(frame.image))
        }
    }

    private func report(_ source: String, frame: Int?, faces: [FaceDetection]) {
        if json {
            print(DetectionJSON.line(source: source, frame: frame, faces: faces))
            return
        }
        let label = frame.map { "\(source) frame \($0)" } ?? source
        print("\(label): \(faces.count) face\(faces.count == 1 ? "" : "s")")
        for f in faces {
            let b = f.box
            print(String(format: "  box %.1f %.1f %.1f %.1f  score %.4f  eyes (%.1f, %.1f) (%.1f, %.1f)",
                         b.x1, b.y1, b.x2, b.y2, f.score, f.leftEye.x, f.leftEye.y, f.rightEye.x, f.rightEye.y))
        }
    }
}
