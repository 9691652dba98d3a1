import Foundation
import SeqDetect
import SeqTrack

/// How faces are cut out of frames.
public enum AlignMethod: String, Sendable, Codable, CaseIterable {
    /// SeqFace's published crop: eyes levelled, a square of side 3d around the eye centre (default, 144x144).
    case seqface
    /// Five-point similarity transform onto the standard 112x112 template (insightface-style).
    case similarity
}

/// Every setting of `seqcurate ingest`; recorded in the catalog with each run.
public struct IngestOptions: Sendable, Codable, Equatable {
    /// Run full MTCNN on every frame (today's behaviour before key frames; slow). Off by default:
    /// full detection runs on key frames, faces are refined between them (docs/ingest.md).
    public var exhaustive = false
    /// At most this many frames from one key frame to the next (default 8); cuts and lost faces
    /// start a key frame earlier.
    public var keyFrameInterval = IngestOptions.defaultKeyFrameInterval
    public static let defaultKeyFrameInterval = 8
    /// The smallest face key frames look for unless one is given (24 pixels): the sequence
    /// selector keeps faces with 12 pixels between the eyes (`SequenceSelectionOptions.minEyeDistance`),
    /// and MTCNN's eye distance is 0.36–0.57 of its box width (measured on Megamind at 720p),
    /// so a keepable face's box is at least 21 and mostly over 26 pixels wide; each pyramid
    /// costs (20/24)² = 0.69 of the 20-pixel one.
    public static let keyFrameMinFaceSize: Float = 24
    /// Every this many periodic key frames, one is full (default 4); the others are light:
    /// the faces followed are refined and new faces are looked for from twice the key frames'
    /// minimum face size up (a quarter of the pyramid's work), so faces of 48 pixels and more
    /// are found within `keyFrameInterval` frames, smaller ones within 4 times that. Cuts are
    /// always full (searches after a lost face look for faces near the known ones' size, see
    /// `KeyFrameFinder`). 1: every periodic key frame full.
    public var fullKeyFrameEvery = IngestOptions.defaultFullKeyFrameEvery
    public static let defaultFullKeyFrameEvery = 4
    /// With key frames (the default): measure the faces (aligned crop, quality, signature, hash,
    /// JPEG) of every Nth frame only (default 2). Faces of the frames between still join their
    /// tracks, with their boxes, but cannot be kept: kept faces are never adjacent frames anyway
    /// (`SequenceSelectionOptions.minFrameGap`), so every second frame is all the selector needs,
    /// and the crop of every face was the largest share of the default ingest's time.
    /// `--exhaustive` and `--detect-every` measure every face they detect.
    public var measureEvery = IngestOptions.defaultMeasureEvery
    public static let defaultMeasureEvery = 2
    /// With key frames (the default): the decoder drops the frames no other frame is predicted
    /// from (the non-reference B-frames: half the frames of a typical H.264 stream, at half the
    /// decoding cost; `VideoReaderOptions.skipNonReferenceFrames`). The faces of a dropped frame
    /// are interpolated between the same track's faces on the frames around it (face source
    /// `interpolated`; never kept). Tracks, refinement and key frames work on the frames
    /// decoded. `--decode-every-frame` turns it off; `--exhaustive` and `--detect-every` decode
    /// every frame.
    public var skipNonReferenceFrames = true
    /// Run MTCNN on every Nth frame and interpolate boxes and landmarks between (default 1: every frame).
    public var detectEvery = 1
    /// MTCNN minimum face size in pixels (default 20).
    public var minFaceSize: Float = 20

    /// True when faces are found by key frames and refinement (`KeyFrameFinder`), not by
    /// MTCNN on every (or every Nth) frame.
    public var usesKeyFrames: Bool { !exhaustive && detectEvery == 1 }
    /// True when the decoder drops non-reference frames (`skipNonReferenceFrames`, key frames only).
    public var skipsFrames: Bool { usesKeyFrames && skipNonReferenceFrames }
    /// MTCNN thresholds of P-Net, R-Net, O-Net (default 0.6, 0.7, 0.7).
    public var thresholds: [Float] = [0.6, 0.7, 0.7]
    /// Downscale frames so that their longer side is at most this before detecting (nil: native size).
    public var maxSide: Int?
    /// Crop geometry.
    public var align: AlignMethod = .seqface
    /// Crop side in pixels (default 144 for seqface, 112 for similarity).
    public var cropSize: Int?
    /// JPEG quality of the crops (default 95).
    public var jpegQuality = 95
    /// Side of the greyed thumbnails kept for dropped faces, shown by `seqcurate report` (0 = none; default 48).
    public var droppedThumbnailSize = 48
    /// At most this many dropped faces per track keep a thumbnail, spread over the track (default 40).
    public var maxDroppedThumbnails = 40
    /// Re-ingest videos whose content is already in the catalog.
    public var force = false
    /// Frames decoded before their faces are detected together (default 8; a batch holds at
    /// least `workers` frames so that every worker has one).
    public var batchSize = 8
    /// How many frames are detected in parallel, one thread each (`--threads`, 1…`maxWorkers`;
    /// default: the number of cores).
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// The most `workers` used: a batch holds that many decoded frames.
    public static let maxWorkers = 256
    /// A shot longer than this many seconds of video is ended there, as if cut (default 300):
    /// ingest commits a video shot by shot, so a killed run loses at most this much of it.
    public var maxShotSeconds: Double = 300
    public var shots = ShotDetectorOptions()
    public var tracker = TrackerOptions()
    public var selection = SequenceSelectionOptions()
    /// With a face embedder: faces are embedded on every Nth frame (default 10) while they are
    /// new or near each other (key frames, `EmbeddingSchedule`), or on every Nth detected frame
    /// (`--exhaustive`, `--detect-every`). One embedding costs more than detecting a frame, so
    /// tracks are sampled, not embedded whole; see docs/ingest.md.
    public var embedEvery = 10
    /// With key frames (the default): a face that is neither new nor near another face is
    /// embedded every this many frames only (default 30; `EmbeddingSchedule`).
    public var embedSettledEvery = IngestOptions.defaultEmbedSettledEvery
    public static let defaultEmbedSettledEvery = 30
    /// The embedding model, when ingest embeds faces (set from the embedder; nil: no identity
    /// decisions, tracks and sequences as without embeddings).
    public var embeddingModel: String?
    /// Joining of one person's fragments inside a shot (needs embeddings).
    public var join = TrackJoinOptions()

    public init() {}

    /// The frames of a batch: `batchSize`, or `workers` (at most `maxWorkers`) when more.
    public var framesPerBatch: Int { max(batchSize, min(workers, Self.maxWorkers), 1) }

    /// The crop side actually used.
    public var effectiveCropSize: Int { cropSize ?? FaceCropping.defaultSize(align) }

    /// The options as one JSON object, for the ingest run record.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
