import Dispatch
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqMedia
import SeqTrack

/// Cuts the aligned face out of a frame.
public typealias FaceCropper = @Sendable (Image, FaceDetection) -> Image

/// What happened to one video.
public struct VideoIngestResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        case ingested
        /// Its content is already in the catalog (use `force`).
        case skipped
        /// Another process ingested the same content while this one was working on it (two
        /// runs met the same video); this run's work on it was dropped.
        case skippedConcurrent
        case failed(String)
    }
    public var path: String
    public var outcome: Outcome
    public var videoID: Int64?
    public var frames = 0
    public var detections = 0
    public var shots = 0
    public var tracks = 0
    public var sequences = 0
    public var keptFaces = 0
    public var seconds = 0.0
    /// Seconds of video per second of wall time.
    public var speed: Double { seconds > 0 && videoDuration > 0 ? videoDuration / seconds : 0 }
    public var videoDuration = 0.0

    /// Takes the counts of an analysed video.
    mutating func record(_ analysis: VideoAnalysis.Result, video: VideoRecord) {
        frames = analysis.frames
        detections = analysis.detections
        shots = analysis.shots.count
        tracks = analysis.tracks
        sequences = analysis.sequences
        keptFaces = analysis.keptFaces
        videoDuration = video.duration ?? 0
    }
}

/// Runs the ingest pipeline on one video at a time: decode in batches, detect and measure the
/// faces of a batch on `IngestOptions.workers` threads (`measure`), analyse the frames in order
/// (`VideoAnalysis`: shot cuts, tracking, quality, sequence selection), turn the finished tracks
/// into catalog rows and crop files (`VideoRows`), stage the crops, and write the rows in one
/// catalog transaction per video.
public final class VideoIngestor {
    public let catalog: Catalog
    public let detector: MTCNN
    public let cropper: FaceCropper
    public let options: IngestOptions
    public let runID: Int64
    public let store: CropStore
    /// Called after a video's crops are staged, just before its transaction: tests use it to
    /// commit the same content from another connection, the race two processes can run.
    var beforeTransaction: (() throws -> Void)?

    public init(catalog: Catalog, detector: MTCNN, cropper: @escaping FaceCropper, options: IngestOptions, runID: Int64) {
        self.catalog = catalog
        self.detector = detector
        self.cropper = cropper
        self.options = options
        self.runID = runID
        self.store = CropStore(catalogFolder: catalog.folder)
    }

    /// Thrown inside the video's transaction when another process committed the same content
    /// first: the transaction rolls back and the video is reported as `skippedConcurrent`.
    private struct TakenByAnotherRun: Error {}

    /// Content hashes can meet in concurrent runs: each checks the catalog at the start of a
    /// video, but only the check under the write lock (in the transaction) is final. Throws
    /// `TakenByAnotherRun` when the row for `hash` is no longer the one seen at the start.
    private func claim(_ hash: String, sawAtStart existing: VideoRecord?) throws {
        let now = try catalog.video(contentHash: hash)
        if now?.id != existing?.id { throw TakenByAnotherRun() }
    }

    /// Ingests one video. Failures of the video itself (unreadable, truncated) are recorded in the
    /// catalog and returned; failures of the catalog throw. A video that another process
    /// ingests at the same time is ingested once: the later one reports `skippedConcurrent`.
    public func ingest(_ url: URL, quiet: Bool = false) throws -> VideoIngestResult {
        let clock = Date()
        var result = VideoIngestResult(path: url.path, outcome: .ingested)
        let hash: String
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            result.outcome = .failed("no such file")
            return result
        }
        do {
            hash = try SHA256.hex(fileAt: url)
        } catch {
            // Nothing to hash: nothing to record either, as the catalog keys videos by content.
            result.outcome = .failed((error as? SeqError)?.reason ?? "\(error)")
            return result
        }
        let existing = try catalog.video(contentHash: hash)
        if let existing, existing.status == .ok, !options.force {
            result.outcome = .skipped
            result.videoID = existing.id
            return result
        }
        // Crops stay in memory until the video is analysed, so a run killed while analysing
        // leaves no files; they are written into a staging folder just before the transaction.
        var staging: URL?
        do {
            let (video, analysis, declaredFrames) = try analyse(url, quiet: quiet)
            result.record(analysis, video: video)
            try checkDecoded(analysis, declaredFrames: declaredFrames, url)
            var rows = VideoRows(video: video, shots: analysis.shots, plans: analysis.plans,
                                 cropFolder: store.relativeFolder(contentHash: hash, runID: runID))
            rows.video.contentHash = hash
            rows.video.ingestRunID = runID
            let folder = try store.makeStaging(contentHash: hash, runID: runID)
            staging = folder
            for crop in rows.crops { try write(crop.bytes, to: folder.appendingPathComponent(crop.path)) }
            try beforeTransaction?()
            let videoID = try catalog.transaction { () -> Int64 in
                try claim(hash, sawAtStart: existing)
                if let old = existing?.id { try catalog.deleteVideo(id: old) }
                return try catalog.insert(rows)
            }
            try store.publish(staging: folder, contentHash: hash, runID: runID)
            if let old = existing, let oldRun = old.ingestRunID, oldRun != runID {
                store.removeFinal(contentHash: hash, runID: oldRun)
            }
            result.videoID = videoID
        } catch is TakenByAnotherRun {
            if let staging { store.discard(staging: staging) }
            result.outcome = .skippedConcurrent
            result.videoID = try catalog.video(contentHash: hash)?.id
        } catch let error as SeqError where error.file == url.path || error.file == nil {
            if let staging { store.discard(staging: staging) }
            let reason = error.reason
            result.outcome = .failed(reason)
            do {
                result.videoID = try catalog.transaction { () -> Int64 in
                    try claim(hash, sawAtStart: existing)
                    if let old = existing?.id { try catalog.deleteVideo(id: old) }
                    return try catalog.insertVideo(VideoRecord(
                        path: url.path, contentHash: hash, duration: nil, fps: nil, width: nil, height: nil, frameCount: nil,
                        status: .failed, failureReason: reason, ingestRunID: runID))
                }
            } catch is TakenByAnotherRun {
                // Another run recorded this content meanwhile (ingested, or failed the same way).
                result.outcome = .skippedConcurrent
                result.videoID = try catalog.video(contentHash: hash)?.id
            }
        } catch {
            if let staging { store.discard(staging: staging) }
            throw error
        }
        result.seconds = Date().timeIntervalSince(clock)
        return result
    }

    /// Decodes the video in batches of frames, measures each batch's faces in parallel and
    /// feeds the frames in order to a `VideoAnalysis`. Returns the video's row (without content
    /// hash or run), what the analysis gave, and the frame count the header declares.
    /// Nothing is written.
    private func analyse(_ url: URL, quiet: Bool) throws -> (VideoRecord, VideoAnalysis.Result, declaredFrames: Int?) {
        let reader = try VideoReader(url: url)
        let info = reader.info
        var analysis = VideoAnalysis(options: options)
        let expected = info.declaredFrames ?? (info.duration > 0 && info.fps > 0 ? Int(info.duration * info.fps) : nil)
        let progress = ProgressReporter(url.lastPathComponent, total: expected, unit: "frames", quiet: quiet)
        let batchSize = options.framesPerBatch
        var batch: [VideoFrame] = []
        // Key frames and refinement (the default) find faces in frame order; the rest of the
        // measuring still runs on the batch in parallel.
        var finder = options.usesKeyFrames
            ? KeyFrameFinder(detector: detector, keyFrameInterval: options.keyFrameInterval) : nil
        repeat {
            batch.removeAll(keepingCapacity: true)
            while batch.count < batchSize, let frame = try reader.nextFrame() { batch.append(frame) }
            guard !batch.isEmpty else { break }
            var found: [[FoundFace]]?
            if finder != nil { found = batch.map { finder!.faces(in: $0, cut: analysis.cut(at: $0)) } }
            for (frame, faces) in zip(batch, measure(batch, found: found)) { analysis.consume(frame: frame, faces: faces) }
            progress.advance(by: batch.count, note: "faces \(analysis.detections) tracks \(analysis.tracks)")
        } while batch.count == batchSize
        let done = analysis.finish()
        progress.finish(note: "faces \(done.detections) tracks \(done.tracks) sequences \(done.sequences)")
        let video = VideoRecord(path: url.path, contentHash: "", duration: max(info.duration, done.lastTime), fps: info.fps,
                                width: info.width, height: info.height, frameCount: done.frames)
        return (video, done, info.declaredFrames)
    }

    /// Refuses a video of which no frame, or under half of the frames its header declares,
    /// could be decoded (truncated or corrupt).
    private func checkDecoded(_ analysis: VideoAnalysis.Result, declaredFrames: Int?, _ url: URL) throws {
        guard analysis.frames > 0 else { throw SeqError("no frame could be decoded (truncated or corrupt)", file: url.path) }
        if let declared = declaredFrames, analysis.frames < declared / 2 {
            throw SeqError("truncated: decoded \(analysis.frames) of \(declared) frames", file: url.path)
        }
    }

    /// Measures the faces of the frames of a batch that are to be detected (`detectEvery`),
    /// `workers` frames at a time; other frames get none.
    /// With `found` (the faces `KeyFrameFinder` found on each frame), those are measured instead
    /// of detecting again.
    private func measure(_ frames: [VideoFrame], found: [[FoundFace]]? = nil) -> [[MeasuredFace]] {
        var out = [[MeasuredFace]](repeating: [], count: frames.count)
        let detected = found.map { f in frames.indices.filter { !f[$0].isEmpty } }
            ?? frames.indices.filter { frames[$0].index % options.detectEvery == 0 }
        let workers = min(max(options.workers, 1), IngestOptions.maxWorkers, detected.count)
        guard workers > 0 else { return out }
        out.withUnsafeMutableBufferPointer { results in
            let buffer = results
            // Worker w takes every workers-th frame to detect, from the w-th on.
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for k in stride(from: w, to: detected.count, by: workers) {
                    let i = detected[k]
                    buffer[i] = measureFaces(in: frames[i].image, found: found?[i])
                }
            }
        }
        return out
    }

    /// Detects the faces of one frame, aligns each, and measures its quality, duplicate
    /// signature and hash, and encodes its crop (and thumbnail) as JPEG.
    private func measureFaces(in image: Image, found: [FoundFace]? = nil) -> [MeasuredFace] {
        let thumb = options.droppedThumbnailSize
        let faces = found ?? detector.detect(image).map { FoundFace(detection: $0, source: .detected) }
        return faces.map { f in
            let d = f.detection
            let crop = cropper(image, d)
            let q = FaceQuality(detection: d, alignedCrop: crop)
            let jpeg = (try? ImageIO.encodeJPEG(crop, quality: options.jpegQuality)) ?? Data()
            var small: Data?
            if thumb > 0 { small = try? ImageIO.encodeJPEG(crop.resizedArea(width: thumb, height: thumb), quality: 80) }
            return MeasuredFace(detection: d, quality: q, signature: DuplicateSignature(alignedCrop: crop),
                                hash: PerceptualHash.dHash(crop),
                                jpeg: jpeg, thumbnail: small, source: f.source)
        }
    }

    /// Writes one crop into this process's staging folder. A full disk is reported as "no
    /// space left on the device" naming the crop; the staging folder is then discarded.
    private func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create the crop folder: \(IOFailure.reason(of: error))", file: dir.path)
        }
        try CropStore.writeCrop(data, url)
    }
}
