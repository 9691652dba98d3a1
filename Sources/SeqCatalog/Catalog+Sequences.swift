import Foundation
import SeqCore

/// One sequence as `seqcurate sequences` lists it and the report shows it: where it comes from
/// (video, shot, track), what an export does with it (`status`) and its kept faces.
public struct SequenceListing: Sendable, Equatable {
    /// What an export does with the sequence.
    public enum Status: Sendable, Equatable {
        /// Exported under a sequence label (negative).
        case sequence
        /// Exported under the label of the imported identity its faces match (relabelled).
        case identity(name: String)
        /// Kept out of training, with the exclusion's reason.
        case excluded(reason: String)

        /// `sequence`, `identity:NAME` or `excluded:REASON`.
        public var text: String {
            switch self {
            case .sequence: return "sequence"
            case .identity(let name): return "identity:\(name)"
            case .excluded(let reason): return "excluded:\(reason)"
            }
        }
    }

    /// The imported identity a sequence's faces match (identity-aware curation, issue #11).
    public struct IdentityMatch: Sendable, Equatable {
        public var identityID: Int64
        public var dataset: String
        public var name: String
        /// Embedding distance of the match, when the matcher recorded one.
        public var distance: Double?

        public init(identityID: Int64, dataset: String, name: String, distance: Double?) {
            self.identityID = identityID; self.dataset = dataset; self.name = name; self.distance = distance
        }
    }

    /// Who a sequence is, as far as the catalog knows: the identity it matches, and the group
    /// of sequences that show the same person (`person`: one number per group, any sequence's
    /// id works). Both nil until identity matching has run.
    public struct Identity: Sendable, Equatable {
        public var match: IdentityMatch?
        public var person: Int64?

        public init(match: IdentityMatch? = nil, person: Int64? = nil) { self.match = match; self.person = person }
    }

    /// A kept face of the sequence.
    public struct Face: Sendable, Equatable {
        public var id: Int64
        public var frame: Int
        /// Seconds from the start of the video.
        public var time: Double
        /// The box `[x1, y1, x2, y2]` in pixels of the frame.
        public var box: [Float]
        /// The crop, relative to the catalog folder (nil: ingest kept none).
        public var cropPath: String?
        public var trackID: Int64
        public var trackIndex: Int
        public var score: Float
        public var eyeDistance: Float
        public var sharpness: Float?
        /// Reasons of the exclusions of this face (`exclude --images`); empty when none.
        public var exclusions: [String]
    }

    public var id: Int64
    public var videoID: Int64
    public var videoPath: String
    public var fps: Double?
    public var shotID: Int64?
    /// 0, 1, … within the video; nil when the track has no shot.
    public var shotIndex: Int?
    public var trackID: Int64
    public var trackIndex: Int
    public var firstFrame: Int
    public var lastFrame: Int
    public var status: Status
    /// Identity matching's result; `Identity()` when none is recorded.
    public var identity: Identity
    /// Kept faces in frame order.
    public var faces: [Face]
    /// The track's dropped faces by reason (`duplicate`, `blurry`, …).
    public var dropped: [String: Int]

    public var meanScore: Double { mean(faces.map { Double($0.score) }) }
    public var meanEyeDistance: Double { mean(faces.map { Double($0.eyeDistance) }) }
    /// Mean over the faces that have a sharpness (interpolated ones have none); nil when none has.
    public var meanSharpness: Double? {
        let values = faces.compactMap(\.sharpness).map(Double.init)
        return values.isEmpty ? nil : mean(values)
    }

    /// Seconds from the first to the last kept face, when the frame rate is known.
    public var seconds: Double? { fps.flatMap { $0 > 0 ? Double(lastFrame - firstFrame + 1) / $0 : nil } }

    private func mean(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count) }

    /// The listing as `seqcurate sequences --json` prints it.
    public var json: JSONValue {
        let matchJSON: JSONValue = identity.match.map { m in
            .object([("identity_id", .int(Int(m.identityID))), ("dataset", .string(m.dataset)), ("name", .string(m.name)),
                     ("distance", .optional(m.distance))])
        } ?? .null
        let faceJSON: [JSONValue] = faces.map { f in
            .object([("face_id", .int(Int(f.id))), ("frame", .int(f.frame)), ("time", .double(f.time)),
                     ("box", .array(f.box.map { .double(Double($0)) })), ("crop", .optional(f.cropPath)),
                     ("track_id", .int(Int(f.trackID))), ("track_index", .int(f.trackIndex)),
                     ("score", .double(Double(f.score))), ("excluded", .array(f.exclusions.map { .string($0) }))])
        }
        return .object([
            ("sequence_id", .int(Int(id))), ("video_id", .int(Int(videoID))), ("video", .string(videoPath)),
            ("shot_index", .optional(shotIndex)), ("track_id", .int(Int(trackID))), ("track_index", .int(trackIndex)),
            ("first_frame", .int(firstFrame)), ("last_frame", .int(lastFrame)), ("status", .string(status.text)),
            ("identity", matchJSON), ("person", .optional(identity.person.map { Int($0) })),
            ("dropped", .object(dropped.keys.sorted().map { ($0, .int(dropped[$0]!)) })),
            ("faces", .array(faceJSON)),
        ])
    }
}

extension Catalog {
    /// Every sequence (or those of one video) by id, with its video, shot, track, status and
    /// kept faces: the one query behind `seqcurate sequences` and the report's sequence pages.
    ///
    /// The status follows what `export` does (see `trainingCandidates()`):
    /// - `excluded:REASON` when the video is excluded, or when every kept face with a crop is
    ///   (the first exclusion's reason);
    /// - `identity:NAME` when identity matching found the sequence's person among the
    ///   imported identities (`sequenceIdentities`);
    /// - `sequence` otherwise.
    public func sequenceListing(videoID: Int64? = nil) throws -> [SequenceListing] {
        try transactionForRead {
            let filter = videoID == nil ? "" : "WHERE q.video_id = ?"
            let args: [SQLiteValue] = videoID.map { [.integer($0)] } ?? []
            var listings: [SequenceListing] = []
            let rows = try query("""
                SELECT q.id AS sequence_id, q.video_id, v.path, v.fps, q.first_frame, q.last_frame,
                       t.id AS track_id, t.track_index, t.shot_id, s.shot_index,
                       f.id AS face_id, f.frame_index, f.time, f.x1, f.y1, f.x2, f.y2, f.crop_path, f.score, f.eye_distance, f.sharpness
                FROM sequences q
                JOIN videos v ON v.id = q.video_id
                JOIN tracks t ON t.id = q.track_id
                LEFT JOIN shots s ON s.id = t.shot_id
                JOIN faces f ON f.track_id = q.track_id AND f.kept = 1
                \(filter)
                ORDER BY q.id, f.frame_index, f.id
                """, args) { r -> (SequenceListing, SequenceListing.Face) in
                let trackID: Int64 = try r["track_id"], trackIndex: Int = try r["track_index"]
                let sequence = try SequenceListing(
                    id: r["sequence_id"], videoID: r["video_id"], videoPath: r["path"], fps: r["fps"], shotID: r["shot_id"],
                    shotIndex: r["shot_index"], trackID: trackID, trackIndex: trackIndex, firstFrame: r["first_frame"],
                    lastFrame: r["last_frame"], status: .sequence, identity: .init(), faces: [], dropped: [:])
                let face = try SequenceListing.Face(
                    id: r["face_id"], frame: r["frame_index"], time: r["time"], box: [r["x1"], r["y1"], r["x2"], r["y2"]],
                    cropPath: r["crop_path"], trackID: trackID, trackIndex: trackIndex, score: r["score"],
                    eyeDistance: r["eye_distance"], sharpness: r["sharpness"], exclusions: [])
                return (sequence, face)
            }
            for (sequence, face) in rows {
                if listings.last?.id != sequence.id { listings.append(sequence) }
                listings[listings.count - 1].faces.append(face)
            }
            let dropped = try query("""
                SELECT q.id AS sequence_id, f.reason, count(*) AS n
                FROM sequences q JOIN faces f ON f.track_id = q.track_id AND f.kept = 0
                \(filter)
                GROUP BY q.id, f.reason
                """, args) { r in (try r["sequence_id"] as Int64, try r["reason"] as String, try r["n"] as Int) }
            var droppedBySequence: [Int64: [String: Int]] = [:]
            for (id, reason, n) in dropped { droppedBySequence[id, default: [:]][reason] = n }

            var videoExclusions: [Int64: [String]] = [:]
            var faceExclusions: [Int64: [String]] = [:]
            for e in try exclusions() {
                switch e.target {
                case .video(let id): videoExclusions[id, default: []].append(e.reason)
                case .face(let id): faceExclusions[id, default: []].append(e.reason)
                default: break
                }
            }
            let identities = try sequenceIdentities(videoID: videoID)
            for i in listings.indices {
                var q = listings[i]
                q.dropped = droppedBySequence[q.id] ?? [:]
                for k in q.faces.indices { q.faces[k].exclusions = faceExclusions[q.faces[k].id] ?? [] }
                q.identity = identities[q.id] ?? .init()
                let usable = q.faces.filter { $0.cropPath != nil && $0.exclusions.isEmpty }
                if let reason = videoExclusions[q.videoID]?.first {
                    q.status = .excluded(reason: reason)
                } else if usable.isEmpty {
                    q.status = .excluded(reason: q.faces.lazy.flatMap(\.exclusions).first ?? "no kept face has a crop")
                } else if let match = q.identity.match {
                    q.status = .identity(name: match.name)
                }
                listings[i] = q
            }
            return listings
        }
    }

    /// Identity matching's result per sequence id: the imported identity its person matches
    /// (`sequenceIdentityMatches`, the same decision `export --sequence-overlap` makes, at the
    /// default threshold) and the group of sequences of one video that show the same person
    /// (`samePersonSequences`; the group's number is its first sequence id). Empty when the
    /// catalog holds no embeddings.
    func sequenceIdentities(videoID: Int64?) throws -> [Int64: SequenceListing.Identity] {
        var out: [Int64: SequenceListing.Identity] = [:]
        for (id, m) in try sequenceIdentityMatches() {
            out[id, default: .init()].match = .init(identityID: m.identityID, dataset: m.dataset, name: m.name,
                                                    distance: Double(m.distance))
        }
        for group in try samePersonSequences() where videoID == nil || group.videoID == videoID {
            for id in group.sequenceIDs { out[id, default: .init()].person = group.sequenceIDs[0] }
        }
        return out
    }
}
