import Foundation

extension Catalog {
    static let videoColumns = "id, path, content_hash, duration, fps, width, height, frame_count, status, failure_reason, ingest_run_id, ingested_at"

    static func video(_ r: SQLiteRow) throws -> VideoRecord {
        try VideoRecord(id: r["id"], path: r["path"], contentHash: r["content_hash"], duration: r["duration"], fps: r["fps"],
                        width: r["width"], height: r["height"], frameCount: r["frame_count"],
                        status: VideoRecord.Status(rawValue: r["status"]) ?? .failed, failureReason: r["failure_reason"],
                        ingestRunID: r["ingest_run_id"], ingestedAt: r["ingested_at"])
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
        try query("SELECT crop_path FROM faces WHERE video_id = ? AND crop_path IS NOT NULL ORDER BY id", [.integer(videoID)]) { try $0["crop_path"] }
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
            if let hash: String = try queryFirst("SELECT content_hash FROM videos WHERE id = ?", [.integer(id)], { try $0["content_hash"] }) {
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
            try ShotRecord(id: $0["id"], videoID: $0["video_id"], index: $0["shot_index"], firstFrame: $0["first_frame"],
                           lastFrame: $0["last_frame"])
        }
    }
}

extension Catalog {
    /// One crop path of each ingested video that has crops: enough to tell the folder its
    /// crops are in (a merged video keeps the folder its source named).
    public func cropFolderSamples() throws -> [String] {
        try query("""
            SELECT (SELECT crop_path FROM faces f WHERE f.video_id = v.id AND f.crop_path IS NOT NULL LIMIT 1) AS sample
            FROM videos v WHERE v.status <> 'failed'
            """) { try $0["sample"] as String? }.compactMap { $0 }
    }
}
