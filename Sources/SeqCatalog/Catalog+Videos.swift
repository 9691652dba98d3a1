import Foundation

extension Catalog {
    static let videoColumns = "id, path, content_hash, duration, fps, width, height, frame_count, status, failure_reason, ingest_run_id, ingested_at"

    static func video(_ s: SQLiteStatement) -> VideoRecord {
        VideoRecord(id: s.int64(0), path: s.text(1), contentHash: s.text(2), duration: s.optionalDouble(3), fps: s.optionalDouble(4),
                    width: s.optionalInt(5), height: s.optionalInt(6), frameCount: s.optionalInt(7),
                    status: VideoRecord.Status(rawValue: s.text(8)) ?? .failed, failureReason: s.optionalText(9),
                    ingestRunID: s.optionalInt64(10), ingestedAt: s.text(11))
    }

    /// Inserts a video (ok or failed); returns its id. Fails if its content hash is already in
    /// the catalog: check `video(contentHash:)` first, or `deleteVideo` for `--force`.
    ///
    /// If a video of the same content was deleted by `deleteVideo` on this catalog (the
    /// `--force` path), its video-level exclusions are attached to the new row.
    public func insertVideo(_ v: VideoRecord) throws -> Int64 {
        try transaction {
            let id = try insert("""
                INSERT INTO videos (path, content_hash, duration, fps, width, height, frame_count, status, failure_reason, ingest_run_id, ingested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(v.path), .text(v.contentHash), .double(v.duration), .double(v.fps), .int(v.width), .int(v.height),
                      .int(v.frameCount), .text(v.status.rawValue), .string(v.failureReason), .int64(v.ingestRunID), .text(v.ingestedAt)])
            if let carried = carriedVideoExclusions.removeValue(forKey: v.contentHash) {
                try addExclusions(carried.map { var e = $0; e.target = .video(id); return e })
            }
            return id
        }
    }

    /// True when a video with this content is in the catalog (ok or failed).
    public func hasVideo(contentHash: String) throws -> Bool {
        try scalar("SELECT count(*) FROM videos WHERE content_hash = ?", [.text(contentHash)]) > 0
    }

    /// The video with this content, if any.
    public func video(contentHash: String) throws -> VideoRecord? {
        try queryFirst("SELECT \(Self.videoColumns) FROM videos WHERE content_hash = ?", [.text(contentHash)], Self.video)
    }

    public func video(id: Int64) throws -> VideoRecord? {
        try queryFirst("SELECT \(Self.videoColumns) FROM videos WHERE id = ?", [.integer(id)], Self.video)
    }

    /// All videos by id.
    public func videos() throws -> [VideoRecord] {
        try query("SELECT \(Self.videoColumns) FROM videos ORDER BY id", [], Self.video)
    }

    /// Crop paths (relative to the catalog folder) of a video's faces, so that `--force` and
    /// crash recovery can remove the files with the rows.
    public func cropPaths(videoID: Int64) throws -> [String] {
        try query("SELECT crop_path FROM faces WHERE video_id = ? AND crop_path IS NOT NULL ORDER BY id", [.integer(videoID)]) { $0.text(0) }
    }

    /// Deletes a video with its shots, tracks, faces, sequences and the exclusions that point
    /// at them (for `ingest --force`). Crop files are the caller's to remove.
    ///
    /// The leakage guard survives a re-ingest: the video's own exclusions (by name) are kept
    /// aside and attached to the next `insertVideo` of the same content on this `Catalog`.
    /// Exclusions of its faces (near-duplicates) cannot follow new face ids; re-run
    /// `exclude --images` after `--force`.
    public func deleteVideo(id: Int64) throws {
        try transaction {
            if let hash = try queryFirst("SELECT content_hash FROM videos WHERE id = ?", [.integer(id)], { $0.text(0) }) {
                let own = try query("SELECT \(Self.exclusionColumns) FROM exclusions WHERE video_id = ? ORDER BY id", [.integer(id)], Self.exclusion)
                if !own.isEmpty { carriedVideoExclusions[hash, default: []] += own }
            }
            try run("DELETE FROM videos WHERE id = ?", [.integer(id)])
        }
    }

    // MARK: shots

    static let shotColumns = "id, video_id, shot_index, first_frame, last_frame"

    /// Inserts shots with one prepared statement; returns their ids in order.
    @discardableResult
    public func insertShots(_ shots: [ShotRecord]) throws -> [Int64] {
        try transaction {
            try shots.map { s in
                try insert("INSERT INTO shots (video_id, shot_index, first_frame, last_frame) VALUES (?, ?, ?, ?)",
                           [.integer(s.videoID), .int(s.index), .int(s.firstFrame), .int(s.lastFrame)])
            }
        }
    }

    /// A video's shots in order.
    public func shots(videoID: Int64) throws -> [ShotRecord] {
        try query("SELECT \(Self.shotColumns) FROM shots WHERE video_id = ? ORDER BY shot_index", [.integer(videoID)]) {
            ShotRecord(id: $0.int64(0), videoID: $0.int64(1), index: $0.int(2), firstFrame: $0.int(3), lastFrame: $0.int(4))
        }
    }
}
