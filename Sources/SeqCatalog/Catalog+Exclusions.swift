import Foundation

/// What one exclusion step matched and added.
public struct ExclusionSummary: Sendable, Equatable {
    /// Targets that matched (including ones excluded before by the same source).
    public var matchedIdentities = 0
    public var matchedVideos = 0
    public var matchedFaces = 0
    public var matchedIdentityImages = 0
    /// Sequences whose person matched (`excludeMatchingFaces`); their kept faces count in `matchedFaces`.
    public var matchedSequences = 0
    /// New exclusion rows; 0 when the same exclusion is run again.
    public var added = 0
    /// Normalized names that matched nothing in the catalog.
    public var unmatchedNames: [String] = []

    public init() {}
}

extension Catalog {
    static let exclusionColumns = "id, kind, identity_id, video_id, face_id, identity_image_id, reason, protocol, source, created_at"

    static func exclusion(_ r: SQLiteRow) throws -> ExclusionRecord {
        let target: ExclusionTarget
        switch try r["kind"] as String {
        case "identity": target = .identity(try r["identity_id"])
        case "video": target = .video(try r["video_id"])
        case "face": target = .face(try r["face_id"])
        default: target = .identityImage(try r["identity_image_id"])
        }
        return try ExclusionRecord(id: r["id"], target: target, reason: r["reason"], protocolName: r["protocol"], source: r["source"],
                                   createdAt: r["created_at"])
    }

    /// Adds exclusion rows in one transaction. A row equal to an existing one (same target,
    /// protocol and source) is not added again. Returns how many rows were new.
    @discardableResult
    public func addExclusions(_ rows: [ExclusionRecord]) throws -> Int {
        try transaction {
            let stmt = try db.statement("""
                INSERT INTO exclusions (kind, identity_id, video_id, face_id, identity_image_id, reason, protocol, source, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
                """)
            var added = 0
            for r in rows {
                stmt.reset()
                stmt.bind(1, r.target.kind)
                switch r.target {
                case .identity(let id): stmt.bind(2, id)
                case .video(let id): stmt.bind(3, id)
                case .face(let id): stmt.bind(4, id)
                case .identityImage(let id): stmt.bind(5, id)
                }
                stmt.bind(6, r.reason); stmt.bind(7, r.protocolName); stmt.bind(8, r.source); stmt.bind(9, r.createdAt)
                try stmt.run()
                added += db.changes
            }
            return added
        }
    }

    /// Excludes every identity whose normalized name is one of `names`, and every video whose
    /// file or folder name carries one (see `NameMatching.names(in:matching:)`).
    ///
    /// - Parameters:
    ///   - names: person names as written in the protocol; normalized here.
    ///   - protocolName: `lfw`, `ytf` or `names`.
    ///   - source: the file the names came from, recorded with each row.
    public func excludeNames(_ names: [String], protocolName: String, source: String) throws -> ExclusionSummary {
        var byNormalized: [String: String] = [:]
        for name in names {
            let key = NameMatching.normalize(name)
            if !key.isEmpty, byNormalized[key] == nil { byNormalized[key] = name }
        }
        let wanted = Set(byNormalized.keys)
        let now = CatalogTime.now()
        var rows: [ExclusionRecord] = []
        var summary = ExclusionSummary()
        var used = Set<String>()

        for identity in try identities() where wanted.contains(identity.normalizedName) {
            let written = byNormalized[identity.normalizedName]!
            rows.append(ExclusionRecord(target: .identity(identity.id!), reason: "name \(written) in \(protocolName) list",
                                        protocolName: protocolName, source: source, createdAt: now))
            used.insert(identity.normalizedName)
            summary.matchedIdentities += 1
        }
        for video in try videos() {
            let carried = NameMatching.names(in: video.path, matching: wanted)
            guard !carried.isEmpty else { continue }
            let written = carried.map { byNormalized[$0]! }.joined(separator: ", ")
            rows.append(ExclusionRecord(target: .video(video.id!), reason: "path carries \(written) from \(protocolName) list",
                                        protocolName: protocolName, source: source, createdAt: now))
            used.formUnion(carried)
            summary.matchedVideos += 1
        }
        summary.added = try addExclusions(rows)
        summary.unmatchedNames = wanted.subtracting(used).sorted()
        return summary
    }

    /// Faces and identity images that have a crop (or aligned image) but no perceptual hash yet.
    public func itemsMissingCropHash() throws -> (faces: [(id: Int64, path: URL)], identityImages: [(id: Int64, path: URL)]) {
        let faces = try query("SELECT id, crop_path FROM faces WHERE crop_path IS NOT NULL AND crop_hash IS NULL ORDER BY id") {
            (id: try $0["id"] as Int64, path: resolve(try $0["crop_path"] as String))
        }
        let images = try identityImages().filter { $0.status == .ok && $0.cropHash == nil }.map {
            (id: $0.id!, path: trainingFile(of: $0))
        }
        return (faces, images)
    }

    /// Excludes every face and identity image whose crop hash is within `maxDistance` bits of
    /// one of `hashes` (the perceptual hashes of a test set's aligned images).
    ///
    /// - Parameter names: a label per hash (e.g. the test image's file name) for the reason.
    public func excludeNearDuplicates(hashes: [UInt64], names: [String], maxDistance: Int, source: String) throws -> ExclusionSummary {
        precondition(hashes.count == names.count)
        let faces = try query("SELECT id, crop_hash FROM faces WHERE crop_hash IS NOT NULL ORDER BY id") { (try $0["id"] as Int64, try $0["crop_hash"] as UInt64) }
        let images = try query("SELECT id, crop_hash FROM identity_images WHERE crop_hash IS NOT NULL ORDER BY id") { (try $0["id"] as Int64, try $0["crop_hash"] as UInt64) }
        let now = CatalogTime.now()
        var rows: [ExclusionRecord] = []
        var summary = ExclusionSummary()
        func nearest(_ h: UInt64) -> (Int, Int)? {
            var best: (Int, Int)?
            hashes.withUnsafeBufferPointer { p in
                for i in 0..<p.count {
                    let d = (p[i] ^ h).nonzeroBitCount
                    if d <= maxDistance, d < (best?.1 ?? Int.max) { best = (i, d) }
                }
            }
            return best
        }
        for (id, h) in faces {
            if let (i, d) = nearest(h) {
                rows.append(ExclusionRecord(target: .face(id), reason: "near-duplicate of \(names[i]) (dHash distance \(d))",
                                            protocolName: "images", source: source, createdAt: now))
                summary.matchedFaces += 1
            }
        }
        for (id, h) in images {
            if let (i, d) = nearest(h) {
                rows.append(ExclusionRecord(target: .identityImage(id), reason: "near-duplicate of \(names[i]) (dHash distance \(d))",
                                            protocolName: "images", source: source, createdAt: now))
                summary.matchedIdentityImages += 1
            }
        }
        summary.added = try addExclusions(rows)
        return summary
    }

    /// Exclusion rows of one kind (`identity`, `video`, `face`, `identity_image`), or all, by id.
    public func exclusions(kind: String? = nil) throws -> [ExclusionRecord] {
        if let kind {
            return try query("SELECT \(Self.exclusionColumns) FROM exclusions WHERE kind = ? ORDER BY id", [.text(kind)], Self.exclusion)
        }
        return try query("SELECT \(Self.exclusionColumns) FROM exclusions ORDER BY id", [], Self.exclusion)
    }
}
