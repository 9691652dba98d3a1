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
    /// The identity embedding, on the frames sampled for one (`IngestOptions.embedEvery`).
    var embedding: [Float]?
    /// Found by full detection or by refinement.
    var source: FaceSource = .detected
    /// False for a face found on a frame that is not measured (`IngestOptions.measureEvery`):
    /// it joins its track, but has no crop, sharpness, signature or hash.
    var measured = true

    /// A face found on a frame that is not measured: its box and landmarks only.
    static func unmeasured(_ found: FoundFace) -> MeasuredFace {
        MeasuredFace(detection: found.detection, quality: FaceQuality(detection: found.detection, sharpness: 0),
                     signature: unmeasuredSignature, hash: 0, jpeg: Data(), thumbnail: nil, embedding: nil,
                     source: found.source, measured: false)
    }

    /// The signature of faces that have none (never compared: such faces are not kept).
    static let unmeasuredSignature = DuplicateSignature(alignedCrop: Image(width: 16, height: 16, channels: 1))
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
    /// The face's identity embedding, when it was sampled.
    var embedding: [Float]? { observation.embedding }
    /// How a measured face was found (nil for interpolated ones).
    var source: FaceSource?
}

/// The in-order half of a video's ingest. Fed every frame with the faces measured on it, it
/// cuts shots, links faces into tracks, selects each finished track's sequence and plans its
/// faces and crops (`TrackPlan`). It neither decodes, nor detects, nor writes anything.
///
/// With embeddings (`IngestOptions.embeddingModel` set), finished tracks are held until their
/// shot ends, so that one person's fragments can be joined (`TrackJoiner`) before sequences
/// are selected; tracks shorter than `minTrack` are dropped after joining, not before.
struct VideoAnalysis {
    /// What a whole video gave.
    struct Result {
        /// Finished tracks not handed out by `takeFinishedShot`, in the order they finished.
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
        /// Tracks of the video (handed out or not; on a resumed video, with those committed before).
        var tracks: Int
    }

    private let options: IngestOptions
    private var shotDetector: ShotDetector
    private var tracker: FaceTracker
    private let selector: SequenceSelector
    private let joiner: TrackJoiner
    /// Whether faces carry embeddings, and so tracks are joined per shot.
    private let identity: Bool
    /// Finished tracks of the current shot, waiting for it to end (identity only).
    private var held: [FaceTrack] = []
    /// Tracks dropped after joining for spanning fewer than `minTrack` frames.
    private(set) var droppedShort = 0
    /// Faces of frames that open tracks may still use.
    private var pending = PendingFaces()
    private var plans: [TrackPlan] = []
    private(set) var frames = 0
    private(set) var detections = 0
    private(set) var sequences = 0
    private(set) var keptFaces = 0
    private var lastFrame = -1
    /// The runs of frames the decoder dropped (`IngestOptions.skipsFrames`), in order; those
    /// before every open track are forgotten.
    private var dropped: [Range<Int>] = []
    private var lastTime = 0.0
    /// Tracks handed out by `takeFinishedShot` (and, on a resumed video, committed before).
    private var handedOut = 0
    /// Time of the first frame of the current shot (for `IngestOptions.maxShotSeconds`).
    private var shotStartTime: Double?
    private var shotStartFrame: Int?
    /// Set by `consume`/`skip` when a shot ended at the frame just fed: the shot's frames.
    private var endedShot: Range<Int>?
    var tracks: Int { handedOut + plans.count }

    /// - Parameter firstTrack: the index of the first track planned here (on a video resumed
    ///   after its committed shots: the tracks committed so far).
    init(options: IngestOptions, firstTrack: Int = 0) {
        self.options = options
        handedOut = firstTrack
        shotDetector = ShotDetector(options: options.shots)
        var trackerOptions = options.tracker
        // Frames that are not detected count as missed: widen the gap by the detection stride.
        trackerOptions.maxGap += max(options.detectEvery - 1, 0)
        identity = options.embeddingModel != nil
        // Short fragments may join others: the length floor is applied after joining.
        if identity { trackerOptions.minTrack = 1 }
        tracker = FaceTracker(options: trackerOptions)
        selector = SequenceSelector(options: options.selection)
        joiner = TrackJoiner(options: options.join)
    }

    /// Cuts found ahead of `consume` by `cut(at:)`, by frame index, with the shot each ended.
    private var cutsAhead: [Int: (cut: Bool, ended: Range<Int>?)] = [:]

    /// Feeds `frame` to the shot detector now and says whether a new shot starts at it, for
    /// callers that must know before detecting (key frames at cuts); `consume` then takes this
    /// answer (and the shot it ends) instead of feeding the frame again. Frames in order, each
    /// at most once.
    mutating func cut(at frame: VideoFrame) -> Bool {
        let found = detectCut(frame)
        cutsAhead[frame.index] = found
        return found.cut
    }

    /// Takes the next frame (in decoding order) with the faces `VideoIngestor` measured on it
    /// (none on frames that are not detected, see `IngestOptions.detectEvery`).
    mutating func consume(frame: VideoFrame, faces: [MeasuredFace]) {
        let cut = feedShotDetector(frame)
        let detected = frame.index % options.detectEvery == 0
        if detected || cut {
            if !faces.isEmpty { pending.append(frame: frame.index, faces: faces) }
            tracker.update(frameIndex: frame.index, time: frame.time, detections: faces.map(\.detection),
                           embeddings: identity ? faces.map(\.embedding) : [], cut: cut)
            let finished = tracker.takeFinishedTracks()
            if !identity {
                plan(finished)
            } else {
                // On a cut every track that finished belongs to the shot that just ended.
                held += finished
                if cut { planShot() } else { planSettled(at: frame.index) }
            }
        }
        detections += faces.count
        advance(to: frame)
    }

    /// Counts the frame and the frames the decoder dropped before it (`IngestOptions.skipsFrames`),
    /// remembering those so that `plan` fills them in.
    private mutating func advance(to frame: VideoFrame) {
        if frame.index > lastFrame + 1 && lastFrame >= 0 { dropped.append((lastFrame + 1)..<frame.index) }
        frames += lastFrame >= 0 ? max(1, frame.index - lastFrame) : 1
        lastFrame = frame.index
        lastTime = frame.time
    }

    /// Takes a frame of a resumed video that lies before its resume point (inside shots already
    /// committed): only the shot detector sees it, so that its state, and the cuts it finds
    /// from the resume point on, are those of a run that never stopped.
    mutating func skip(frame: VideoFrame) {
        _ = feedShotDetector(frame)
        endedShot = nil
        advance(to: frame)
    }

    /// Feeds the shot detector, ending a shot that has run `maxShotSeconds` at this frame.
    private mutating func feedShotDetector(_ frame: VideoFrame) -> Bool {
        let found = cutsAhead.removeValue(forKey: frame.index) ?? detectCut(frame)
        if let ended = found.ended { endedShot = ended }
        return found.cut
    }

    /// Feeds the shot detector; says whether a shot starts at `frame` and which shot that ends.
    private mutating func detectCut(_ frame: VideoFrame) -> (cut: Bool, ended: Range<Int>?) {
        let forced = shotStartTime.map { frame.time - $0 >= options.maxShotSeconds } ?? false
        let cut = shotDetector.feed(frameIndex: frame.index, image: frame.image, forceCut: forced)
        var ended: Range<Int>?
        if cut, let start = shotStartFrame { ended = start..<frame.index }
        if cut || shotStartTime == nil {
            shotStartTime = frame.time
            shotStartFrame = frame.index
        }
        return (cut, ended)
    }

    /// The shot that ended at the frame just consumed, with the tracks of it not handed out
    /// yet (a cut ends every track, so these are all of them); nil when no shot ended there.
    mutating func takeFinishedShot() -> (shot: Range<Int>, plans: [TrackPlan])? {
        guard let shot = endedShot else { return nil }
        endedShot = nil
        defer { handedOut += plans.count; plans.removeAll() }
        return (shot, plans)
    }

    /// Ends the video: the tracks still open are finished and planned. Nothing is to be
    /// consumed afterwards.
    mutating func finish() -> Result {
        if identity {
            held += tracker.finish()
            planShot()
        } else {
            plan(tracker.finish())
        }
        var shots = shotDetector.shots
        if shots.isEmpty { shots = [0..<(lastFrame + 1)] }
        return Result(plans: plans, shots: shots, frames: frames, detections: detections, sequences: sequences,
                      keptFaces: keptFaces, lastTime: lastTime, tracks: tracks)
    }

    /// Joins the fragments of the shot that ended, drops chains still too short, and plans the rest.
    private mutating func planShot() {
        let chains = joiner.join(held).tracks
        held = []
        planLong(chains)
    }

    /// Within a shot: plans the held chains that no later fragment can join any more (the
    /// join's `maxGap` has passed since their last face, for the frames to come and for every
    /// open track), so that a long shot does not hold all its faces until it ends.
    private mutating func planSettled(at frameIndex: Int) {
        guard let maxGap = options.join.maxGap, !held.isEmpty,
              held.contains(where: { frameIndex - $0.lastFrame - 1 > maxGap }) else { return }
        let chains = joiner.join(held).tracks
        let openStarts = tracker.openTrackFirstFrames
        func settled(_ c: FaceTrack) -> Bool {
            frameIndex - c.lastFrame - 1 > maxGap
                && openStarts.allSatisfy { $0 <= c.lastFrame || $0 - c.lastFrame - 1 > maxGap }
        }
        held = chains.filter { !settled($0) }
        planLong(chains.filter(settled))
    }

    private mutating func planLong(_ chains: [FaceTrack]) {
        let long = chains.filter { $0.frameSpan >= options.tracker.minTrack }
        droppedShort += chains.count - long.count
        plan(long)
    }

    /// Selects the sequence of each finished track and plans its faces.
    private mutating func plan(_ finished: [FaceTrack]) {
        for var track in finished {
            // Joined fragments keep the frames between them empty: only the gaps the tracker
            // itself bridges are filled.
            if options.detectEvery > 1 {
                track = identity ? track.filledByInterpolation(maxMissing: options.tracker.maxGap + options.detectEvery - 1)
                                 : track.filledByInterpolation()
            } else if !dropped.isEmpty {
                // Frames the decoder dropped get the face between its neighbours; frames that
                // were decoded and had no face of the track stay empty.
                track = track.filledByInterpolation { gap in wasDropped(gap) }
            }
            let measured: [MeasuredFace?] = track.observations.map { o in
                o.interpolated ? nil : pending.faces(at: o.frameIndex).first { $0.detection == o.detection }
            }
            let selection = selector.select(Self.candidates(track, measured))
            let faces = plannedFaces(track, measured, selection, trackIndex: handedOut + plans.count)
            plans.append(TrackPlan(track: track, faces: faces, isSequence: selection.isSequence))
            if selection.isSequence {
                sequences += 1
                keptFaces += selection.kept.count
            }
        }
        // Faces of frames before every open track belonged to tracks already handed out
        // (or dropped as short): free them, so memory follows the open tracks, not the video.
        let oldestHeld = held.map(\.firstFrame).min() ?? Int.max
        let oldest = min(tracker.oldestOpenFrame ?? Int.max, oldestHeld)
        pending.drop(before: oldest)
        if let keep = dropped.firstIndex(where: { $0.upperBound > oldest }) { dropped.removeFirst(keep) } else { dropped.removeAll() }
    }

    /// True when every frame of `gap` was dropped by the decoder (the runs are maximal: a gap
    /// between two decoded frames is either one whole run or holds a decoded frame).
    private func wasDropped(_ gap: Range<Int>) -> Bool {
        var lo = 0, hi = dropped.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if dropped[mid].upperBound <= gap.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        return lo < dropped.count && dropped[lo].lowerBound <= gap.lowerBound && dropped[lo].upperBound >= gap.upperBound
    }

    /// What sequence selection sees of each face: measured quality, or for a face that was
    /// not measured (interpolated) the quality its box and landmarks give, with no sharpness.
    private static func candidates(_ track: FaceTrack, _ measured: [MeasuredFace?]) -> [SelectionCandidate] {
        let blank = MeasuredFace.unmeasuredSignature
        return zip(track.observations, measured).map { o, m -> SelectionCandidate in
            if let m {
                return SelectionCandidate(frameIndex: o.frameIndex, time: o.time, interpolated: o.interpolated,
                                          quality: m.quality, signature: m.signature, embedding: o.embedding,
                                          measured: m.measured)
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
            let m = measured[i]
            let isMeasured = m?.measured == true
            var face = PlannedFace(observation: o, quality: isMeasured ? m?.quality : nil, hash: isMeasured ? m?.hash : nil,
                                   reason: reason)
            face.source = m?.source
            if let m, m.measured {
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
