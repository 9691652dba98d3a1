import Foundation
import SeqCore

extension Catalog {
    static let identityColumns = "id, dataset, name, normalized_name"

    static func identity(_ row: SQLiteRow) throws -> IdentityRecord {
        var r = try IdentityRecord(id: row["id"], dataset: row["dataset"], name: row["name"])
        r.normalizedName = try row["normalized_name"]
        return r
    }

    /// The id of identity `name` in `dataset`, inserting it if new. Idempotent.
    public func upsertIdentity(dataset: String, name: String) throws -> Int64 {
        try transaction {
            try run("INSERT INTO identities (dataset, name, normalized_name) VALUES (?, ?, ?) ON CONFLICT (dataset, name) DO NOTHING",
                    [.text(dataset), .text(name), .text(NameMatching.normalize(name))])
            guard let id = try queryFirst("SELECT id FROM identities WHERE dataset = ? AND name = ?", [.text(dataset), .text(name)], { try $0["id"] as Int64 }) else {
                throw SeqError("identity \(name) missing right after its insert", file: url.path)
            }
            return id
        }
    }

    /// Identities of one dataset, or all, by dataset and name.
    public func identities(dataset: String? = nil) throws -> [IdentityRecord] {
        if let dataset {
            return try query("SELECT \(Self.identityColumns) FROM identities WHERE dataset = ? ORDER BY name, id", [.text(dataset)], Self.identity)
        }
        return try query("SELECT \(Self.identityColumns) FROM identities ORDER BY dataset, name, id", [], Self.identity)
    }

    // MARK: images

    static let identityImageColumns = "id, identity_id, source_path, crop_path, aligned, status, reason, score, crop_hash, ingest_run_id"

    static func identityImage(_ r: SQLiteRow) throws -> IdentityImageRecord {
        try IdentityImageRecord(id: r["id"], identityID: r["identity_id"], sourcePath: r["source_path"], cropPath: r["crop_path"],
                                aligned: r["aligned"], status: IdentityImageRecord.Status(rawValue: r["status"]) ?? .failed,
                                reason: r["reason"], score: r["score"], cropHash: r["crop_hash"], ingestRunID: r["ingest_run_id"])
    }

    /// Inserts a batch of identity images with one prepared statement in one transaction.
    /// An image whose source path is already in the catalog is left as it is, so a re-run of
    /// an import adds nothing. Returns how many rows were new.
    @discardableResult
    public func insertIdentityImages(_ images: [IdentityImageRecord]) throws -> Int {
        try insertIdentityImagesReportingNew(images).filter { $0 }.count
    }

    /// Like `insertIdentityImages`, but says for each image whether it was new (true) or its
    /// source path was already in the catalog (false), so that an import counts what it added.
    public func insertIdentityImagesReportingNew(_ images: [IdentityImageRecord]) throws -> [Bool] {
        try transaction {
            let stmt = try db.statement("""
                INSERT INTO identity_images (identity_id, source_path, crop_path, aligned, status, reason, score, crop_hash, ingest_run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source_path) DO NOTHING
                """)
            var added: [Bool] = []
            for m in images {
                stmt.reset()
                stmt.bind(1, m.identityID); stmt.bind(2, m.sourcePath); stmt.bind(3, m.cropPath); stmt.bind(4, m.aligned)
                stmt.bind(5, m.status.rawValue); stmt.bind(6, m.reason); stmt.bind(7, m.score); stmt.bind(8, m.cropHash)
                stmt.bind(9, m.ingestRunID)
                try stmt.run()
                added.append(db.changes > 0)
            }
            return added
        }
    }

    /// True when an identity image row uses this crop path (relative to the catalog folder).
    public func isIdentityCropInUse(_ cropPath: String) throws -> Bool {
        try scalar("SELECT count(*) FROM identity_images WHERE crop_path = ?", [.text(cropPath)]) > 0
    }

    /// Every imported source path with the dataset it was imported under.
    public func importedImageDatasets() throws -> [String: String] {
        let rows = try query("SELECT m.source_path, i.dataset FROM identity_images m JOIN identities i ON i.id = m.identity_id", []) {
            (try $0["source_path"] as String, try $0["dataset"] as String)
        }
        return Dictionary(rows, uniquingKeysWith: { a, _ in a })
    }

    /// True when this source image was already imported (ok or failed).
    public func hasIdentityImage(sourcePath: String) throws -> Bool {
        try scalar("SELECT count(*) FROM identity_images WHERE source_path = ?", [.text(sourcePath)]) > 0
    }

    /// Source paths already imported, to resume an interrupted import without asking per file.
    public func importedImagePaths(dataset: String? = nil) throws -> Set<String> {
        let rows: [String]
        if let dataset {
            rows = try query("""
                SELECT m.source_path FROM identity_images m JOIN identities i ON i.id = m.identity_id WHERE i.dataset = ?
                """, [.text(dataset)]) { try $0["source_path"] }
        } else {
            rows = try query("SELECT source_path FROM identity_images", []) { try $0["source_path"] }
        }
        return Set(rows)
    }

    /// Images of one identity by source path.
    public func identityImages(identityID: Int64) throws -> [IdentityImageRecord] {
        try query("SELECT \(Self.identityImageColumns) FROM identity_images WHERE identity_id = ? ORDER BY source_path", [.integer(identityID)], Self.identityImage)
    }

    /// Every identity image, by identity and path.
    public func identityImages() throws -> [IdentityImageRecord] {
        try query("SELECT \(Self.identityImageColumns) FROM identity_images ORDER BY identity_id, source_path", [], Self.identityImage)
    }

    /// Sets the perceptual hash of identity images (computed lazily by `exclude --images`).
    public func setIdentityImageHashes(_ hashes: [(imageID: Int64, hash: UInt64)]) throws {
        try setCropHashes(table: "identity_images", hashes.map { ($0.imageID, $0.hash) })
    }

    /// Every identity image recorded as failed, with its dataset and reason, by dataset and path.
    public func failedIdentityImages() throws -> [(dataset: String, sourcePath: String, reason: String)] {
        try query("""
            SELECT i.dataset AS dataset, m.source_path AS source_path, m.reason AS reason
            FROM identity_images m JOIN identities i ON i.id = m.identity_id
            WHERE m.status = 'failed' ORDER BY i.dataset, m.source_path
            """) { r in
            let reason: String? = try r["reason"]
            return (try r["dataset"], try r["source_path"], reason ?? "failed")
        }
    }

    /// The file an identity image is trained from: its aligned crop when there is one
    /// (relative to the catalog folder), otherwise the source image.
    public func trainingFile(of image: IdentityImageRecord) -> URL {
        if let crop = image.cropPath { return resolve(crop) }
        return URL(fileURLWithPath: image.sourcePath)
    }

    /// A path stored in the catalog made absolute: relative ones are relative to the catalog folder.
    public func resolve(_ storedPath: String) -> URL {
        storedPath.hasPrefix("/") ? URL(fileURLWithPath: storedPath) : folder.appendingPathComponent(storedPath)
    }
}
