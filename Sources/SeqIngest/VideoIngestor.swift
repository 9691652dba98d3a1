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
    /// True when the input's bytes were read to compute its content hash; false when the
    /// catalog remembered the hash of this path at this size and modification time.
    public var readToHash = false

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
/// catalog transaction per shot (tracks never cross a cut; a shot longer than
/// `IngestOptions.maxShotSeconds` is ended there). A video is `partial` until its last shot is
/// committed; a killed run's partial video is resumed by the next run after its last shot.
public final class VideoIngestor {
    public let catalog: Catalog
    public let detector: MTCNN
    public let cropper: FaceCropper
    public let options: IngestOptions
    public let runID: Int64
    public let store: CropStore
    /// Embeds a sample of faces (`IngestOptions.embedEvery`) for identity decisions; nil: none.
    public let embedder: FaceIdentityEmbedder?
    /// Called after a video's crops are staged, just before its transaction: tests use it to
    /// commit the same content from another connection, the race two processes can run.
    var beforeTransaction: (() throws -> Void)?

    /// - Parameter embedder: when given, the faces of every `options.embedEvery`-th detected
    ///   frame are embedded and stored, tracks are kept to one person, fragments are joined
    ///   and sequences are diversified by embedding; `options.embeddingModel` is set from it.
    public init(catalog: Catalog, detector: MTCNN, cropper: @escaping FaceCropper, options: IngestOptions, runID: Int64,
                embedder: FaceIdentityEmbedder? = nil) {
        self.catalog = catalog
        self.detector = detector
        self.cropper = cropper
        var options = options
        options.embeddingModel = embedder?.model
        self.options = options
        self.embedder = embedder
        self.runID = runID
        self.store = CropStore(catalogFolder: catalog.folder)
    }

    /// Thrown inside the video's transaction when another process committed the same content
    /// first: the transaction rolls back and the video is reported as `skippedConcurrent`.
    private struct TakenByAnotherRun: Error {}

    /// Content hashes can meet in concurrent runs: each checks the catalog at the start of a
    /// video, but only the check under the write lock (in the transaction) is final. Throws
    /// `TakenByAnotherRun` when the row for `hash` is no longer the one expected (seen at the
    /// start, or this run's own partial row).
    private func claim(_ hash: String, expecting id: Int64?) throws {
        let now = try catalog.video(contentHash: hash)
        if now?.id != id { throw TakenByAnotherRun() }
    }

    /// Where the commits of one video stand.
    struct ShotCommits {
        var hash: String
        /// The run whose crop folder the video's crops go to: the run that started the video.
        var cropRun: Int64
        /// The row seen at the start (replaced by the first commit: `--force`, a failed one).
        var expected: Int64?
        /// The video's row once its first shot is committed (or the partial row resumed).
        var videoID: Int64?
        /// Shots and tracks committed: the indices of the next ones.
        var shots = 0
        var tracks = 0
        /// The staging folder of the commit in progress.
        var staging: URL?
    }

    /// Test hook, named so that nobody sets it by chance: `SEQCURATE_TEST_HOOK_SIGKILL_AFTER_COMMIT=N`
    /// makes the process SIGKILL itself right after its N-th shot commit (before that
    /// commit's crops are moved into place), so that tests can stop a run at an exact point.
    private static let killAfterCommit: Int? = ProcessInfo.processInfo.environment["SEQCURATE_TEST_HOOK_SIGKILL_AFTER_COMMIT"].flatMap { Int($0) }
    nonisolated(unsafe) private static var commitsDone = 0

    /// Commits one shot of a video with its tracks, faces, sequences and crops: the video's
    /// row comes with its first commit (status `partial` unless it is also the last), and the
    /// last commit (`final`: frames decoded, duration) marks it `ok`.
    private func commit(shot: Range<Int>, plans: [TrackPlan], video: VideoRecord, final: (frames: Int, duration: Double?)?,
                        _ c: inout ShotCommits, existing: VideoRecord?) throws {
        let rows = VideoRows(video: video, shots: [shot], plans: plans,
                             cropFolder: store.relativeFolder(contentHash: c.hash, runID: c.cropRun),
                             firstShot: c.shots, firstTrack: c.tracks, embeddingModel: options.embeddingModel)
        let folder = try store.makeStaging(contentHash: c.hash, runID: c.cropRun, part: c.shots)
        c.staging = folder
        for crop in rows.crops { try write(crop.bytes, to: folder.appendingPathComponent(crop.path)) }
        if c.videoID == nil { try beforeTransaction?() }
        let first = c.videoID == nil
        let videoID = try catalog.transaction { () -> Int64 in
            if let id = c.videoID {
                guard try catalog.claimedRunID(videoID: id) == runID else { throw TakenByAnotherRun() }
                try catalog.insertContent(rows, videoID: id)
                if let final { try catalog.completeVideo(id: id, frameCount: final.frames, duration: final.duration) }
                return id
            }
            try claim(c.hash, expecting: c.expected)
            if let old = c.expected { try catalog.deleteVideo(id: old) }
            var rows = rows
            rows.video.status = final == nil ? .partial : .ok
            let id = try catalog.insert(rows)
            if final == nil { try catalog.markPartial(videoID: id, runID: runID) }
            return id
        }
        c.videoID = videoID
        Self.commitsDone += 1
        if let n = Self.killAfterCommit, Self.commitsDone == n { kill(getpid(), SIGKILL) }
        try store.publish(staging: folder, contentHash: c.hash, runID: c.cropRun)
        c.staging = nil
        c.shots += 1
        c.tracks += plans.count
        if first, let old = existing, let oldRun = old.ingestRunID, oldRun != c.cropRun {
            store.removeFinal(contentHash: c.hash, runID: oldRun)
        }
    }

    /// Ingests one video. Failures of the video itself (unreadable, truncated) are recorded in the
    /// catalog and returned; failures of the catalog throw. A video that another process
    /// ingests at the same time is ingested once: the later one reports `skippedConcurrent`.
    public func ingest(_ url: URL, quiet: Bool = false) throws -> VideoIngestResult {
        let clock = Date()
        var result = VideoIngestResult(path: url.mediaName, outcome: .ingested)
        let hash: String
        if url.isFileURL {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                result.outcome = .failed("no such file")
                return result
            }
        }
        do {
            (hash, result.readToHash) = try contentHash(of: url)
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
        // A partial video (a run committed some of its shots) is resumed after its last
        // committed shot once the run working on it is gone; while that run lives, it is skipped.
        var commits = ShotCommits(hash: hash, cropRun: runID, expected: existing?.id)
        var resumeFrom = 0
        var firstTrack = 0
        if let existing, existing.status == .partial, let id = existing.id {
            guard try catalog.transaction({ try catalog.claimPartialVideo(id: id, by: runID) }) else {
                result.outcome = .skippedConcurrent
                result.videoID = id
                return result
            }
            let point = try catalog.resumePoint(videoID: id)
            commits.videoID = id
            commits.cropRun = existing.ingestRunID ?? runID
            commits.shots = point.shots
            commits.tracks = point.tracks
            resumeFrom = point.nextFrame
            firstTrack = point.tracks
        }
        // Crops stay in memory until their shot ends, so a run killed while analysing one
        // leaves no files of it; they are written into a staging folder just before the shot's
        // transaction, and moved into place after it.
        do {
            let (video, analysis, declaredFrames) = try analyse(url, quiet: quiet, resumeFrom: resumeFrom, firstTrack: firstTrack) { shot, plans, info in
                var partial = VideoRecord(path: url.mediaName, contentHash: hash, duration: info.duration, fps: info.fps,
                                          width: info.width, height: info.height, frameCount: nil, status: .partial, ingestRunID: runID)
                partial.ingestRunID = commits.cropRun
                try commit(shot: shot, plans: plans, video: partial, final: nil, &commits, existing: existing)
            }
            result.record(analysis, video: video)
            try checkDecoded(analysis, declaredFrames: declaredFrames, url)
            var whole = video
            whole.contentHash = hash
            whole.ingestRunID = commits.cropRun
            let last = analysis.shots.last ?? 0..<analysis.frames
            try commit(shot: last, plans: analysis.plans, video: whole, final: (analysis.frames, whole.duration), &commits, existing: existing)
            result.videoID = commits.videoID
        } catch is TakenByAnotherRun {
            if let staging = commits.staging { store.discard(staging: staging) }
            result.outcome = .skippedConcurrent
            result.videoID = try catalog.video(contentHash: hash)?.id
        } catch let error as SeqError where error.file == url.mediaName || error.file == nil {
            if let staging = commits.staging { store.discard(staging: staging) }
            let reason = error.reason
            result.outcome = .failed(reason)
            do {
                result.videoID = try catalog.transaction { () -> Int64 in
                    try claim(hash, expecting: commits.videoID ?? existing?.id)
                    if let old = commits.videoID ?? existing?.id { try catalog.deleteVideo(id: old) }
                    return try catalog.insertVideo(VideoRecord(
                        path: url.mediaName, contentHash: hash, duration: nil, fps: nil, width: nil, height: nil, frameCount: nil,
                        status: .failed, failureReason: reason, ingestRunID: runID))
                }
                // The shots committed before the failure went with their rows.
                if commits.videoID != nil { store.removeFinal(contentHash: hash, runID: commits.cropRun) }
            } catch is TakenByAnotherRun {
                // Another run recorded this content meanwhile (ingested, or failed the same way).
                result.outcome = .skippedConcurrent
                result.videoID = try catalog.video(contentHash: hash)?.id
            }
        } catch {
            if let staging = commits.staging { store.discard(staging: staging) }
            throw error
        }
        result.seconds = Date().timeIntervalSince(clock)
        return result
    }

    /// The content hash of an input, and whether its bytes were read for it. A local file
    /// whose path, size and modification time the catalog remembers (`file_memory`) is not
    /// read; any other is hashed and, when it did not change while being read, remembered.
    /// A URL is read through FFmpeg (`RemoteMedia`) every time: it has no trusted size or time.
    private func contentHash(of url: URL) throws -> (String, read: Bool) {
        guard url.isFileURL else { return (try RemoteMedia.sha256(of: url), true) }
        let before = FileStamp(url)
        if let before, let known = try catalog.rememberedHash(path: url.path, size: before.size, mtimeNanoseconds: before.mtime) {
            return (known, false)
        }
        let hash = try SHA256.hex(fileAt: url)
        // A file written to while it was hashed is not remembered: its time may not change again.
        if let before, FileStamp(url) == before {
            unsavedMemory.append(RememberedFile(path: url.path, size: before.size, mtimeNanoseconds: before.mtime, contentHash: hash))
            if unsavedMemory.count >= 512 { try saveFileMemory() }
        }
        return (hash, true)
    }

    /// Hashes remembered but not yet written: they are written 512 at a time, in one
    /// transaction (one commit per file would cost more than reading a small file), and by
    /// `saveFileMemory`. Losing them to a kill only means reading those files again.
    private var unsavedMemory: [RememberedFile] = []

    /// Writes the remembered hashes not written yet; call it at the end of a run. (Not on the
    /// way out of a failed one: a full disk must leave room to mark the run failed.)
    public func saveFileMemory() throws {
        guard !unsavedMemory.isEmpty else { return }
        let files = unsavedMemory
        try catalog.transaction { for f in files { try catalog.remember(f) } }
        unsavedMemory.removeAll()
    }


    /// Decodes the video in batches of frames, measures each batch's faces in parallel and
    /// feeds the frames in order to a `VideoAnalysis`; each shot that ends goes to `commit`
    /// with its tracks. Frames before `resumeFrom` (shots a killed run committed) are decoded
    /// for the shot detector only. Returns the video's row (without content hash or run), what
    /// the analysis gave (the last shot's tracks), and the frame count the header declares.
    private func analyse(_ url: URL, quiet: Bool, resumeFrom: Int = 0, firstTrack: Int = 0,
                         commit: (Range<Int>, [TrackPlan], VideoInfo) throws -> Void) throws -> (VideoRecord, VideoAnalysis.Result, declaredFrames: Int?) {
        let reader = try VideoReader(url: url, options: VideoReaderOptions(skipNonReferenceFrames: options.skipsFrames))
        let info = reader.info
        var analysis = VideoAnalysis(options: options, firstTrack: firstTrack)
        let expected = info.declaredFrames ?? (info.duration > 0 && info.fps > 0 ? Int(info.duration * info.fps) : nil)
        let progress = ProgressReporter(url.lastPathComponent, total: expected, unit: "frames", quiet: quiet)
        // Decoding runs a batch ahead on its own thread, overlapping the analysis. With the batch
        // being measured below, at most three more batches of frames are in memory than when
        // the stages took turns (one decoding, one ready, one measuring): 65 MB at 720p.
        let frames = FramePrefetcher(reader, batchSize: options.framesPerBatch)
        defer { frames.stop() }
        // Key frames and refinement (the default) find faces in frame order; the rest of the
        // measuring still runs on the batch in parallel.
        var finder = options.usesKeyFrames
            ? KeyFrameFinder(detector: detector, keyFrameInterval: options.keyFrameInterval,
                             fullKeyFrameEvery: options.fullKeyFrameEvery) : nil
        // Measuring a batch (crops, quality, embeddings: in parallel) overlaps finding the faces
        // of the next one (in frame order, on this thread); batches are consumed in order.
        var inFlight: (frames: [VideoFrame], measured: BackgroundJob<[[MeasuredFace]]>)?
        // The index of the last frame of the batches handed to `measure` (which frames start a
        // block of `measureEvery` or `embedEvery` frames depends on the frame before).
        var lastIndexSeen = -1
        var embedderReady = false
        defer { _ = inFlight?.measured.wait() }  // never leave a job running on the way out
        /// Feeds a measured batch to the analysis, committing each shot that ends in it.
        func consume(_ batch: [VideoFrame], _ measured: [[MeasuredFace]]) throws {
            for (frame, faces) in zip(batch, measured) {
                if frame.index < resumeFrom {
                    // Inside shots a killed run committed: only the shot detector sees it (with
                    // key frames, it saw it when the faces were found).
                    if finder == nil { analysis.skip(frame: frame) }
                    continue
                }
                analysis.consume(frame: frame, faces: faces)
                // A shot that ends at the resume point is the last one committed before.
                if let ended = analysis.takeFinishedShot(), ended.shot.upperBound > resumeFrom {
                    try commit(ended.shot, ended.plans, info)
                }
            }
            progress.advance(by: batch.count, note: "faces \(analysis.detections) tracks \(analysis.tracks)")
        }
        // Which faces are embedded, decided in frame order as the faces are found.
        var schedule = EmbeddingSchedule(settledEvery: options.embedSettledEvery)
        while case let batch = try frames.nextBatch(), !batch.isEmpty {
            var found: [[FoundFace]]?
            var embeds: [[Bool]]?
            if finder != nil {
                // The shot detector sees the frames in order here: frames before the resume point
                // only feed it (`skip`), the others tell the finder where shots are cut. (Cuts
                // found here are kept for `consume`, which runs later, also in frame order.)
                var flags: [[Bool]] = []
                var before = lastIndexSeen
                found = batch.map { frame in
                    defer { before = frame.index }
                    if frame.index < resumeFrom {
                        analysis.skip(frame: frame)
                        flags.append([])
                        return []
                    }
                    let cut = analysis.cut(at: frame)
                    let faces = finder!.faces(in: frame, cut: cut)
                    flags.append(schedule.embeds(frame: frame.index, boxes: faces.map(\.detection.box),
                                                 candidate: isSampled(frame.index, after: before), cut: cut))
                    return faces
                }
                embeds = flags
            }
            // The embedding network may still be loading (`FaceIdentityEmbedder.prepare`): it is
            // needed from the first measured batch on. Its failure is the run's, not the video's.
            if !embedderReady { try embedder?.prepare(); embedderReady = true }
            let previous = lastIndexSeen
            lastIndexSeen = batch.last?.index ?? lastIndexSeen
            let job = BackgroundJob { [found, embeds] in self.measure(batch, from: resumeFrom, found: found, embeds: embeds, after: previous) }
            if let previous = inFlight {
                inFlight = nil
                try consume(previous.frames, previous.measured.wait())
            }
            inFlight = (batch, job)
        }
        if let last = inFlight {
            inFlight = nil
            try consume(last.frames, last.measured.wait())
        }
        let done = analysis.finish()
        progress.finish(note: "faces \(done.detections) tracks \(done.tracks) sequences \(done.sequences)")
        let video = VideoRecord(path: url.mediaName, contentHash: "", duration: max(info.duration, done.lastTime), fps: info.fps,
                                width: info.width, height: info.height, frameCount: done.frames)
        return (video, done, info.declaredFrames)
    }

    /// Refuses a video of which no frame, or under half of the frames its header declares,
    /// could be decoded (truncated or corrupt).
    private func checkDecoded(_ analysis: VideoAnalysis.Result, declaredFrames: Int?, _ url: URL) throws {
        guard analysis.frames > 0 else { throw SeqError("no frame could be decoded (truncated or corrupt)", file: url.mediaName) }
        if let declared = declaredFrames, analysis.frames < declared / 2 {
            throw SeqError("truncated: decoded \(analysis.frames) of \(declared) frames", file: url.mediaName)
        }
    }

    /// Measures the faces of the frames of a batch that are to be detected (`detectEvery`),
    /// `workers` frames at a time; other frames, and frames before `first`, get none.
    /// With `found` (the faces `KeyFrameFinder` found on each frame), those are measured instead
    /// of detecting again, and `embeds` (`EmbeddingSchedule`) says which of them are embedded;
    /// without, the faces of every `embedEvery`-th detected frame are (`isSampled`).
    private func measure(_ frames: [VideoFrame], from first: Int = 0, found: [[FoundFace]]? = nil, embeds: [[Bool]]? = nil,
                         after previous: Int) -> [[MeasuredFace]] {
        var out = [[MeasuredFace]](repeating: [], count: frames.count)
        // The index of the frame before each one (the decoder may have dropped frames between).
        let before = frames.indices.map { $0 == 0 ? previous : frames[$0 - 1].index }
        let measured = frames.indices.map { isMeasured(frames[$0].index, after: before[$0]) }
        let detected = found.map { f in frames.indices.filter { !f[$0].isEmpty && measured[$0] } }
            ?? frames.indices.filter { frames[$0].index >= first && frames[$0].index % options.detectEvery == 0 }
        // Faces found on frames that are not measured join their tracks with their boxes only.
        if let found {
            for i in frames.indices where !found[i].isEmpty && !measured[i] {
                out[i] = found[i].map(MeasuredFace.unmeasured)
            }
        }
        let workers = min(max(options.workers, 1), IngestOptions.maxWorkers, detected.count)
        guard workers > 0 else { return out }
        out.withUnsafeMutableBufferPointer { results in
            let buffer = results
            // Worker w takes every workers-th frame to detect, from the w-th on.
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for k in stride(from: w, to: detected.count, by: workers) {
                    let i = detected[k]
                    let sampled = embeds == nil && isSampled(frames[i].index, after: before[i])
                    buffer[i] = measureFaces(in: frames[i].image, found: found?[i], embed: embeds?[i] ?? (sampled ? nil : []))
                }
            }
        }
        return out
    }

    /// Whether the faces found on a frame are measured (key frames and refinement only:
    /// `IngestOptions.measureEvery`): the first frame decoded of each block of `measureEvery`
    /// frames, which is every Nth frame when every frame is decoded.
    private func isMeasured(_ frameIndex: Int, after previous: Int) -> Bool {
        Self.startsBlock(frameIndex, after: previous, every: options.measureEvery)
    }

    /// Whether the faces of a detected frame are embedded: every `embedEvery`-th detected frame
    /// (with key frames, the first decoded frame of each block of `embedEvery`, which
    /// `EmbeddingSchedule` then embeds or not). With key frames only measured frames are
    /// embedded (`isMeasured`), so with `measureEvery` 2 an odd `embedEvery` embeds about every
    /// `2 * embedEvery`-th frame.
    private func isSampled(_ frameIndex: Int, after previous: Int) -> Bool {
        guard embedder != nil else { return false }
        guard options.usesKeyFrames else { return frameIndex % (max(options.detectEvery, 1) * max(options.embedEvery, 1)) == 0 }
        return Self.startsBlock(frameIndex, after: previous, every: options.embedEvery) && isMeasured(frameIndex, after: previous)
    }

    /// True when `frameIndex` is the first frame at or after a multiple of `every`, given the
    /// frame before it (-1: none): with frames dropped by the decoder, the block's first frame
    /// stands in for its multiple.
    static func startsBlock(_ frameIndex: Int, after previous: Int, every: Int) -> Bool {
        let n = max(every, 1)
        return previous < 0 || frameIndex / n > previous / n
    }

    /// Detects the faces of one frame, aligns each, and measures its quality, duplicate
    /// signature and hash, and encodes its crop (and thumbnail) as JPEG. With `found`, those
    /// faces are measured instead of detecting. `embed`: which faces to embed, one flag per face
    /// (empty: none; nil: all), all of them in one batch, less those that fail a quality floor
    /// where no faces are near each other.
    private func measureFaces(in image: Image, found: [FoundFace]? = nil, embed: [Bool]?) -> [MeasuredFace] {
        let thumb = options.droppedThumbnailSize
        let faces = found ?? detector.detect(image).map { FoundFace(detection: $0, source: .detected) }
        var measured = faces.map { f in
            let d = f.detection
            let crop = cropper(image, d)
            let q = FaceQuality(detection: d, alignedCrop: crop)
            let jpeg = (try? ImageIO.encodeJPEG(crop, quality: options.jpegQuality)) ?? Data()
            var small: Data?
            if thumb > 0 { small = try? ImageIO.encodeJPEG(crop.resizedArea(width: thumb, height: thumb), quality: 80) }
            return MeasuredFace(detection: d, quality: q, signature: DuplicateSignature(alignedCrop: crop),
                                hash: PerceptualHash.dHash(crop),
                                jpeg: jpeg, thumbnail: small, embedding: nil, source: f.source)
        }
        let wanted = embed.map { flags in measured.indices.filter { $0 < flags.count && flags[$0] } } ?? Array(measured.indices)
        if let embedder, !wanted.isEmpty {
            // Faces that fail a quality floor can never be kept, and their embeddings are the
            // least reliable: they are embedded only where faces are near each other, where
            // the tracker needs every face's identity to keep people who cross apart.
            let near = EmbeddingSchedule.hasNearFaces(faces.map(\.detection.box))
            let floors = SequenceSelector(options: options.selection)
            let chosen = wanted.filter { near || floors.floorReason(measured[$0].quality) == nil }
            if !chosen.isEmpty {
                let vectors = embedder.embed(image, chosen.map { faces[$0].detection })
                if vectors.count == chosen.count {
                    for (i, v) in zip(chosen, vectors) { measured[i].embedding = v }
                }
            }
        }
        return measured
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

/// Size and modification time of a file, as `file_memory` remembers them.
struct FileStamp: Equatable {
    var size: Int64
    /// Nanoseconds since 1970.
    var mtime: Int64

    init?(_ url: URL) {
        var st = stat()
        guard stat(url.path, &st) == 0 else { return nil }
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }
}
