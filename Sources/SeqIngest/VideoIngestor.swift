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
}

/// Runs the ingest pipeline on one video at a time: decode, shot cuts, MTCNN, tracking, quality,
/// sequence selection, crops, and one catalog transaction per video.
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

    /// A face measured when its frame was at hand: the frame itself is not kept.
    struct MeasuredFace {
        var detection: FaceDetection
        var quality: FaceQuality
        var signature: DuplicateSignature
        var hash: UInt64
        var jpeg: Data
        var thumbnail: Data?
    }

    /// Measured faces by frame, in frame order, until the tracks that use them are handed out.
    struct PendingFaces {
        private var frames: [Int] = []
        private var faces: [[MeasuredFace]] = []
        private var start = 0

        mutating func append(frame: Int, faces new: [MeasuredFace]) {
            frames.append(frame)
            faces.append(new)
        }

        func faces(at frame: Int) -> [MeasuredFace] {
            var lo = start, hi = frames.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if frames[mid] < frame { lo = mid + 1 } else { hi = mid }
            }
            return lo < frames.count && frames[lo] == frame ? faces[lo] : []
        }

        /// Forgets frames before `frame`; storage is compacted once half of it is dead.
        mutating func drop(before frame: Int) {
            while start < frames.count && frames[start] < frame {
                faces[start] = []
                start += 1
            }
            if start > 256 && start * 2 > frames.count {
                frames.removeFirst(start)
                faces.removeFirst(start)
                start = 0
            }
        }
    }

    /// A finished track with everything its catalog rows need.
    struct TrackPlan {
        var track: FaceTrack
        var faces: [PlannedFace]
        var isSequence: Bool
    }

    struct PlannedFace {
        var observation: TrackObservation
        /// Quality and crop hash of a detected (not interpolated) face; the crop itself is gone.
        var quality: FaceQuality?
        var hash: UInt64?
        var reason: FaceSelectionReason
        /// Relative to the video's crop folder.
        var cropPath: String?
        var cropBytes: Data?
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
        // Crops stay in memory until the video is done, so a run killed while analysing leaves no files.
        var staging: URL?
        do {
            let (video, plans, shots) = try process(url, result: &result, quiet: quiet)
            let folder = try store.makeStaging(contentHash: hash, runID: runID)
            staging = folder
            for plan in plans {
                for face in plan.faces {
                    if let path = face.cropPath, let bytes = face.cropBytes { try write(bytes, to: folder.appendingPathComponent(path)) }
                }
            }
            try beforeTransaction?()
            let videoID = try catalog.transaction { () -> Int64 in
                try claim(hash, sawAtStart: existing)
                if let old = existing?.id { try catalog.deleteVideo(id: old) }
                var record = video
                record.contentHash = hash
                record.ingestRunID = runID
                let videoID = try catalog.insertVideo(record)
                let shotIDs = try catalog.insertShots(shots.enumerated().map { i, r in
                    ShotRecord(videoID: videoID, index: i, firstFrame: r.lowerBound, lastFrame: r.upperBound - 1)
                })
                let folder = store.relativeFolder(contentHash: hash, runID: runID)
                for (index, plan) in plans.enumerated() {
                    let t = plan.track
                    let shotIndex = shots.firstIndex { $0.contains(t.firstFrame) }
                    let trackID = try catalog.insertTrack(TrackRecord(
                        videoID: videoID, shotID: shotIndex.map { shotIDs[$0] }, index: index,
                        firstFrame: t.firstFrame, lastFrame: t.lastFrame, faceCount: t.observations.count,
                        meanBoxWidth: t.meanBoxWidth, meanBoxHeight: t.meanBoxHeight, meanScore: t.meanScore,
                        minScore: t.observations.map(\.detection.score).min() ?? 0,
                        maxCenterStep: Self.maxCenterStep(t)))
                    try catalog.insertFaces(plan.faces.map { f in
                        let d = f.observation.detection
                        let q = f.quality ?? FaceQuality(score: d.score, eyeDistance: FaceQuality.eyeDistance(d), sharpness: 0,
                                                                   yaw: FaceQuality.yaw(d), roll: FaceQuality.roll(d))
                        return FaceRecord(
                            trackID: trackID, videoID: videoID, frameIndex: f.observation.frameIndex, time: f.observation.time,
                            x1: d.box.x1, y1: d.box.y1, x2: d.box.x2, y2: d.box.y2,
                            landmarks: d.landmarks.flatMap { [$0.x, $0.y] }, score: d.score,
                            interpolated: f.observation.interpolated, eyeDistance: q.eyeDistance,
                            sharpness: f.quality == nil ? nil : q.sharpness, yaw: q.yaw, roll: q.roll,
                            cropPath: f.cropPath.map { "\(folder)/\($0)" }, cropHash: f.hash,
                            reason: FaceReason(rawValue: f.reason.rawValue))
                    })
                    if plan.isSequence {
                        let kept = plan.faces.filter { $0.reason == .kept }
                        try catalog.insertSequence(SequenceRecord(
                            trackID: trackID, videoID: videoID, faceCount: kept.count,
                            firstFrame: kept.first?.observation.frameIndex ?? t.firstFrame,
                            lastFrame: kept.last?.observation.frameIndex ?? t.lastFrame))
                    }
                }
                return videoID
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

    private static func maxCenterStep(_ t: FaceTrack) -> Float {
        var best: Float = 0
        for (a, b) in zip(t.observations, t.observations.dropFirst()) {
            let ca = a.detection.box.center, cb = b.detection.box.center
            best = max(best, ((ca.x - cb.x) * (ca.x - cb.x) + (ca.y - cb.y) * (ca.y - cb.y)).squareRoot())
        }
        return best
    }

    /// Decodes and analyses the video; writes crops into `staging`; returns the rows to insert.
    private func process(_ url: URL, result: inout VideoIngestResult, quiet: Bool)
        throws -> (VideoRecord, [TrackPlan], [Range<Int>]) {
        let reader = try VideoReader(url: url)
        let info = reader.info
        var shotDetector = ShotDetector(options: options.shots)
        var trackerOptions = options.tracker
        // Frames that are not detected count as missed: widen the gap by the detection stride.
        trackerOptions.maxGap += max(options.detectEvery - 1, 0)
        var tracker = FaceTracker(options: trackerOptions)
        let selector = SequenceSelector(options: options.selection)
        var pending = PendingFaces()
        var plans: [TrackPlan] = []
        let name = url.lastPathComponent
        let progress = ProgressReporter(name, total: info.declaredFrames ?? (info.duration > 0 && info.fps > 0 ? Int(info.duration * info.fps) : nil),
                                        unit: "frames", quiet: quiet)
        var lastFrame = -1
        var lastTime = 0.0

        func finishTracks(_ tracks: [FaceTrack]) throws {
            for var track in tracks {
                if options.detectEvery > 1 { track = track.filledByInterpolation() }
                let measured: [MeasuredFace?] = track.observations.map { o in
                    o.interpolated ? nil : pending.faces(at: o.frameIndex).first { $0.detection == o.detection }
                }
                let blank = DuplicateSignature(alignedCrop: Image(width: 16, height: 16, channels: 1))
                let candidates = zip(track.observations, measured).map { o, m -> SelectionCandidate in
                    if let m {
                        return SelectionCandidate(frameIndex: o.frameIndex, time: o.time, interpolated: o.interpolated,
                                                  quality: m.quality, signature: m.signature)
                    }
                    let d = o.detection
                    return SelectionCandidate(frameIndex: o.frameIndex, time: o.time, interpolated: true,
                                              quality: FaceQuality(score: d.score, eyeDistance: FaceQuality.eyeDistance(d), sharpness: 0,
                                                                   yaw: FaceQuality.yaw(d), roll: FaceQuality.roll(d)),
                                              signature: blank)
                }
                let selection = selector.select(candidates)
                let trackIndex = plans.count
                // Thumbnails of dropped faces are for the report's contact sheets, which show a
                // sample: keeping a bounded, time-spread set keeps memory per track bounded too.
                let dropped = measured.indices.filter { measured[$0]?.thumbnail != nil && selection.reasons[$0] != .kept }
                let step = max(1, (dropped.count + options.maxDroppedThumbnails - 1) / max(options.maxDroppedThumbnails, 1))
                let shown = options.maxDroppedThumbnails > 0 ? Set(stride(from: 0, to: dropped.count, by: step).map { dropped[$0] }) : []
                var faces: [PlannedFace] = []
                for (i, o) in track.observations.enumerated() {
                    let reason = selection.reasons[i]
                    var face = PlannedFace(observation: o, quality: measured[i]?.quality, hash: measured[i]?.hash, reason: reason)
                    if let m = measured[i] {
                        if reason == .kept {
                            face.cropPath = String(format: "t%03d_f%06d.jpg", trackIndex, o.frameIndex)
                            face.cropBytes = m.jpeg
                        } else if shown.contains(i), let thumb = m.thumbnail {
                            face.cropPath = String(format: "dropped/t%03d_f%06d.jpg", trackIndex, o.frameIndex)
                            face.cropBytes = thumb
                        }
                    }
                    faces.append(face)
                }
                plans.append(TrackPlan(track: track, faces: faces, isSequence: selection.isSequence))
                result.tracks += 1
                if selection.isSequence {
                    result.sequences += 1
                    result.keptFaces += selection.kept.count
                }
            }
            // Faces of frames before every open track belonged to tracks already handed out
            // (or dropped as short): free them, so memory follows the open tracks, not the video.
            pending.drop(before: tracker.oldestOpenFrame ?? Int.max)
        }

        var batch: [VideoFrame] = []
        func runBatch() throws {
            guard !batch.isEmpty else { return }
            let measuredFaces = measure(batch)
            for (frame, faces) in zip(batch, measuredFaces) {
                let cut = shotDetector.feed(frameIndex: frame.index, image: frame.image)
                let detected = frame.index % options.detectEvery == 0
                if detected || cut {
                    if !faces.isEmpty { pending.append(frame: frame.index, faces: faces) }
                    tracker.update(frameIndex: frame.index, time: frame.time, detections: faces.map(\.detection), cut: cut)
                    try finishTracks(tracker.takeFinishedTracks())
                }
                result.detections += faces.count
                lastFrame = frame.index
                lastTime = frame.time
            }
            result.frames += batch.count
            progress.advance(by: batch.count, note: "faces \(result.detections) tracks \(result.tracks)")
            batch.removeAll(keepingCapacity: true)
        }
        while let frame = try reader.nextFrame() {
            batch.append(frame)
            if batch.count >= options.batchSize { try runBatch() }
        }
        try runBatch()
        try finishTracks(tracker.finish())
        progress.finish(note: "faces \(result.detections) tracks \(result.tracks) sequences \(result.sequences)")
        guard result.frames > 0 else { throw SeqError("no frame could be decoded (truncated or corrupt)", file: url.path) }
        if let declared = info.declaredFrames, result.frames < declared / 2 {
            throw SeqError("truncated: decoded \(result.frames) of \(declared) frames", file: url.path)
        }
        var shots = shotDetector.shots
        if shots.isEmpty { shots = [0..<(lastFrame + 1)] }
        result.shots = shots.count
        result.videoDuration = max(info.duration, lastTime)
        let video = VideoRecord(path: url.path, contentHash: "", duration: result.videoDuration, fps: info.fps,
                                width: info.width, height: info.height, frameCount: result.frames)
        return (video, plans, shots)
    }

    /// Detects, aligns and measures the faces of a batch of frames on `workers` threads.
    private func measure(_ frames: [VideoFrame]) -> [[MeasuredFace]] {
        var out = [[MeasuredFace]](repeating: [], count: frames.count)
        let every = options.detectEvery
        let quality = options.jpegQuality
        let thumb = options.droppedThumbnailSize
        out.withUnsafeMutableBufferPointer { results in
            let buffer = results
            DispatchQueue.concurrentPerform(iterations: frames.count) { i in
                let frame = frames[i]
                guard frame.index % every == 0 else { return }
                let detections = detector.detect(frame.image)
                buffer[i] = detections.map { d in
                    let crop = cropper(frame.image, d)
                    let q = FaceQuality(detection: d, alignedCrop: crop)
                    let jpeg = (try? ImageIO.encodeJPEG(crop, quality: quality)) ?? Data()
                    var small: Data?
                    if thumb > 0 { small = try? ImageIO.encodeJPEG(crop.resizedArea(width: thumb, height: thumb), quality: 80) }
                    return MeasuredFace(detection: d, quality: q, signature: DuplicateSignature(alignedCrop: crop),
                                        hash: PerceptualHash.dHash(crop),
                                        jpeg: jpeg, thumbnail: small)
                }
            }
        }
        return out
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
