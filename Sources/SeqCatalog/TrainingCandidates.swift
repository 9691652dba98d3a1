import Foundation
import SeqCore

/// Everything in the catalog that may go into training: identities with their usable images
/// and sequences with their usable faces, after all exclusions. Files are not checked here.
public struct TrainingCandidates: Sendable {
    public typealias CropGeometry = ExportManifest.CropGeometry
    public struct Identity: Sendable {
        public var id: Int64
        public var dataset: String
        public var name: String
        /// (image id, file, crop geometry) by source path.
        public var images: [(id: Int64, file: URL, geometry: CropGeometry?)]
    }

    public struct Sequence: Sendable {
        public var id: Int64
        public var videoID: Int64
        public var videoPath: String
        public var trackID: Int64
        public var trackIndex: Int
        /// (face id, crop file, frame index) in frame order.
        public var faces: [(id: Int64, file: URL, frame: Int)]
        /// The geometry of the faces' crops (those of the video's ingest run); nil: not known.
        public var geometry: CropGeometry?
    }

    /// By dataset, then name (byte order): the order of the labels 0 … F-1.
    public var identities: [Identity]
    /// By sequence id: the order of the labels -1 … -S.
    public var sequences: [Sequence]
}

extension Catalog {
    /// Identities and sequences that survive the exclusions:
    /// - an identity counts when it is not excluded; its images when status is ok and the
    ///   image is not excluded; identities left without images are left out;
    /// - a sequence counts when its video is ok and not excluded; its faces are the kept
    ///   faces with a crop that are not excluded; sequences left without faces are left out.
    public func trainingCandidates() throws -> TrainingCandidates {
        try transactionForRead {
            var identities: [TrainingCandidates.Identity] = []
            let imageRows = try query("""
                SELECT i.id AS identity_id, i.dataset, i.name, m.id AS image_id, m.source_path, m.crop_path, m.aligned, m.ingest_run_id
                FROM identities i JOIN identity_images m ON m.identity_id = i.id
                WHERE m.status = 'ok'
                  AND NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.identity_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.identity_image_id = m.id)
                ORDER BY i.dataset, i.name, i.id, m.source_path, m.id
                """) { r in
                try (r["identity_id"] as Int64, r["dataset"] as String, r["name"] as String, r["image_id"] as Int64,
                     r["source_path"] as String, r["crop_path"] as String?, r["aligned"] as Int, r["ingest_run_id"] as Int64?)
            }
            let runParameters = Dictionary(uniqueKeysWithValues: try query("SELECT id, parameters_json FROM ingest_runs") {
                (try $0["id"] as Int64, try $0["parameters_json"] as String)
            })
            // Parsed once per run: a catalog has few runs and may have millions of images.
            struct RunKey: Hashable { var run: Int64?; var aligned: Bool }
            var geometries: [RunKey: TrainingCandidates.CropGeometry?] = [:]
            func geometry(run: Int64?, aligned: Bool) -> TrainingCandidates.CropGeometry? {
                let key = RunKey(run: run, aligned: aligned)
                if let known = geometries[key] { return known }
                let g = Self.cropGeometry(parametersJSON: run.flatMap { runParameters[$0] }, aligned: aligned)
                geometries[key] = .some(g)
                return g
            }
            for (identityID, dataset, name, imageID, source, crop, aligned, runID) in imageRows {
                let file = crop.map { resolve($0) } ?? URL(fileURLWithPath: source)
                if identities.last?.id != identityID {
                    identities.append(.init(id: identityID, dataset: dataset, name: name, images: []))
                }
                identities[identities.count - 1].images.append((imageID, file, geometry(run: runID, aligned: aligned == 1)))
            }

            var sequences: [TrainingCandidates.Sequence] = []
            let faceRows = try query("""
                SELECT q.id AS sequence_id, q.video_id, v.path, v.ingest_run_id, q.track_id, t.track_index, f.id AS face_id, f.crop_path, f.frame_index
                FROM sequences q
                JOIN videos v ON v.id = q.video_id
                JOIN tracks t ON t.id = q.track_id
                JOIN faces f ON f.track_id = q.track_id
                WHERE v.status = 'ok' AND f.kept = 1 AND f.crop_path IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.video_id = q.video_id)
                  AND NOT EXISTS (SELECT 1 FROM exclusions e WHERE e.face_id = f.id)
                ORDER BY q.id, f.frame_index, f.id
                """) { r in
                try (r["sequence_id"] as Int64, r["video_id"] as Int64, r["path"] as String, r["ingest_run_id"] as Int64?,
                     r["track_id"] as Int64, r["track_index"] as Int, r["face_id"] as Int64, r["crop_path"] as String, r["frame_index"] as Int)
            }
            for (sequenceID, videoID, videoPath, runID, trackID, trackIndex, faceID, crop, frame) in faceRows {
                if sequences.last?.id != sequenceID {
                    sequences.append(.init(id: sequenceID, videoID: videoID, videoPath: videoPath, trackID: trackID, trackIndex: trackIndex,
                                           faces: [], geometry: geometry(run: runID, aligned: false)))
                }
                sequences[sequences.count - 1].faces.append((faceID, resolve(crop), frame))
            }
            return TrainingCandidates(identities: identities, sequences: sequences)
        }
    }

    /// The geometry of a crop from the options its ingest run recorded (`ingest_runs.parameters_json`,
    /// the JSON of `IngestOptions` or `IdentityImportOptions`):
    /// - cut by seqcurate (`ingest`, `import-identities` without `--aligned`): `align` (default
    ///   seqface) at `cropSize` (default 144 for seqface, 112 for similarity);
    /// - taken as they are (`--aligned`; also a RecordIO import, which records similarity/112):
    ///   the run's stated geometry when it states an `align` other than the default seqface
    ///   (at `cropSize`, default 112 for similarity), otherwise `as-is` with `cropSize` if any;
    /// - nil when there is no run (deleted, or rows written without one) or its JSON is unreadable:
    ///   such crops never count as a mix.
    static func cropGeometry(parametersJSON: String?, aligned: Bool) -> TrainingCandidates.CropGeometry? {
        guard let parametersJSON, let p = try? JSONValue.parse(parametersJSON), case .object = p else {
            return aligned ? .init(method: TrainingCandidates.CropGeometry.asIs, size: nil) : nil
        }
        let align = p["align"]?.string
        let size = p["cropSize"]?.int
        func defaultSize(_ method: String) -> Int? { method == "seqface" ? 144 : method == "similarity" ? 112 : nil }
        if aligned || p["aligned"]?.bool == true {
            // Images taken as they are have the geometry their import declared: a method other
            // than the default, or a --size given with it (`--aligned --size 144` says "these are
            // SeqFace 144 crops"). Without either nothing is known about them: `as-is`.
            if let align, align != "seqface" { return .init(method: align, size: size ?? defaultSize(align)) }
            if let size, let align { return .init(method: align, size: size) }
            return .init(method: TrainingCandidates.CropGeometry.asIs, size: size)
        }
        let method = align ?? "seqface"
        return .init(method: method, size: size ?? defaultSize(method))
    }

    /// Runs several reads on one snapshot (a deferred transaction), so that a concurrent
    /// writer cannot slip in between them.
    func transactionForRead<T>(_ body: () throws -> T) throws -> T {
        try withLock {
            if !db.isAutocommit { return try body() }
            try db.execute("BEGIN DEFERRED")
            do {
                let result = try body()
                try db.execute("COMMIT")
                return result
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
