import Foundation

extension Catalog {
    static let trackColumnsV1 = """
        id, video_id, shot_id, track_index, first_frame, last_frame, face_count, mean_box_width, mean_box_height, \
        mean_score, min_score, max_center_step
        """
    static let trackColumns = trackColumnsV1 + ", end_reason"

    /// The schema version that added `tracks.end_reason`, found by its migration's file name so
    /// that renumbering the migrations cannot make it wrong.
    static let trackEndReasonVersion = CatalogSchemaSQL.migrations.first { $0.fileName.hasSuffix("_track_end_reason.sql") }!.version

    /// The track columns this catalog has: an older catalog opened for reading has no `end_reason`.
    var readableTrackColumns: String { openedSchemaVersion >= Self.trackEndReasonVersion ? Self.trackColumns : Self.trackColumnsV1 }

    /// `end_reason` is read when the query has it; a value this version does not know reads as nil.
    static func track(_ r: SQLiteRow) throws -> TrackRecord {
        try TrackRecord(id: r["id"], videoID: r["video_id"], shotID: r["shot_id"], index: r["track_index"], firstFrame: r["first_frame"],
                        lastFrame: r["last_frame"], faceCount: r["face_count"], meanBoxWidth: r["mean_box_width"],
                        meanBoxHeight: r["mean_box_height"], meanScore: r["mean_score"], minScore: r["min_score"],
                        maxCenterStep: r["max_center_step"],
                        endReason: r.has("end_reason") ? (r["end_reason"] as String?).flatMap(TrackEnd.init(rawValue:)) : nil)
    }

    /// Inserts a track; returns its id.
    public func insertTrack(_ t: TrackRecord) throws -> Int64 {
        try insert("""
            INSERT INTO tracks (video_id, shot_id, track_index, first_frame, last_frame, face_count, mean_box_width, mean_box_height,
                                mean_score, min_score, max_center_step, end_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.integer(t.videoID), .int64(t.shotID), .int(t.index), .int(t.firstFrame), .int(t.lastFrame), .int(t.faceCount),
                  .float(t.meanBoxWidth), .float(t.meanBoxHeight), .float(t.meanScore), .float(t.minScore), .float(t.maxCenterStep),
                  .string(t.endReason?.rawValue)])
    }

    /// Tracks of one video, or of all videos, by video and index.
    public func tracks(videoID: Int64? = nil) throws -> [TrackRecord] {
        if let videoID {
            return try query("SELECT \(readableTrackColumns) FROM tracks WHERE video_id = ? ORDER BY track_index", [.integer(videoID)], Self.track)
        }
        return try query("SELECT \(readableTrackColumns) FROM tracks ORDER BY video_id, track_index", [], Self.track)
    }

    // MARK: faces

    static let faceColumns = """
        id, track_id, video_id, frame_index, time, x1, y1, x2, y2, left_eye_x, left_eye_y, right_eye_x, right_eye_y, \
        nose_x, nose_y, mouth_left_x, mouth_left_y, mouth_right_x, mouth_right_y, score, interpolated, eye_distance, \
        sharpness, yaw, roll, crop_path, crop_hash, reason
        """

    static let faceColumnsWithSource = faceColumns + ", face_source"

    /// The schema version that added `faces.face_source`, found by its migration's file name.
    static let faceSourceVersion = CatalogSchemaSQL.migrations.first { $0.fileName.hasSuffix("_face_source.sql") }!.version

    /// The face columns this catalog has: an older catalog opened for reading has no `face_source`.
    var readableFaceColumns: String { openedSchemaVersion >= Self.faceSourceVersion ? Self.faceColumnsWithSource : Self.faceColumns }

    /// The landmark columns in `FaceRecord.landmarks` order (x, y of each point).
    static let landmarkColumns = ["left_eye_x", "left_eye_y", "right_eye_x", "right_eye_y", "nose_x", "nose_y",
                                  "mouth_left_x", "mouth_left_y", "mouth_right_x", "mouth_right_y"]

    static func face(_ r: SQLiteRow) throws -> FaceRecord {
        try FaceRecord(id: r["id"], trackID: r["track_id"], videoID: r["video_id"], frameIndex: r["frame_index"], time: r["time"],
                       x1: r["x1"], y1: r["y1"], x2: r["x2"], y2: r["y2"],
                       landmarks: landmarkColumns.map { try r[$0] }, score: r["score"], interpolated: r["interpolated"],
                       eyeDistance: r["eye_distance"], sharpness: r["sharpness"], yaw: r["yaw"], roll: r["roll"],
                       cropPath: r["crop_path"], cropHash: r["crop_hash"], reason: FaceReason(rawValue: r["reason"]),
                       source: r.has("face_source") ? (r["face_source"] as String?).flatMap(FaceSource.init(rawValue:)) : nil)
    }

    /// Inserts faces with one prepared statement in one transaction (or the caller's);
    /// returns their ids in order.
    @discardableResult
    public func insertFaces(_ faces: [FaceRecord]) throws -> [Int64] {
        let sql = """
            INSERT INTO faces (track_id, video_id, frame_index, time, x1, y1, x2, y2, left_eye_x, left_eye_y, right_eye_x, right_eye_y,
                               nose_x, nose_y, mouth_left_x, mouth_left_y, mouth_right_x, mouth_right_y, score, interpolated,
                               eye_distance, sharpness, yaw, roll, crop_path, crop_hash, kept, reason, face_source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        return try transaction {
            let stmt = try db.statement(sql)
            var ids: [Int64] = []
            ids.reserveCapacity(faces.count)
            for f in faces {
                stmt.reset()
                stmt.bind(1, f.trackID); stmt.bind(2, f.videoID); stmt.bind(3, f.frameIndex); stmt.bind(4, f.time)
                stmt.bind(5, f.x1); stmt.bind(6, f.y1); stmt.bind(7, f.x2); stmt.bind(8, f.y2)
                for (k, v) in f.landmarks.enumerated() { stmt.bind(Int32(9 + k), v) }
                stmt.bind(19, f.score); stmt.bind(20, f.interpolated); stmt.bind(21, f.eyeDistance)
                stmt.bind(22, f.sharpness); stmt.bind(23, f.yaw); stmt.bind(24, f.roll)
                stmt.bind(25, f.cropPath); stmt.bind(26, f.cropHash); stmt.bind(27, f.kept); stmt.bind(28, f.reason.rawValue)
                stmt.bind(29, f.source?.rawValue)
                try stmt.run()
                ids.append(db.lastInsertRowID)
            }
            return ids
        }
    }

    /// Faces of a track in frame order.
    public func faces(trackID: Int64) throws -> [FaceRecord] {
        try query("SELECT \(readableFaceColumns) FROM faces WHERE track_id = ? ORDER BY frame_index, id", [.integer(trackID)], Self.face)
    }

    /// Faces of a video by track and frame.
    public func faces(videoID: Int64) throws -> [FaceRecord] {
        try query("SELECT \(readableFaceColumns) FROM faces WHERE video_id = ? ORDER BY track_id, frame_index, id", [.integer(videoID)], Self.face)
    }

    /// Sets the perceptual hash of face crops (computed lazily by `exclude --images`).
    public func setFaceCropHashes(_ hashes: [(faceID: Int64, hash: UInt64)]) throws {
        try setCropHashes(table: "faces", hashes.map { ($0.faceID, $0.hash) })
    }

    /// `crop_hash` of rows of `table` by id, in one transaction with one prepared statement.
    func setCropHashes(table: String, _ hashes: [(id: Int64, hash: UInt64)]) throws {
        try transaction {
            let stmt = try db.statement("UPDATE \(table) SET crop_hash = ? WHERE id = ?")
            for h in hashes {
                stmt.reset()
                stmt.bind(1, h.hash); stmt.bind(2, h.id)
                try stmt.run()
            }
        }
    }

    // MARK: sequences

    static let sequenceColumns = "id, track_id, video_id, face_count, first_frame, last_frame"

    static func sequence(_ r: SQLiteRow) throws -> SequenceRecord {
        try SequenceRecord(id: r["id"], trackID: r["track_id"], videoID: r["video_id"], faceCount: r["face_count"],
                           firstFrame: r["first_frame"], lastFrame: r["last_frame"])
    }

    /// Inserts the sequence of a track; returns its id.
    @discardableResult
    public func insertSequence(_ q: SequenceRecord) throws -> Int64 {
        try insert("INSERT INTO sequences (track_id, video_id, face_count, first_frame, last_frame) VALUES (?, ?, ?, ?, ?)",
                   [.integer(q.trackID), .integer(q.videoID), .int(q.faceCount), .int(q.firstFrame), .int(q.lastFrame)])
    }

    /// Sequences of one video, or all, by id (the export label order).
    public func sequences(videoID: Int64? = nil) throws -> [SequenceRecord] {
        if let videoID {
            return try query("SELECT \(Self.sequenceColumns) FROM sequences WHERE video_id = ? ORDER BY id", [.integer(videoID)], Self.sequence)
        }
        return try query("SELECT \(Self.sequenceColumns) FROM sequences ORDER BY id", [], Self.sequence)
    }

    /// The sequence of a track, if it gave one.
    public func sequence(trackID: Int64) throws -> SequenceRecord? {
        try queryFirst("SELECT \(Self.sequenceColumns) FROM sequences WHERE track_id = ?", [.integer(trackID)], Self.sequence)
    }

    /// The kept faces of a sequence in frame order.
    public func sequenceFaces(sequenceID: Int64) throws -> [FaceRecord] {
        try query("""
            SELECT \(readableFaceColumns.split(separator: ",").map { "f." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM faces f JOIN sequences q ON q.track_id = f.track_id
            WHERE q.id = ? AND f.kept = 1 ORDER BY f.frame_index, f.id
            """, [.integer(sequenceID)], Self.face)
    }
}
