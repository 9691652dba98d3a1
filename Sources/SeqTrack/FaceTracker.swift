import SeqDetect

/// Settings of the face tracker. Defaults are chosen for detection on every frame of 24–30 fps
/// video; all distances are relative to the box size (square root of the box area), so they do
/// not depend on the resolution.
public struct TrackerOptions: Sendable, Equatable, Codable {
    /// A detection can only continue a track when its box overlaps the track's predicted box by
    /// at least this IoU (default 0.2).
    public var iouThreshold: Float = 0.2
    /// Weight of the landmark term in the matching cost `(1 - IoU) + w * min(1, d)`, where `d` is
    /// the mean distance of the five landmarks from their predicted places over the box size
    /// (default 0.5).
    public var landmarkWeight: Float = 0.5
    /// A track survives this many consecutive frames without a matching detection (default 5).
    /// With `--detect-every N`, frames that are not detected count as missed, so use at least N-1.
    public var maxGap: Int = 5
    /// Tracks spanning fewer frames than this (first to last observation) are dropped (default 10).
    public var minTrack: Int = 10
    /// Identity-switch guard: a detection whose centre lies more than `maxCenterShift * sqrt(g)`
    /// box sizes from the predicted centre, `g` frames after the track's last observation, does
    /// not continue the track; if it overlaps the track anyway the track is split (default 0.5).
    public var maxCenterShift: Float = 0.5
    /// Identity-switch guard: a detection whose box size differs from the track's last box by more
    /// than this factor (either way) splits the track (default 1.4).
    public var maxSizeRatio: Float = 1.4
    /// Smoothing of the per-frame velocity used to predict a track's box: each link sets
    /// `v = a * step + (1 - a) * v` (default 0.5; 0 switches prediction off).
    public var motionSmoothing: Float = 0.5
    /// Identity guard, where both the track and the detection have an embedding: a detection
    /// farther than this (Euclidean) from the mean embedding of the track's person does not
    /// continue the track; if it overlaps the track anyway the track ends as `identity`
    /// (default 0.55: one face against a person's mean; see docs/ingest.md for the measurement).
    public var identityThreshold: Float = 0.55
    /// Weight of the embedding distance in the matching cost where both sides have an
    /// embedding, so that two people who cross keep their own tracks (default 1).
    public var identityWeight: Float = 1

    public init() {}
}

/// Streaming multi-face tracker. Call `update` once per processed frame, in frame order, with
/// that frame's detections; collect closed tracks with `takeFinishedTracks()` as you go (to keep
/// memory flat) and the rest with `finish()`.
///
/// Each frame, detections are matched one-to-one to open tracks by the Hungarian method on the
/// cost `(1 - IoU) + landmarkWeight * min(1, landmark displacement)`, measured against the box and
/// landmarks predicted from the track's smoothed velocity. Pairs below `iouThreshold`, with a
/// centre shift beyond `maxCenterShift` or a size change beyond `maxSizeRatio` cannot match. A
/// detection left over that overlaps an unmatched track but failed the shift or size test
/// splits that track (identity switch); every left-over detection starts a new track. Tracks
/// missing for more than `maxGap` frames end as lost; a cut ends all tracks.
///
/// Detections may carry embeddings (a sparse sample of frames). Where a detection and a track
/// both have one, the distance to the mean embedding of the track's person is added to the
/// cost (`identityWeight`), and beyond `identityThreshold` the pair cannot match; a left-over
/// detection that overlaps such a track ends it as `identity`. The observations after the
/// track's last matching embedding are then dropped from it: who they show is not known (the
/// person changed somewhere between the two samples), so neither person's track keeps them.
public struct FaceTracker: Sendable {
    public let options: TrackerOptions
    /// Tracks closed (and long enough) that `takeFinishedTracks()` has not handed out yet.
    public private(set) var finishedTracks: [FaceTrack] = []
    /// How many closed tracks were dropped for spanning fewer than `minTrack` frames.
    public private(set) var droppedShortTracks = 0

    private struct OpenTrack: Sendable {
        var track: FaceTrack
        var velocity = Point2(0, 0)   // pixels per frame
        /// Sum and count of the embeddings linked so far: their mean is the track's person.
        var embeddingSum: [Float]?
        var embeddingCount = 0
        /// Observations up to the last one with an embedding (all, while none has one).
        var verifiedCount = 0
        var last: TrackObservation { track.observations[track.observations.count - 1] }
        var person: [Float]? { embeddingSum.map { s in s.map { $0 / Float(embeddingCount) } } }

        init(_ obs: TrackObservation, id: Int) {
            track = FaceTrack(id: id, observations: [])
            append(obs)
        }

        mutating func append(_ obs: TrackObservation) {
            track.observations.append(obs)
            if let e = obs.embedding {
                if var sum = embeddingSum, sum.count == e.count {
                    for i in e.indices { sum[i] += e[i] }
                    embeddingSum = sum
                } else {
                    embeddingSum = e
                    embeddingCount = 0
                }
                embeddingCount += 1
                verifiedCount = track.observations.count
            }
        }

        /// The track cut back to its last embedded observation (`identity` ends).
        var verifiedTrack: FaceTrack {
            var t = track
            if embeddingCount > 0 { t.observations.removeLast(t.observations.count - verifiedCount) }
            return t
        }
    }
    private var open: [OpenTrack] = []
    private var nextID = 0
    private var lastFrame: Int?

    public init(options: TrackerOptions = TrackerOptions()) {
        precondition(options.maxGap >= 0 && options.minTrack >= 1 && options.maxSizeRatio >= 1,
                     "invalid tracker options")
        self.options = options
    }

    /// Number of tracks still open.
    public var openTrackCount: Int { open.count }

    /// The first frame of the oldest open track (nil when none is open): per-face data of
    /// earlier frames can no longer join any track still to be handed out.
    public var oldestOpenFrame: Int? { open.map(\.track.firstFrame).min() }

    /// The first frame of every open track.
    public var openTrackFirstFrames: [Int] { open.map(\.track.firstFrame) }

    /// Processes one frame: `cut` is true when a new shot starts at this frame (all open tracks end
    /// before its detections are linked). Frame indices must increase; frames without detections
    /// may be skipped (they count as missed).
    ///
    /// `embeddings`, when not empty, holds one entry per detection: its embedding, or nil for a
    /// detection that was not embedded.
    public mutating func update(frameIndex: Int, time: Double, detections: [FaceDetection], embeddings: [[Float]?] = [],
                                cut: Bool = false) {
        precondition(embeddings.isEmpty || embeddings.count == detections.count, "one embedding entry per detection")
        func observation(_ di: Int) -> TrackObservation {
            TrackObservation(frameIndex: frameIndex, time: time, detection: detections[di],
                             embedding: embeddings.isEmpty ? nil : embeddings[di])
        }
        if let last = lastFrame { precondition(frameIndex > last, "frames must be given in increasing order") }
        lastFrame = frameIndex
        if cut { closeAll(.cut) }
        var kept: [OpenTrack] = []
        for t in open {
            if frameIndex - t.last.frameIndex - 1 > options.maxGap { close(t.track, .lost) } else { kept.append(t) }
        }
        open = kept

        let links = linkCosts(frameIndex: frameIndex, detections: detections, embeddings: embeddings)
        let big = 1e6
        let assignment = Assignment.solve(links.map { row in row.map { $0.admissible ? Double($0.cost) : big } })
        var detectionTaken = [Bool](repeating: false, count: detections.count)
        var trackLinked = [Bool](repeating: false, count: open.count)
        for (ti, di) in assignment.enumerated() {
            guard let di, links[ti][di].admissible else { continue }
            extend(&open[ti], with: observation(di))
            detectionTaken[di] = true
            trackLinked[ti] = true
        }

        var splitTracks: [Int: TrackEndReason] = [:]
        let linkedCount = open.count   // tracks started below have no links
        for di in detections.indices where !detectionTaken[di] {
            // The unlinked track this detection overlaps most but could not continue: an identity switch.
            var best: (track: Int, iou: Float)?
            for ti in 0..<linkedCount where !trackLinked[ti] && splitTracks[ti] == nil && (links[ti][di].jump || links[ti][di].otherPerson) {
                if best == nil || links[ti][di].iou > best!.iou { best = (ti, links[ti][di].iou) }
            }
            if let best { splitTracks[best.track] = links[best.track][di].otherPerson ? .identity : .split }
            open.append(OpenTrack(observation(di), id: nextID))
            nextID += 1
        }
        if !splitTracks.isEmpty {
            for (ti, reason) in splitTracks.sorted(by: { $0.key < $1.key }) {
                close(reason == .identity ? open[ti].verifiedTrack : open[ti].track, reason)
            }
            open = open.enumerated().filter { splitTracks[$0.offset] == nil }.map { $0.element }
        }
    }

    /// Hands out the tracks closed so far (long enough ones), in the order they closed.
    public mutating func takeFinishedTracks() -> [FaceTrack] {
        defer { finishedTracks.removeAll() }
        return finishedTracks
    }

    /// Closes every open track (the video ended) and hands out all tracks not yet taken, ordered
    /// by first frame then id.
    public mutating func finish() -> [FaceTrack] {
        closeAll(.end)
        return takeFinishedTracks().sorted { ($0.firstFrame, $0.id) < ($1.firstFrame, $1.id) }
    }

    // MARK: - Matching

    private struct Link {
        var iou: Float = 0
        var cost: Float = .infinity
        var admissible = false
        /// Overlaps the prediction but moved or resized too much: evidence of an identity switch.
        var jump = false
        /// Overlaps the prediction but its embedding is another person's.
        var otherPerson = false
    }

    private func linkCosts(frameIndex: Int, detections: [FaceDetection], embeddings: [[Float]?]) -> [[Link]] {
        open.map { t in
            let person = t.person
            let last = t.last.detection
            let g = Float(frameIndex - t.last.frameIndex)
            let shift = Point2(t.velocity.x * g, t.velocity.y * g)
            let predicted = FaceBox(x1: last.box.x1 + shift.x, y1: last.box.y1 + shift.y,
                                    x2: last.box.x2 + shift.x, y2: last.box.y2 + shift.y)
            let size = boxSize(last.box)
            return detections.enumerated().map { di, d in
                var link = Link()
                link.iou = d.box.iou(predicted)
                guard link.iou >= options.iouThreshold else { return link }
                let centreShift = distance(d.box.center, predicted.center) / size
                let ratio = boxSize(d.box) / size
                if centreShift > options.maxCenterShift * g.squareRoot() || max(ratio, 1 / ratio) > options.maxSizeRatio {
                    link.jump = true
                    return link
                }
                var landmarkShift: Float = 0
                for k in 0..<5 {
                    let p = Point2(last.landmarks[k].x + shift.x, last.landmarks[k].y + shift.y)
                    landmarkShift += distance(d.landmarks[k], p)
                }
                landmarkShift /= 5 * size
                link.cost = (1 - link.iou) + options.landmarkWeight * min(1, landmarkShift)
                if let person, !embeddings.isEmpty, let e = embeddings[di] {
                    let d = EmbeddingMath.distance(person, e)
                    if d > options.identityThreshold {
                        link.otherPerson = true
                        return link
                    }
                    link.cost += options.identityWeight * d
                }
                link.admissible = true
                return link
            }
        }
    }

    private func extend(_ t: inout OpenTrack, with obs: TrackObservation) {
        let prev = t.last
        let g = Float(obs.frameIndex - prev.frameIndex)
        let a = options.motionSmoothing
        let step = Point2((obs.detection.box.center.x - prev.detection.box.center.x) / g,
                          (obs.detection.box.center.y - prev.detection.box.center.y) / g)
        t.velocity = Point2(a * step.x + (1 - a) * t.velocity.x, a * step.y + (1 - a) * t.velocity.y)
        t.append(obs)
    }

    // MARK: - Closing

    private mutating func closeAll(_ reason: TrackEndReason) {
        for t in open { close(t.track, reason) }
        open.removeAll()
    }

    private mutating func close(_ track: FaceTrack, _ reason: TrackEndReason) {
        guard track.frameSpan >= options.minTrack else { droppedShortTracks += 1; return }
        var done = track
        done.endReason = reason
        finishedTracks.append(done)
    }
}
