// Plain records of the catalog tables. `id` is nil for a record not yet inserted; insert
// functions return the new id. Geometry is in pixels of the source frame or image.

/// One run of `ingest` or `import-identities`.
public struct IngestRunRecord: Sendable, Equatable {
    /// `interrupted`: stopped by SIGINT/SIGTERM, or its process was found gone by a later run.
    public enum Status: String, Sendable { case running, finished, failed, interrupted }
    public var id: Int64?
    /// `ingest` or `import-identities`.
    public var command: String
    public var detector: String
    public var weightsSHA256: String?
    /// Every option of the run, as a JSON object.
    public var parametersJSON: String
    public var seqcurateVersion: String
    public var startedAt: String
    public var endedAt: String?
    public var status: Status
    /// The process that ran it and its host (set by `beginIngestRun`; nil for runs recorded
    /// before schema version 2), so that a later run can tell whether it is still going.
    public var pid: Int32?
    public var host: String?

    public init(id: Int64? = nil, command: String = "ingest", detector: String, weightsSHA256: String?, parametersJSON: String,
                seqcurateVersion: String, startedAt: String = CatalogTime.now(), endedAt: String? = nil, status: Status = .running,
                pid: Int32? = nil, host: String? = nil) {
        self.id = id; self.command = command; self.detector = detector; self.weightsSHA256 = weightsSHA256
        self.parametersJSON = parametersJSON; self.seqcurateVersion = seqcurateVersion
        self.startedAt = startedAt; self.endedAt = endedAt; self.status = status
        self.pid = pid; self.host = host
    }
}

/// One video file.
public struct VideoRecord: Sendable, Equatable {
    /// `partial`: a video still being ingested shot by shot (schema 5); its committed shots,
    /// tracks, faces and sequences are final, the rest is still to come.
    public enum Status: String, Sendable { case ok, failed, partial }
    public var id: Int64?
    public var path: String
    /// Hex SHA-256 of the file content.
    public var contentHash: String
    public var duration: Double?
    public var fps: Double?
    public var width: Int?
    public var height: Int?
    public var frameCount: Int?
    public var status: Status
    /// Why the video failed (truncated, not a video, …); nil when ok.
    public var failureReason: String?
    public var ingestRunID: Int64?
    public var ingestedAt: String

    public init(id: Int64? = nil, path: String, contentHash: String, duration: Double?, fps: Double?, width: Int?, height: Int?,
                frameCount: Int?, status: Status = .ok, failureReason: String? = nil, ingestRunID: Int64? = nil,
                ingestedAt: String = CatalogTime.now()) {
        self.id = id; self.path = path; self.contentHash = contentHash; self.duration = duration; self.fps = fps
        self.width = width; self.height = height; self.frameCount = frameCount; self.status = status
        self.failureReason = failureReason; self.ingestRunID = ingestRunID; self.ingestedAt = ingestedAt
    }
}

/// A shot: frames between two cuts, inclusive.
public struct ShotRecord: Sendable, Equatable {
    public var id: Int64?
    public var videoID: Int64
    public var index: Int
    public var firstFrame: Int
    public var lastFrame: Int

    public init(id: Int64? = nil, videoID: Int64, index: Int, firstFrame: Int, lastFrame: Int) {
        self.id = id; self.videoID = videoID; self.index = index; self.firstFrame = firstFrame; self.lastFrame = lastFrame
    }
}

/// Why a track ended (`tracks.end_reason`), as the tracker gives it (SeqTrack's `TrackEndReason`,
/// whose raw values these are).
public enum TrackEnd: String, Sendable, Equatable, CaseIterable {
    /// A shot cut started a new shot.
    case cut
    /// No detection matched for longer than the tracker's gap.
    case lost
    /// The box jumped or changed size abruptly (likely another person).
    case split
    /// The face stopped matching the track's person; set by identity-aware tracking.
    case identity
    /// The video ended.
    case end

    /// Words for pages and tables.
    public var summary: String {
        switch self {
        case .cut: return "shot cut"
        case .lost: return "lost"
        case .split: return "split (box jump)"
        case .identity: return "split by identity"
        case .end: return "end of video"
        }
    }
}

/// A face track within one shot, with statistics of its boxes.
public struct TrackRecord: Sendable, Equatable {
    public var id: Int64?
    public var videoID: Int64
    public var shotID: Int64?
    /// 0, 1, … within the video.
    public var index: Int
    public var firstFrame: Int
    public var lastFrame: Int
    public var faceCount: Int
    public var meanBoxWidth: Float
    public var meanBoxHeight: Float
    public var meanScore: Float
    public var minScore: Float
    /// The largest move of the box centre between consecutive faces, in pixels.
    public var maxCenterStep: Float
    /// Why the track ended; nil when not known (tracks ingested before schema version 3).
    public var endReason: TrackEnd?

    public init(id: Int64? = nil, videoID: Int64, shotID: Int64?, index: Int, firstFrame: Int, lastFrame: Int, faceCount: Int,
                meanBoxWidth: Float, meanBoxHeight: Float, meanScore: Float, minScore: Float, maxCenterStep: Float,
                endReason: TrackEnd? = nil) {
        self.endReason = endReason
        self.id = id; self.videoID = videoID; self.shotID = shotID; self.index = index
        self.firstFrame = firstFrame; self.lastFrame = lastFrame; self.faceCount = faceCount
        self.meanBoxWidth = meanBoxWidth; self.meanBoxHeight = meanBoxHeight
        self.meanScore = meanScore; self.minScore = minScore; self.maxCenterStep = maxCenterStep
    }
}

/// Why a face was kept or dropped by sequence selection. Open set: new reasons need no
/// schema change; these are the ones seqcurate writes.
public struct FaceReason: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let kept = FaceReason(rawValue: "kept")
    /// Detection score under the floor.
    public static let lowScore = FaceReason(rawValue: "low_score")
    /// Eye distance under the floor.
    public static let small = FaceReason(rawValue: "small")
    /// Sharpness under the floor.
    public static let blurry = FaceReason(rawValue: "blurry")
    /// Yaw or roll beyond the limit.
    public static let pose = FaceReason(rawValue: "pose")
    /// A near-duplicate of a face already kept.
    public static let duplicate = FaceReason(rawValue: "duplicate")
    /// Its embedding repeats a kept face's (`SequenceSelectionOptions.minEmbeddingDistance`).
    public static let duplicateEmbedding = FaceReason(rawValue: "duplicate_embedding")
    /// On a frame next to a kept face's (`SequenceSelectionOptions.minFrameGap`).
    public static let adjacent = FaceReason(rawValue: "adjacent")
    /// Good, but not picked when spreading `--max-sequence-faces` over time.
    public static let notSpread = FaceReason(rawValue: "not_spread")
    /// The track could not give `--min-sequence-faces` good faces, so it gives no sequence.
    public static let tooFew = FaceReason(rawValue: "too_few")
    /// Found on a frame ingest does not measure (`ingest --measure-every N`): a box in its
    /// track, without a crop.
    public static let unmeasured = FaceReason(rawValue: "unmeasured")

    public var description: String { rawValue }
    public static func < (a: FaceReason, b: FaceReason) -> Bool { a.rawValue < b.rawValue }
}

/// How a face of a track was obtained (`faces.face_source`).
public enum FaceSource: String, Sendable, Equatable, CaseIterable, Codable {
    /// Full MTCNN (P-Net pyramid, R-Net, O-Net) found it: a key frame, or any frame with
    /// `ingest --exhaustive`.
    case detected
    /// R-Net and O-Net re-found it around the track's predicted box, between key frames.
    case refined
    /// Filled in between two faces of the track (`ingest --detect-every N`).
    case interpolated
}

/// One face on a track, kept or dropped.
public struct FaceRecord: Sendable, Equatable {
    public var id: Int64?
    public var trackID: Int64
    public var videoID: Int64
    public var frameIndex: Int
    /// Seconds from the start of the video.
    public var time: Double
    public var x1: Float, y1: Float, x2: Float, y2: Float
    /// The 5 landmarks as x0, y0, x1, y1, … : left eye, right eye, nose, left and right mouth corner.
    public var landmarks: [Float]
    public var score: Float
    /// True when the box was interpolated between detections (`--detect-every N`).
    public var interpolated: Bool
    public var eyeDistance: Float
    public var sharpness: Float?
    public var yaw: Float?
    public var roll: Float?
    /// The aligned crop, relative to the catalog folder.
    public var cropPath: String?
    /// 64-bit dHash of the aligned crop (see `PerceptualHash`).
    public var cropHash: UInt64?
    public var reason: FaceReason
    /// How the face was obtained; nil for faces ingested before the catalog recorded it.
    public var source: FaceSource?
    public var kept: Bool { reason == .kept }

    public init(id: Int64? = nil, trackID: Int64, videoID: Int64, frameIndex: Int, time: Double,
                x1: Float, y1: Float, x2: Float, y2: Float, landmarks: [Float], score: Float, interpolated: Bool = false,
                eyeDistance: Float, sharpness: Float?, yaw: Float?, roll: Float?, cropPath: String?, cropHash: UInt64? = nil,
                reason: FaceReason, source: FaceSource? = nil) {
        precondition(landmarks.count == 10, "a face has 5 landmarks (10 coordinates), got \(landmarks.count)")
        self.id = id; self.trackID = trackID; self.videoID = videoID; self.frameIndex = frameIndex; self.time = time
        self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2; self.landmarks = landmarks; self.score = score
        self.interpolated = interpolated; self.eyeDistance = eyeDistance; self.sharpness = sharpness
        self.yaw = yaw; self.roll = roll; self.cropPath = cropPath; self.cropHash = cropHash; self.reason = reason
        self.source = source
    }
}

/// One sequence: the kept faces of one track. On export it becomes one negative label.
public struct SequenceRecord: Sendable, Equatable {
    public var id: Int64?
    public var trackID: Int64
    public var videoID: Int64
    /// Kept faces.
    public var faceCount: Int
    public var firstFrame: Int
    public var lastFrame: Int

    public init(id: Int64? = nil, trackID: Int64, videoID: Int64, faceCount: Int, firstFrame: Int, lastFrame: Int) {
        self.id = id; self.trackID = trackID; self.videoID = videoID; self.faceCount = faceCount
        self.firstFrame = firstFrame; self.lastFrame = lastFrame
    }
}

/// A person of an identity dataset.
public struct IdentityRecord: Sendable, Equatable {
    public var id: Int64?
    public var dataset: String
    public var name: String
    /// `name` lower-cased without spaces and underscores (see `NameMatching.normalize`).
    public var normalizedName: String

    public init(id: Int64? = nil, dataset: String, name: String) {
        self.id = id; self.dataset = dataset; self.name = name
        self.normalizedName = NameMatching.normalize(name)
    }
}

/// One image of an identity; a failed one is kept with its reason.
public struct IdentityImageRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case ok, failed }
    public var id: Int64?
    public var identityID: Int64
    /// Absolute path of the original image; unique in the catalog.
    public var sourcePath: String
    /// The aligned crop relative to the catalog folder; nil when the source is used as is.
    public var cropPath: String?
    /// Imported with `--aligned`.
    public var aligned: Bool
    public var status: Status
    /// Why it failed (`no_face`, `unreadable`, …).
    public var reason: String?
    public var score: Float?
    public var cropHash: UInt64?
    public var ingestRunID: Int64?

    public init(id: Int64? = nil, identityID: Int64, sourcePath: String, cropPath: String?, aligned: Bool, status: Status = .ok,
                reason: String? = nil, score: Float? = nil, cropHash: UInt64? = nil, ingestRunID: Int64? = nil) {
        self.id = id; self.identityID = identityID; self.sourcePath = sourcePath; self.cropPath = cropPath
        self.aligned = aligned; self.status = status; self.reason = reason; self.score = score
        self.cropHash = cropHash; self.ingestRunID = ingestRunID
    }
}

/// What an exclusion keeps out of training.
public enum ExclusionTarget: Sendable, Hashable {
    case identity(Int64)
    case video(Int64)
    case face(Int64)
    case identityImage(Int64)

    /// The `kind` column.
    public var kind: String {
        switch self {
        case .identity: return "identity"
        case .video: return "video"
        case .face: return "face"
        case .identityImage: return "identity_image"
        }
    }

    public var targetID: Int64 {
        switch self {
        case .identity(let id), .video(let id), .face(let id), .identityImage(let id): return id
        }
    }
}

/// A row that keeps data out of training, with its reason.
public struct ExclusionRecord: Sendable, Equatable {
    public var id: Int64?
    public var target: ExclusionTarget
    public var reason: String
    /// `lfw`, `ytf`, `names` or `images`.
    public var protocolName: String
    /// The pairs file, names file or image folder.
    public var source: String
    public var createdAt: String

    public init(id: Int64? = nil, target: ExclusionTarget, reason: String, protocolName: String, source: String,
                createdAt: String = CatalogTime.now()) {
        self.id = id; self.target = target; self.reason = reason; self.protocolName = protocolName
        self.source = source; self.createdAt = createdAt
    }
}

/// One `seqcurate export`.
public struct ExportRecord: Sendable, Equatable {
    public var id: Int64?
    public var outDir: String
    public var optionsJSON: String
    public var createdAt: String
    public var faceidNum: Int
    public var seqidNum: Int
    public var identityImages: Int
    public var sequenceFaces: Int
    public var manifestSHA256: String

    public init(id: Int64? = nil, outDir: String, optionsJSON: String, createdAt: String = CatalogTime.now(), faceidNum: Int,
                seqidNum: Int, identityImages: Int, sequenceFaces: Int, manifestSHA256: String) {
        self.id = id; self.outDir = outDir; self.optionsJSON = optionsJSON; self.createdAt = createdAt
        self.faceidNum = faceidNum; self.seqidNum = seqidNum; self.identityImages = identityImages
        self.sequenceFaces = sequenceFaces; self.manifestSHA256 = manifestSHA256
    }
}
