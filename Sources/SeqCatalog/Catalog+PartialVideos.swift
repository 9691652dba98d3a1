import Foundation

/// Where a partial video (status `partial`, schema 5) stands: what a run resuming it needs.
public struct VideoResumePoint: Sendable, Equatable {
    /// The first frame after the last committed shot (0 when no shot is committed).
    public var nextFrame: Int
    /// Shots and tracks committed: the indices the next ones take.
    public var shots: Int
    public var tracks: Int
}

extension Catalog {
    /// The run working on a partial video (`claimed_by_run`), if any.
    public func claimingRun(videoID: Int64) throws -> IngestRunRecord? {
        guard openedSchemaVersion >= 5 else { return nil }
        return try queryFirst("SELECT \(Self.ingestRunColumns) FROM ingest_runs WHERE id = (SELECT claimed_by_run FROM videos WHERE id = ?)",
                              [.integer(videoID)], Self.ingestRun)
    }

    /// True when a partial video is being ingested by a live run: its claiming run is
    /// `running` and, on this host, its process exists (a run of another host counts as live).
    public func isPartialVideoClaimedByLiveRun(videoID: Int64) throws -> Bool {
        guard let run = try claimingRun(videoID: videoID) else { return false }
        return run.status == .running && !run.isAbandoned
    }

    /// Makes `runID` the run working on a partial video; false when the video is no longer
    /// partial or another run claimed it meanwhile. Meant for a transaction.
    public func claimPartialVideo(id: Int64, by runID: Int64) throws -> Bool {
        guard try scalar("SELECT count(*) FROM videos WHERE id = ? AND status = 'partial'", [.integer(id)]) == 1,
              try !isPartialVideoClaimedByLiveRun(videoID: id) || (try claimingRun(videoID: id))?.id == runID else { return false }
        try run("UPDATE videos SET claimed_by_run = ? WHERE id = ?", [.integer(runID), .integer(id)])
        return true
    }

    /// The run claiming a video (nil when none or not partial).
    public func claimedRunID(videoID: Int64) throws -> Int64? {
        guard openedSchemaVersion >= 5 else { return nil }
        return try queryFirst("SELECT claimed_by_run FROM videos WHERE id = ? AND status = 'partial'", [.integer(videoID)]) {
            try $0["claimed_by_run"] as Int64?
        } ?? nil
    }

    /// Where a partial video stands.
    public func resumePoint(videoID: Int64) throws -> VideoResumePoint {
        let next = try scalar("SELECT coalesce(max(last_frame) + 1, 0) FROM shots WHERE video_id = ?", [.integer(videoID)])
        return VideoResumePoint(nextFrame: next,
                                shots: try scalar("SELECT count(*) FROM shots WHERE video_id = ?", [.integer(videoID)]),
                                tracks: try scalar("SELECT count(*) FROM tracks WHERE video_id = ?", [.integer(videoID)]))
    }

    /// Marks a video `partial`, claimed by `runID` (its first shot commit).
    public func markPartial(videoID: Int64, runID: Int64) throws {
        try run("UPDATE videos SET status = 'partial', claimed_by_run = ? WHERE id = ?", [.integer(runID), .integer(videoID)])
    }

    /// Ends a partial video: status `ok` with its final frame count and duration.
    public func completeVideo(id: Int64, frameCount: Int, duration: Double?) throws {
        try run("UPDATE videos SET status = 'ok', claimed_by_run = NULL, frame_count = ?, duration = ? WHERE id = ?",
                [.int(frameCount), .double(duration), .integer(id)])
    }
}
