import SeqDetect

/// One face of a track in one frame.
public struct TrackObservation: Sendable, Equatable, Codable {
    /// Index of the frame in the video (0-based, decode order).
    public var frameIndex: Int
    /// Presentation time of the frame in seconds.
    public var time: Double
    /// The box, score and landmarks (detected, or interpolated when `interpolated`).
    public var detection: FaceDetection
    /// True when the frame was not detected but filled in between two detections.
    public var interpolated: Bool
    /// The face's identity embedding (dlib's 128-d descriptor) when this face was sampled for
    /// one (see `IngestOptions.embedEvery`); nil otherwise.
    public var embedding: [Float]?

    public init(frameIndex: Int, time: Double, detection: FaceDetection, interpolated: Bool = false, embedding: [Float]? = nil) {
        self.frameIndex = frameIndex
        self.time = time
        self.detection = detection
        self.interpolated = interpolated
        self.embedding = embedding
    }
}

/// Why a track stopped growing. Every track ends with one of these; ingest stores it per track
/// in the catalog (`tracks.end_reason`) and the report draws it on each video's timeline.
public enum TrackEndReason: String, Sendable, Equatable, Codable, CaseIterable {
    /// A shot cut started a new shot.
    case cut
    /// No detection matched for more than `maxGap` frames.
    case lost
    /// The box jumped or changed size abruptly (likely another person): split here.
    case split
    /// The face stopped matching the person the track follows (set by identity-aware tracking,
    /// which compares face embeddings along the track): split here.
    case identity
    /// The video ended (`finish()`).
    case end
}

/// A run of observations of one face, in increasing frame order.
public struct FaceTrack: Sendable, Equatable, Codable {
    /// Number of the track within its tracker, in order of creation (starting at 0).
    public var id: Int
    public var observations: [TrackObservation]
    /// Why the track ended (`.end` while it is still open).
    public var endReason: TrackEndReason

    public init(id: Int, observations: [TrackObservation], endReason: TrackEndReason = .end) {
        self.id = id
        self.observations = observations
        self.endReason = endReason
    }

    public var firstFrame: Int { observations.first?.frameIndex ?? 0 }
    public var lastFrame: Int { observations.last?.frameIndex ?? -1 }
    /// Frames from the first to the last observation inclusive (gaps included): the length that
    /// `TrackerOptions.minTrack` is compared with.
    public var frameSpan: Int { observations.isEmpty ? 0 : lastFrame - firstFrame + 1 }
    /// Observations that come from a detector rather than interpolation.
    public var detectedCount: Int { observations.reduce(0) { $0 + ($1.interpolated ? 0 : 1) } }

    /// Mean box width, height and detection score over the observations.
    public var meanBoxWidth: Float { mean { $0.detection.box.width } }
    public var meanBoxHeight: Float { mean { $0.detection.box.height } }
    public var meanScore: Float { mean { $0.detection.score } }

    /// The largest centre displacement between consecutive observations, per frame elapsed, as a
    /// fraction of the earlier box's size (square root of its area). A track that never jumps
    /// keeps this well below `TrackerOptions.maxCenterShift`.
    public var maxRelativeStep: Float {
        var worst: Float = 0
        for i in 1..<max(1, observations.count) {
            let a = observations[i - 1], b = observations[i]
            let frames = Float(max(1, b.frameIndex - a.frameIndex))
            let step = distance(a.detection.box.center, b.detection.box.center) / boxSize(a.detection.box) / frames
            worst = max(worst, step)
        }
        return worst
    }

    /// The embedded observations of the track.
    public var embeddings: [[Float]] { observations.compactMap(\.embedding) }

    /// The mean of the track's embeddings (nil when none was sampled): the track's person.
    public var meanEmbedding: [Float]? { EmbeddingMath.mean(embeddings) }

    private func mean(_ value: (TrackObservation) -> Float) -> Float {
        observations.isEmpty ? 0 : observations.reduce(0) { $0 + value($1) } / Float(observations.count)
    }
}

/// The size of a box as one length: the square root of its area (at least one pixel).
@inline(__always) func boxSize(_ b: FaceBox) -> Float { max(1, b.area.squareRoot()) }

@inline(__always) func distance(_ a: Point2, _ b: Point2) -> Float {
    let dx = a.x - b.x, dy = a.y - b.y
    return (dx * dx + dy * dy).squareRoot()
}
