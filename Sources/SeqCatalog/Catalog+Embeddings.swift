import Foundation
import SeqCore

/// The embedding of one face (`face_embeddings`) or one identity image
/// (`identity_image_embeddings`).
public struct FaceEmbeddingRecord: Sendable, Equatable {
    /// The face id, or the identity image id.
    public var ownerID: Int64
    /// The model that made it; embeddings of different models are never compared.
    public var model: String
    public var vector: [Float]

    public init(ownerID: Int64, model: String, vector: [Float]) {
        self.ownerID = ownerID
        self.model = model
        self.vector = vector
    }
}

/// The imported identity a sequence's person matches: the nearest identity centre under the
/// threshold.
public struct SequenceIdentityMatch: Sendable, Equatable {
    public var sequenceID: Int64
    public var identityID: Int64
    public var dataset: String
    public var name: String
    /// Euclidean distance between the sequence's person (mean of its track's embeddings) and
    /// the identity's centre (mean of its usable images' embeddings).
    public var distance: Float
}

/// A test-set person given by embeddings of their images (`exclude --root` / `--faces`).
public struct EmbeddedPerson: Sendable, Equatable {
    public var name: String
    public var embeddings: [[Float]]

    public init(name: String, embeddings: [[Float]]) {
        self.name = name
        self.embeddings = embeddings
    }
}

/// Euclidean distance and means, on float vectors (SeqCatalog does not see SeqTrack).
enum Embeddings {
    static func distance(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        var s: Float = 0
        for i in a.indices { let d = a[i] - b[i]; s += d * d }
        return s.squareRoot()
    }

    static func mean(_ vs: [[Float]]) -> [Float]? {
        guard let n = vs.first?.count, vs.allSatisfy({ $0.count == n }) else { return nil }
        var sum = [Float](repeating: 0, count: n)
        for v in vs { for i in 0..<n { sum[i] += v[i] } }
        return sum.map { $0 / Float(vs.count) }
    }

    /// Little-endian float32 bytes.
    static func blob(_ v: [Float]) -> Data {
        var d = Data(capacity: 4 * v.count)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    static func vector(_ d: Data) -> [Float] {
        let bytes = [UInt8](d)
        return stride(from: 0, to: bytes.count - bytes.count % 4, by: 4).map { i in
            let bits = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}

extension Catalog {
    // MARK: storing

    /// Stores face embeddings (one prepared statement, one transaction or the caller's); a face
    /// embedded again gets the new vector.
    public func insertFaceEmbeddings(_ rows: [FaceEmbeddingRecord]) throws {
        try storeEmbeddings(rows, sql: "INSERT OR REPLACE INTO face_embeddings (face_id, model, dimension, vector) VALUES (?, ?, ?, ?)")
    }

    /// Stores embeddings of identity images (at import, or lazily when `exclude`/`export` need them).
    public func setIdentityImageEmbeddings(_ rows: [FaceEmbeddingRecord]) throws {
        try storeEmbeddings(rows, sql: """
            INSERT OR REPLACE INTO identity_image_embeddings (identity_image_id, model, dimension, vector) VALUES (?, ?, ?, ?)
            """)
    }

    private func storeEmbeddings(_ rows: [FaceEmbeddingRecord], sql: String) throws {
        guard !rows.isEmpty else { return }
        try transaction {
            let stmt = try db.statement(sql)
            for r in rows {
                stmt.reset()
                stmt.bind(1, r.ownerID); stmt.bind(2, r.model); stmt.bind(3, r.vector.count); stmt.bind(4, Embeddings.blob(r.vector))
                try stmt.run()
            }
        }
    }

    // MARK: reading

    /// Face embeddings of one model, by face id.
    public func faceEmbeddings(model: String) throws -> [FaceEmbeddingRecord] {
        try query("SELECT face_id, model, vector FROM face_embeddings WHERE model = ? ORDER BY face_id", [.text(model)]) {
            FaceEmbeddingRecord(ownerID: try $0["face_id"], model: try $0["model"], vector: Embeddings.vector(try $0["vector"]))
        }
    }

    /// Identity image embeddings of one model, by image id.
    public func identityImageEmbeddings(model: String) throws -> [FaceEmbeddingRecord] {
        try query("SELECT identity_image_id, model, vector FROM identity_image_embeddings WHERE model = ? ORDER BY identity_image_id",
                  [.text(model)]) {
            FaceEmbeddingRecord(ownerID: try $0["identity_image_id"], model: try $0["model"], vector: Embeddings.vector(try $0["vector"]))
        }
    }

    /// False for a catalog of an older schema opened for reading (it has no embeddings).
    var hasEmbeddingTables: Bool { openedSchemaVersion == 0 || openedSchemaVersion >= 3 }

    /// The models of the face embeddings stored, by name.
    public func embeddingModels() throws -> [String] {
        guard hasEmbeddingTables else { return [] }
        return try query("""
            SELECT model FROM face_embeddings UNION SELECT model FROM identity_image_embeddings ORDER BY model
            """) { try $0["model"] as String }
    }

    /// Usable identity images (status ok) without an embedding of `model`, with the file to embed.
    public func identityImagesMissingEmbedding(model: String) throws -> [(id: Int64, file: URL)] {
        let missing = Set(try query("""
            SELECT m.id FROM identity_images m
            WHERE m.status = 'ok'
              AND NOT EXISTS (SELECT 1 FROM identity_image_embeddings e WHERE e.identity_image_id = m.id AND e.model = ?)
            """, [.text(model)]) { try $0["id"] as Int64 })
        return try identityImages().filter { missing.contains($0.id ?? -1) }.map { ($0.id!, trainingFile(of: $0)) }
    }

    /// Each sequence's person: the mean of the embeddings of `model` of its track's faces
    /// (kept or not), by sequence id; sequences without any embedded face are absent.
    public func sequencePersons(model: String) throws -> [(sequenceID: Int64, vector: [Float])] {
        let rows = try query("""
            SELECT q.id AS sequence_id, e.vector FROM sequences q
            JOIN faces f ON f.track_id = q.track_id
            JOIN face_embeddings e ON e.face_id = f.id
            WHERE e.model = ?
            ORDER BY q.id, f.frame_index, f.id
            """, [.text(model)]) { (try $0["sequence_id"] as Int64, Embeddings.vector(try $0["vector"])) }
        var out: [(sequenceID: Int64, vector: [Float])] = []
        var i = 0
        while i < rows.count {
            var j = i
            while j < rows.count && rows[j].0 == rows[i].0 { j += 1 }
            if let m = Embeddings.mean(rows[i..<j].map(\.1)) { out.append((rows[i].0, m)) }
            i = j
        }
        return out
    }

    /// Each imported identity's centre: the mean embedding of its usable images (status ok,
    /// neither the identity nor the image excluded); identities without one are absent.
    func identityCentres(model: String) throws -> [(id: Int64, dataset: String, name: String, vector: [Float])] {
        let rows = try query("""
            SELECT i.id, i.dataset, i.name, e.vector FROM identities i
            JOIN identity_images m ON m.identity_id = i.id
            JOIN identity_image_embeddings e ON e.identity_image_id = m.id
            WHERE m.status = 'ok' AND e.model = ?
              AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.identity_id = i.id)
              AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.identity_image_id = m.id)
            ORDER BY i.id, m.id
            """, [.text(model)]) {
            (try $0["id"] as Int64, try $0["dataset"] as String, try $0["name"] as String, Embeddings.vector(try $0["vector"]))
        }
        var out: [(id: Int64, dataset: String, name: String, vector: [Float])] = []
        var i = 0
        while i < rows.count {
            var j = i
            while j < rows.count && rows[j].0 == rows[i].0 { j += 1 }
            if let m = Embeddings.mean(rows[i..<j].map(\.3)) { out.append((rows[i].0, rows[i].1, rows[i].2, m)) }
            i = j
        }
        return out
    }

    /// The embedding model decisions use: `named`, else the only one in the catalog (nil when
    /// the catalog holds no embeddings).
    /// - Throws: `SeqError` when the catalog holds several models and none is named.
    public func decidingEmbeddingModel(named: String? = nil) throws -> String? {
        if let named { return named }
        let models = try embeddingModels()
        guard models.count > 1 else { return models.first }
        throw SeqError("the catalog holds embeddings of several models (\(models.joined(separator: ", "))); name one with --embedding-model")
    }

    /// THE sequence/identity overlap decision, used by `export --sequence-overlap` and meant for
    /// listings (`seqcurate sequences`, the report: status `identity:NAME`): for every sequence
    /// with embedded faces, the imported identity whose centre is nearest to the sequence's
    /// person, when that distance is below `threshold`. Keyed by sequence id; sequences matching
    /// no identity are absent, and so is everything when the catalog has no embeddings.
    ///
    /// - Parameter model: the embedding model (default: the only one in the catalog).
    public func sequenceIdentityMatches(model: String? = nil, threshold: Float = ExportOptions.defaultIdentityThreshold) throws
        -> [Int64: SequenceIdentityMatch] {
        guard hasEmbeddingTables, let model = try decidingEmbeddingModel(named: model) else { return [:] }
        return try transactionForRead {
            let centres = try identityCentres(model: model)
            guard !centres.isEmpty else { return [:] }
            var out: [Int64: SequenceIdentityMatch] = [:]
            for (sequenceID, person) in try sequencePersons(model: model) {
                var best: (index: Int, distance: Float)?
                for (k, c) in centres.enumerated() {
                    let d = Embeddings.distance(person, c.vector)
                    if d < threshold, d < (best?.distance ?? .infinity) { best = (k, d) }
                }
                if let best {
                    let c = centres[best.index]
                    out[sequenceID] = SequenceIdentityMatch(sequenceID: sequenceID, identityID: c.id, dataset: c.dataset, name: c.name,
                                                            distance: best.distance)
                }
            }
            return out
        }
    }

    /// Which sequences of each video show the same person (for the report): sequences whose
    /// persons lie within `threshold` of each other, linked transitively, in groups of two or
    /// more, each group in sequence id order, groups by their first id.
    /// - Parameter model: the embedding model (default: the only one in the catalog).
    public func samePersonSequences(model: String? = nil, threshold: Float = ExportOptions.defaultIdentityThreshold) throws
        -> [(videoID: Int64, sequenceIDs: [Int64])] {
        guard hasEmbeddingTables, let model = try decidingEmbeddingModel(named: model) else { return [] }
        return try transactionForRead {
            let videoOf = Dictionary(uniqueKeysWithValues: try sequences().compactMap { q in q.id.map { ($0, q.videoID) } })
            let persons = try sequencePersons(model: model)
            var parent = Array(persons.indices)
            func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
            for i in persons.indices {
                for j in persons.indices where j > i && videoOf[persons[i].sequenceID] == videoOf[persons[j].sequenceID] {
                    if Embeddings.distance(persons[i].vector, persons[j].vector) < threshold { parent[root(j)] = root(i) }
                }
            }
            let groups = Dictionary(grouping: persons.indices, by: root).values
                .map { $0.map { persons[$0].sequenceID }.sorted() }
                .filter { $0.count > 1 }
                .sorted { $0[0] < $1[0] }
            return groups.map { (videoOf[$0[0]]!, $0) }
        }
    }

    // MARK: exclusion by face

    /// Excludes every sequence (all its kept faces) and every identity image whose face matches
    /// one of `people`: a sequence when its person is within `threshold` of any of the person's
    /// embeddings, an identity image when its own embedding is. The reason names the person and
    /// the distance; the nearest person wins.
    ///
    /// - Parameters:
    ///   - protocolName: `lfw`, `ytf` or `faces`, recorded with each row.
    ///   - source: the folder the test faces came from.
    public func excludeMatchingFaces(_ people: [EmbeddedPerson], model: String, threshold: Float, protocolName: String,
                                     source: String) throws -> ExclusionSummary {
        func nearest(_ v: [Float]) -> (name: String, distance: Float)? {
            var best: (name: String, distance: Float)?
            for p in people {
                for e in p.embeddings {
                    let d = Embeddings.distance(v, e)
                    if d < threshold, d < (best?.distance ?? .infinity) { best = (p.name, d) }
                }
            }
            return best
        }
        func reason(_ m: (name: String, distance: Float)) -> String {
            "face of \(m.name) in \(protocolName) (distance \(String(format: "%.3f", m.distance)) < \(String(format: "%.2f", threshold)))"
        }
        let now = CatalogTime.now()
        var rows: [ExclusionRecord] = []
        var summary = ExclusionSummary()
        for (sequenceID, person) in try sequencePersons(model: model) {
            guard let m = nearest(person) else { continue }
            summary.matchedSequences += 1
            for face in try sequenceFaces(sequenceID: sequenceID) {
                rows.append(ExclusionRecord(target: .face(face.id!), reason: reason(m), protocolName: protocolName, source: source,
                                            createdAt: now))
                summary.matchedFaces += 1
            }
        }
        for image in try identityImageEmbeddings(model: model) {
            guard let m = nearest(image.vector) else { continue }
            rows.append(ExclusionRecord(target: .identityImage(image.ownerID), reason: reason(m), protocolName: protocolName,
                                        source: source, createdAt: now))
            summary.matchedIdentityImages += 1
        }
        summary.added = try addExclusions(rows)
        return summary
    }
}

/// Defaults of the decisions by face.
public enum IdentityExclusion {
    /// The largest embedding distance that counts as the same person in `exclude --root/--faces`
    /// (see docs/catalog.md for the measurement behind it).
    public static let defaultThreshold: Float = 0.55
}
