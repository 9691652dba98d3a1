import Foundation
import SeqCore

/// Summary of a list of counts (faces per sequence, sequences per video, …).
public struct CountDistribution: Sendable, Equatable {
    public var count = 0
    public var min = 0
    public var max = 0
    public var mean = 0.0
    public var median = 0.0
    /// value → how many times it occurs, by value.
    public var histogram: [(value: Int, count: Int)] = []

    public init(_ values: [Int]) {
        guard !values.isEmpty else { return }
        let sorted = values.sorted()
        count = values.count
        min = sorted.first!
        max = sorted.last!
        mean = Double(values.reduce(0, +)) / Double(values.count)
        let mid = sorted.count / 2
        median = sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
        var counts: [Int: Int] = [:]
        for v in values { counts[v, default: 0] += 1 }
        histogram = counts.keys.sorted().map { ($0, counts[$0]!) }
    }

    public static func == (a: CountDistribution, b: CountDistribution) -> Bool {
        a.count == b.count && a.min == b.min && a.max == b.max && a.mean == b.mean && a.median == b.median
            && a.histogram.map(\.value) == b.histogram.map(\.value) && a.histogram.map(\.count) == b.histogram.map(\.count)
    }

    public var json: JSONValue {
        .object([("count", .int(count)), ("min", .int(min)), ("max", .int(max)), ("mean", .double((mean * 1000).rounded() / 1000)),
                 ("median", .double(median)),
                 ("histogram", .object(histogram.map { (String($0.value), JSONValue.int($0.count)) }))])
    }

    /// `min/mean/max` as text.
    public var summary: String {
        count == 0 ? "-" : String(format: "%d/%.1f/%d", min, mean, max)
    }
}

/// What `seqcurate stats` reports.
public struct CatalogStats: Sendable {
    public var schemaVersion = 0
    public var videos = 0
    public var videosFailed = 0
    /// (path, reason) of failed videos.
    public var failures: [(path: String, reason: String)] = []
    public var shots = 0
    public var tracks = 0
    public var sequences = 0
    public var faces = 0
    public var facesKept = 0
    /// Dropped faces by reason, by reason name.
    public var facesDropped: [(reason: FaceReason, count: Int)] = []
    public var facesPerSequence = CountDistribution([])
    public var sequencesPerVideo = CountDistribution([])
    public var tracksPerVideo = CountDistribution([])
    public var identities = 0
    public var identityImages = 0
    public var identityImagesFailed: [(reason: String, count: Int)] = []
    /// Exclusion rows by kind (identity, video, face, identity_image).
    public var exclusions: [(kind: String, count: Int)] = []
    /// Identity labels an export with default options would have (F), before file checks.
    public var faceidNum = 0
    /// Sequence labels an export with default options would have (S), before file checks.
    public var seqidNum = 0
    /// Images per exportable identity.
    public var imagesPerIdentityLabel = CountDistribution([])
    /// Faces per exportable sequence.
    public var facesPerSequenceLabel = CountDistribution([])
    public var ingestRuns = 0
    public var exports = 0

    public var json: JSONValue {
        .object([
            ("schema_version", .int(schemaVersion)),
            ("videos", .object([("total", .int(videos)), ("ok", .int(videos - videosFailed)), ("failed", .int(videosFailed))])),
            ("failed_videos", .array(failures.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })),
            ("shots", .int(shots)),
            ("tracks", .int(tracks)),
            ("sequences", .int(sequences)),
            ("faces", .object([("total", .int(faces)), ("kept", .int(facesKept)), ("dropped", .int(faces - facesKept))])),
            ("faces_dropped_by_reason", .object(facesDropped.map { ($0.reason.rawValue, JSONValue.int($0.count)) })),
            ("faces_per_sequence", facesPerSequence.json),
            ("sequences_per_video", sequencesPerVideo.json),
            ("tracks_per_video", tracksPerVideo.json),
            ("identities", .int(identities)),
            ("identity_images", .object([("total", .int(identityImages)),
                                         ("failed_by_reason", .object(identityImagesFailed.map { ($0.reason, JSONValue.int($0.count)) }))])),
            ("exclusions", .object(exclusions.map { ($0.kind, JSONValue.int($0.count)) })),
            ("faceid_num", .int(faceidNum)),
            ("seqid_num", .int(seqidNum)),
            ("images_per_identity_label", imagesPerIdentityLabel.json),
            ("faces_per_sequence_label", facesPerSequenceLabel.json),
            ("ingest_runs", .int(ingestRuns)),
            ("exports", .int(exports)),
        ])
    }

    /// A human-readable report, one fact per line.
    public var text: String {
        var lines: [String] = []
        lines.append("videos            \(videos) (\(videos - videosFailed) ok, \(videosFailed) failed)")
        for f in failures { lines.append("  failed: \(f.path): \(f.reason)") }
        lines.append("shots             \(shots)")
        lines.append("tracks            \(tracks)")
        lines.append("sequences         \(sequences)")
        lines.append("faces             \(faces) (\(facesKept) kept, \(faces - facesKept) dropped)")
        for d in facesDropped { lines.append("  dropped \(d.reason.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(d.count)") }
        lines.append("faces/sequence    \(facesPerSequence.summary) (min/mean/max)")
        lines.append("sequences/video   \(sequencesPerVideo.summary) (min/mean/max)")
        lines.append("identities        \(identities) (\(identityImages) images)")
        for f in identityImagesFailed { lines.append("  image failed \(f.reason): \(f.count)") }
        let excl = exclusions.isEmpty ? "none" : exclusions.map { "\($0.count) \($0.kind)" }.joined(separator: ", ")
        lines.append("exclusions        \(excl)")
        lines.append("F (faceid_num)    \(faceidNum), images/label \(imagesPerIdentityLabel.summary)")
        lines.append("S (seqid_num)     \(seqidNum), faces/label \(facesPerSequenceLabel.summary)")
        lines.append("ingest runs       \(ingestRuns), exports \(exports), schema v\(schemaVersion)")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Catalog {
    /// Counts for `seqcurate stats`, read from one snapshot.
    public func stats() throws -> CatalogStats {
        try transactionForRead {
            var s = CatalogStats()
            s.schemaVersion = try schemaVersion()
            s.videos = try scalar("SELECT count(*) FROM videos")
            s.failures = try query("SELECT path, failure_reason FROM videos WHERE status = 'failed' ORDER BY id") {
                (try $0["path"] as String, try $0["failure_reason"] as String)
            }
            s.videosFailed = s.failures.count
            s.shots = try scalar("SELECT count(*) FROM shots")
            s.tracks = try scalar("SELECT count(*) FROM tracks")
            s.sequences = try scalar("SELECT count(*) FROM sequences")
            s.faces = try scalar("SELECT count(*) FROM faces")
            s.facesKept = try scalar("SELECT count(*) FROM faces WHERE kept = 1")
            s.facesDropped = try query("SELECT reason, count(*) AS faces FROM faces WHERE kept = 0 GROUP BY reason ORDER BY reason") {
                (FaceReason(rawValue: try $0["reason"]), try $0["faces"] as Int)
            }
            s.facesPerSequence = CountDistribution(try query("SELECT face_count FROM sequences") { try $0["face_count"] })
            s.sequencesPerVideo = CountDistribution(try query("""
                SELECT (SELECT count(*) FROM sequences q WHERE q.video_id = v.id) AS sequences FROM videos v WHERE v.status = 'ok'
                """) { try $0["sequences"] })
            s.tracksPerVideo = CountDistribution(try query("""
                SELECT (SELECT count(*) FROM tracks t WHERE t.video_id = v.id) AS tracks FROM videos v WHERE v.status = 'ok'
                """) { try $0["tracks"] })
            s.identities = try scalar("SELECT count(*) FROM identities")
            s.identityImages = try scalar("SELECT count(*) FROM identity_images")
            s.identityImagesFailed = try query("""
                SELECT reason, count(*) AS images FROM identity_images WHERE status = 'failed' GROUP BY reason ORDER BY reason
                """) { (try $0["reason"] as String, try $0["images"] as Int) }
            s.exclusions = try query("SELECT kind, count(*) AS exclusions FROM exclusions GROUP BY kind ORDER BY kind") {
                (try $0["kind"] as String, try $0["exclusions"] as Int)
            }
            let candidates = try trainingCandidates()
            s.faceidNum = candidates.identities.count
            s.seqidNum = candidates.sequences.count
            s.imagesPerIdentityLabel = CountDistribution(candidates.identities.map(\.images.count))
            s.facesPerSequenceLabel = CountDistribution(candidates.sequences.map(\.faces.count))
            s.ingestRuns = try scalar("SELECT count(*) FROM ingest_runs")
            s.exports = try scalar("SELECT count(*) FROM exports")
            return s
        }
    }
}
