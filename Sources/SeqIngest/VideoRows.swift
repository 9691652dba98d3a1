import Foundation
import SeqCatalog
import SeqTrack

/// What one analysed video puts in the catalog, built before its transaction: the rows of the
/// video, its shots, tracks, faces and sequences, and the crop files its faces point at.
///
/// Rows link to each other by position (a track's shot index, the track a face is on); the
/// catalog ids (`videoID`, `shotID`, `trackID`) are 0 until `VideoIngestor` inserts the rows
/// and fills them in.
struct VideoRows {
    struct Track {
        var track: TrackRecord
        /// Index in `shots` of the shot the track starts in.
        var shotIndex: Int?
        var faces: [FaceRecord]
        /// The embedding of each face, where it was sampled (same order as `faces`).
        var embeddings: [[Float]?]
        /// Present when the track gave a sequence.
        var sequence: SequenceRecord?
    }

    var video: VideoRecord
    var shots: [ShotRecord]
    var tracks: [Track]
    /// Crop files to write, relative to the video's crop folder.
    var crops: [(path: String, bytes: Data)]
    /// The model of the faces' embeddings (nil: none were computed).
    var embeddingModel: String?

    /// - Parameters:
    ///   - video: the video's row, without content hash or run (`ingest` sets them).
    ///   - shots: frame ranges of the shots.
    ///   - plans: the finished tracks, in track index order.
    ///   - cropFolder: the video's crop folder relative to the catalog folder, which the faces'
    ///     `cropPath`s start with.
    ///   - firstShot, firstTrack: the video's index of the first of these shots and tracks
    ///     (a commit of a later shot of a long video).
    init(video: VideoRecord, shots: [Range<Int>], plans: [TrackPlan], cropFolder: String, firstShot: Int = 0, firstTrack: Int = 0,
         embeddingModel: String? = nil) {
        self.video = video
        self.embeddingModel = embeddingModel
        self.shots = shots.enumerated().map { i, r in
            ShotRecord(videoID: 0, index: firstShot + i, firstFrame: r.lowerBound, lastFrame: r.upperBound - 1)
        }
        tracks = plans.enumerated().map { index, plan in
            Track(track: Self.track(plan.track, index: firstTrack + index),
                  shotIndex: shots.firstIndex { $0.contains(plan.track.firstFrame) },
                  faces: plan.faces.map { Self.face($0, cropFolder: cropFolder) },
                  embeddings: plan.faces.map(\.embedding),
                  sequence: plan.isSequence ? Self.sequence(plan) : nil)
        }
        crops = plans.flatMap { plan in
            plan.faces.compactMap { f in f.cropPath.flatMap { path in f.cropBytes.map { (path, $0) } } }
        }
    }

    private static func track(_ t: FaceTrack, index: Int) -> TrackRecord {
        TrackRecord(videoID: 0, shotID: nil, index: index,
                    firstFrame: t.firstFrame, lastFrame: t.lastFrame, faceCount: t.observations.count,
                    meanBoxWidth: t.meanBoxWidth, meanBoxHeight: t.meanBoxHeight, meanScore: t.meanScore,
                    minScore: t.observations.map(\.detection.score).min() ?? 0,
                    maxCenterStep: maxCenterStep(t),
                    // The catalog's TrackEnd mirrors the tracker's reasons by raw value.
                    endReason: TrackEnd(rawValue: t.endReason.rawValue))
    }

    /// The largest move of the box centre between consecutive faces, in pixels.
    static func maxCenterStep(_ t: FaceTrack) -> Float {
        var best: Float = 0
        for (a, b) in zip(t.observations, t.observations.dropFirst()) {
            let ca = a.detection.box.center, cb = b.detection.box.center
            best = max(best, ((ca.x - cb.x) * (ca.x - cb.x) + (ca.y - cb.y) * (ca.y - cb.y)).squareRoot())
        }
        return best
    }

    /// A face row; an interpolated face has the quality of its box and landmarks, and no sharpness.
    private static func face(_ f: PlannedFace, cropFolder: String) -> FaceRecord {
        let d = f.observation.detection
        let q = f.quality ?? FaceQuality(detection: d, sharpness: 0)
        return FaceRecord(
            trackID: 0, videoID: 0, frameIndex: f.observation.frameIndex, time: f.observation.time,
            x1: d.box.x1, y1: d.box.y1, x2: d.box.x2, y2: d.box.y2,
            landmarks: d.landmarks.flatMap { [$0.x, $0.y] }, score: d.score,
            interpolated: f.observation.interpolated, eyeDistance: q.eyeDistance,
            sharpness: f.quality == nil ? nil : q.sharpness, yaw: q.yaw, roll: q.roll,
            cropPath: f.cropPath.map { "\(cropFolder)/\($0)" }, cropHash: f.hash,
            reason: FaceReason(rawValue: f.reason.rawValue),
            source: f.observation.interpolated ? .interpolated : (f.source ?? .detected))
    }

    /// The sequence of a track: its kept faces.
    private static func sequence(_ plan: TrackPlan) -> SequenceRecord {
        let kept = plan.faces.filter { $0.reason == .kept }
        return SequenceRecord(trackID: 0, videoID: 0, faceCount: kept.count,
                              firstFrame: kept.first?.observation.frameIndex ?? plan.track.firstFrame,
                              lastFrame: kept.last?.observation.frameIndex ?? plan.track.lastFrame)
    }
}

extension Catalog {
    /// Inserts the rows of one video, linking them by the ids the inserts return; returns the
    /// video's id. Meant to run inside the video's transaction.
    func insert(_ rows: VideoRows) throws -> Int64 {
        let videoID = try insertVideo(rows.video)
        try insertContent(rows, videoID: videoID)
        return videoID
    }

    /// Inserts the shots, tracks, faces and sequences of `rows` for a video already in the
    /// catalog (a shot commit of a long video).
    func insertContent(_ rows: VideoRows, videoID: Int64) throws {
        let shotIDs = try insertShots(rows.shots.map { s in
            var s = s
            s.videoID = videoID
            return s
        })
        for t in rows.tracks {
            var track = t.track
            track.videoID = videoID
            track.shotID = t.shotIndex.map { shotIDs[$0] }
            let trackID = try insertTrack(track)
            let faceIDs = try insertFaces(t.faces.map { f in
                var f = f
                f.trackID = trackID
                f.videoID = videoID
                return f
            })
            if let model = rows.embeddingModel {
                let sampled = zip(faceIDs, t.embeddings).compactMap { id, e in e.map { FaceEmbeddingRecord(ownerID: id, model: model, vector: $0) } }
                try insertFaceEmbeddings(sampled)
            }
            if var sequence = t.sequence {
                sequence.trackID = trackID
                sequence.videoID = videoID
                try insertSequence(sequence)
            }
        }
    }
}
