import Foundation
import SeqCatalog
import SeqDetect
import SeqMedia
import SeqTrack

/// A face measured when its frame was at hand: the frame itself is not kept.
struct MeasuredFace {
    var detection: FaceDetection
    var quality: FaceQuality
    var signature: DuplicateSignature
    var hash: UInt64
    var jpeg: Data
    var thumbnail: Data?
    /// Found by full detection or by refinement.
    var source: FaceSource = .detected
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
    /// How a measured face was found (nil for interpolated ones).
    var source: FaceSource?
}

/// The in-order half of a video's ingest. Fed every frame with the faces measured on it, it
/// cuts shots, links faces into tracks, selects each finished track's sequence and plans its
/// faces and crops (`TrackPlan`). It neither decodes, nor detects, nor writes anything.
struct VideoAnalysis {
    /// What a whole video gave.
    struct Result {
        /// Finished tracks in the order they finished (their index in the video).
        var plans: [TrackPlan]
        /// Frame ranges of the shots; one shot over every frame when no cut was found.
        var shots: [Range<Int>]
        /// Frames consumed, and faces detected on them.
        var frames: Int
        var detections: Int
        /// Tracks that gave a sequence, and the faces they kept.
        var sequences: Int
        var keptFaces: Int
        /// Time of the last frame, in seconds.
        var lastTime: Double
        var tracks: Int { plans.count }
    }

    private let options: IngestOptions
    private var shotDetector: ShotDetector
    private var tracker: FaceTracker
    private let selector: SequenceSelector
    /// Faces of frames that open tracks may still use.
    private var pending = PendingFaces()
    private var plans: [TrackPlan] = []
    private(set) var frames = 0
    private(set) var detections = 0
    private(set) var sequences = 0
    private(set) var keptFaces = 0
    private var lastFrame = -1
    private var lastTime = 0.0
    var tracks: Int { plans.count }

    init(options: IngestOptions) {
        self.options = options
        shotDetector = ShotDetector(options: options.shots)
        var trackerOptions = options.tracker
        // Frames that are not detected count as missed: widen the gap by the detection stride.
        trackerOptions.maxGap += max(options.detectEvery - 1, 0)
        tracker = FaceTracker(options: trackerOptions)
        selector = SequenceSelector(options: options.selection)
    }

    /// Cuts found ahead of `consume` by `cut(at:)`, by frame index.
    private var cutsAhead: [Int: Bool] = [:]

    /// Feeds `frame` to the shot detector now and says whether a new shot starts at it, for
    /// callers that must know before detecting (key frames at cuts); `consume` then takes this
    /// answer instead of feeding the frame again. Frames in order, each at most once.
    mutating func cut(at frame: VideoFrame) -> Bool {
        let cut = shotDetector.feed(frameIndex: frame.index, image: frame.image)
        cutsAhead[frame.index] = cut
        return cut
    }

    /// Takes the next frame (in decoding order) with the faces `VideoIngestor` measured on it
    /// (none on frames that are not detected, see `IngestOptions.detectEvery`).
    mutating func consume(frame: VideoFrame, faces: [MeasuredFace]) {
        let cut = cutsAhead.removeValue(forKey: frame.index) ?? shotDetector.feed(frameIndex: frame.index, image: frame.image)
        let detected = frame.index % options.detectEvery == 0
        if detected || cut {
            if !faces.isEmpty { pending.append(frame: frame.index, faces: faces) }
            tracker.update(frameIndex: frame.index, time: frame.time, detections: faces.map(\.detection), cut: cut)
            plan(tracker.takeFinishedTracks())
        }
        detections += faces.count
        frames += 1
        lastFrame = frame.index
        lastTime = frame.time
    }

    /// Ends the video: the tracks still open are finished and planned. Nothing is to be
    /// consumed afterwards.
    mutating func finish() -> Result {
        plan(tracker.finish())
        var shots = shotDetector.shots
        if shots.isEmpty { shots = [0..<(lastFrame + 1)] }
        return Result(plans: plans, shots: shots, frames: frames, detections: detections, sequences: sequences,
                      keptFaces: keptFaces, lastTime: lastTime)
    }

    /// Selects the sequence of each finished track and plans its faces.
    private mutating func plan(_ finished: [FaceTrack]) {
        for var track in finished {
            if options.detectEvery > 1 { track = track.filledByInterpolation() }
            let measured: [MeasuredFace?] = track.observations.map { o in
                o.interpolated ? nil : pending.faces(at: o.frameIndex).first { $0.detection == o.detection }
            }
            let selection = selector.select(Self.candidates(track, measured))
            let faces = plannedFaces(track, measured, selection, trackIndex: plans.count)
            plans.append(TrackPlan(track: track, faces: faces, isSequence: selection.isSequence))
            if selection.isSequence {
                sequences += 1
                keptFaces += selection.kept.count
            }
        }
        // Faces of frames before every open track belonged to tracks already handed out
        // (or dropped as short): free them, so memory follows the open tracks, not the video.
        pending.drop(before: tracker.oldestOpenFrame ?? Int.max)
    }

    /// What sequence selection sees of each face: measured quality, or for a face that was
    /// not measured (interpolated) the quality its box and landmarks give, with no sharpness.
    private static func candidates(_ track: FaceTrack, _ measured: [MeasuredFace?]) -> [SelectionCandidate] {
        let blank = DuplicateSignature(alignedCrop: Image(width: 16, height: 16, channels: 1))
        return zip(track.observations, measured).map { o, m -> SelectionCandidate in
            if let m {
                return SelectionCandidate(frameIndex: o.frameIndex, time: o.time, interpolated: o.interpolated,
                                          quality: m.quality, signature: m.signature)
            }
            return SelectionCandidate(frameIndex: o.frameIndex, time: o.time, interpolated: true,
                                      quality: FaceQuality(detection: o.detection, sharpness: 0), signature: blank)
        }
    }

    /// The faces of a track with their reasons and the crops to keep: the JPEG of each kept
    /// face, and thumbnails of a sample of dropped ones.
    private func plannedFaces(_ track: FaceTrack, _ measured: [MeasuredFace?], _ selection: SequenceSelection,
                              trackIndex: Int) -> [PlannedFace] {
        // Thumbnails of dropped faces are for the report's contact sheets, which show a
        // sample: keeping a bounded, time-spread set keeps memory per track bounded too.
        let dropped = measured.indices.filter { measured[$0]?.thumbnail != nil && selection.reasons[$0] != .kept }
        let step = max(1, (dropped.count + options.maxDroppedThumbnails - 1) / max(options.maxDroppedThumbnails, 1))
        let shown = options.maxDroppedThumbnails > 0 ? Set(stride(from: 0, to: dropped.count, by: step).map { dropped[$0] }) : []
        return track.observations.enumerated().map { i, o in
            let reason = selection.reasons[i]
            var face = PlannedFace(observation: o, quality: measured[i]?.quality, hash: measured[i]?.hash, reason: reason)
            if let m = measured[i] {
                face.source = m.source
                if reason == .kept {
                    face.cropPath = String(format: "t%03d_f%06d.jpg", trackIndex, o.frameIndex)
                    face.cropBytes = m.jpeg
                } else if shown.contains(i), let thumb = m.thumbnail {
                    face.cropPath = String(format: "dropped/t%03d_f%06d.jpg", trackIndex, o.frameIndex)
                    face.cropBytes = thumb
                }
            }
            return face
        }
    }
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
