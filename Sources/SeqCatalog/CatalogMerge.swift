import Foundation
import SeqCore

/// What `seqcurate merge` does with the crop files of the rows it copies.
public enum MergeCropPolicy: String, Sendable, CaseIterable {
    /// Hard-link each crop into the destination's crops folder (a copy where the two folders
    /// are on different file systems); the sources keep theirs.
    case link
    /// Move each crop, once the destination committed: the sources lose their crops.
    case move
}

/// What a merge added and skipped.
public struct MergeSummary: Sendable, Equatable {
    public var sources = 0
    public var runsAdded = 0
    public var videosAdded = 0
    /// Videos whose content the destination (or an earlier source of this merge) already held.
    public var videosSkipped = 0
    public var identitiesAdded = 0
    public var identityImagesAdded = 0
    public var exclusionsAdded = 0
    public var cropFiles = 0
    public init() {}
}

/// Merges catalogs into one (`seqcurate merge SRC… --into DST`).
///
/// Rows are copied with new ids; every reference is renumbered through the ids given to the
/// rows it points at. The copy works table by table from what each table declares (its columns
/// and foreign keys), so columns and tables added by later migrations come along without
/// changes here. Rules:
///
/// - Runs: each source run becomes a run of the destination, recorded in `merged_runs` with
///   the source catalog's identity and its id there. A run merged before maps to its copy.
/// - Videos: those of all sources are taken in order of path (then content hash), so that N
///   shards of one input list merge into the ids one run over the list gives. A video whose
///   content hash the destination holds is skipped with all its rows; its video exclusions
///   are attached to the destination's video.
/// - Identities map to the destination's of the same dataset and name; identity images to the
///   one with the same source path; exclusions are added unless the same one is there.
/// - Export records and remembered files (`file_memory`) stay with their catalog.
/// - Crop paths stay as they are (relative to the catalog folder): a video's crop folder is
///   named by its content hash and the run that wrote it in its source, so shards merged give
///   the crop paths, and the export lists, one run gives. (`CropStore.recover` owns a video's
///   folder by its crop paths, not only by its run id.) Another crop whose path the
///   destination already uses for a different file gets `-m1`, `-m2`, … Files are linked or
///   moved (`MergeCropPolicy`), written before the destination commits and, for `move`,
///   removed from the source after; a merge killed midway leaves linked files that no row
///   uses, which the next ingest's recovery removes for video crops.
///
/// Merging the same sources again adds nothing: their runs and videos are already there.
public final class CatalogMerger {
    public let destination: Catalog
    public let crops: MergeCropPolicy

    public init(into destination: Catalog, crops: MergeCropPolicy = .link) {
        self.destination = destination
        self.crops = crops
    }

    /// Tables a merge never copies: bookkeeping of the catalog itself.
    static let ownTables: Set<String> = ["exports", "file_memory", "merged_runs", "catalog_identity"]

    /// Merges `sources` (opened for reading or writing) into the destination in one
    /// transaction, after checking that none of them is the destination.
    public func merge(_ sources: [Catalog]) throws -> MergeSummary {
        for s in sources where s.isPostgres == destination.isPostgres && (s.isPostgres
            ? s.locationDescription == destination.locationDescription
            : s.url.standardizedFileURL.resolvingSymlinksInPath() == destination.url.standardizedFileURL.resolvingSymlinksInPath()) {
            throw SeqError("a catalog cannot be merged into itself", file: s.locationDescription)
        }
        var summary = MergeSummary()
        summary.sources = sources.count
        var moved: [URL] = []
        var state = State(tables: try destination.tableLayouts())
        try destination.transaction {
            for (i, s) in sources.enumerated() { try mergeRuns(of: s, index: i, &state, &summary) }
            try mergeVideos(of: sources, &state, &summary, moved: &moved)
            for (i, s) in sources.enumerated() { try mergeRest(of: s, index: i, &state, &summary, moved: &moved) }
        }
        if crops == .move { for url in moved { try? FileManager.default.removeItem(at: url) } }
        return summary
    }

    /// Ids given to the rows of one source: `existing` ids are rows the destination already had.
    struct IDMap {
        var ids: [Int64: Int64] = [:]
        var existing: Set<Int64> = []
    }

    struct State {
        var tables: [TableLayout]
        /// Per source, per table: source id → destination id.
        var maps: [[String: IDMap]] = []
        func layout(_ name: String) -> TableLayout? { tables.first { $0.name == name } }
    }

    // MARK: runs

    private func mergeRuns(of source: Catalog, index: Int, _ state: inout State, _ summary: inout MergeSummary) throws {
        state.maps.append([:])
        let sourceUUID = try source.catalogUUID()
        let provenance = try source.mergedRunOrigins()
        var map = IDMap()
        for row in try source.tableRows("ingest_runs") {
            guard let id = row.id else { continue }
            // A run the source itself got by merging keeps its first origin.
            let origin = provenance[id] ?? (sourceUUID, id)
            if origin.uuid == (try destination.catalogUUID()) {
                map.ids[id] = origin.runID
                map.existing.insert(origin.runID)
            } else if let known = try destination.mergedRun(sourceUUID: origin.uuid, sourceRunID: origin.runID) {
                map.ids[id] = known
                map.existing.insert(id)
            } else {
                let new = try destination.insertRow("ingest_runs", row.values.filter { $0.key != "id" })
                try destination.recordMergedRun(runID: new, sourceUUID: origin.uuid, sourcePath: source.locationDescription, sourceRunID: origin.runID)
                map.ids[id] = new
                summary.runsAdded += 1
            }
        }
        state.maps[index]["ingest_runs"] = map
    }

    // MARK: videos and their rows

    /// Tables whose rows belong to one video (they have a `video_id` column), in reference order.
    private func videoTables(_ state: State) -> [TableLayout] {
        state.tables.filter { $0.name != "videos" && $0.name != "exclusions" && $0.columns.contains("video_id") && !Self.ownTables.contains($0.name) }
    }

    private func mergeVideos(of sources: [Catalog], _ state: inout State, _ summary: inout MergeSummary, moved: inout [URL]) throws {
        var all: [(source: Int, row: CatalogRow)] = []
        for (i, s) in sources.enumerated() { all += try s.tableRows("videos").map { (i, $0) } }
        all.sort { a, b in
            let pa = a.row.text("path"), pb = b.row.text("path")
            return pa != pb ? pa < pb : (a.row.text("content_hash"), a.source) < (b.row.text("content_hash"), b.source)
        }
        let perVideo = videoTables(state)
        for (i, row) in all {
            // A video still being ingested is not merged: merge again once its run finished it.
            guard let id = row.id, row.text("status") != "partial" else { continue }
            let hash = row.text("content_hash")
            if let have = try destination.video(contentHash: hash)?.id {
                state.maps[i]["videos", default: IDMap()].ids[id] = have
                state.maps[i]["videos", default: IDMap()].existing.insert(id)
                summary.videosSkipped += 1
                continue
            }
            let source = sources[i]
            var values = try remap(row, table: "videos", source: i, &state) ?? [:]
            values["id"] = nil
            let newID = try destination.insertRow("videos", values)
            state.maps[i]["videos", default: IDMap()].ids[id] = newID
            summary.videosAdded += 1
            for table in perVideo {
                for child in try source.tableRows(table.name, videoID: id, key: table.key) {
                    guard let childID = child.id, var v = try remap(child, table: table.name, source: i, &state) else { continue }
                    v["id"] = nil
                    if case .text(let path)? = v["crop_path"] {
                        let target = try freeCropPath(path, from: source)
                        try placeCrop(from: source.resolve(path), to: destination.resolve(target), moved: &moved, &summary)
                        v["crop_path"] = .text(target)
                    }
                    state.maps[i][table.name, default: IDMap()].ids[childID] = try destination.insertRow(table.name, v)
                }
            }
        }
    }

    // MARK: identities, exclusions and tables added later

    private func mergeRest(of source: Catalog, index i: Int, _ state: inout State, _ summary: inout MergeSummary, moved: inout [URL]) throws {
        let done = Set(["ingest_runs", "videos"] + videoTables(state).map(\.name))
        for table in state.tables where !done.contains(table.name) && !Self.ownTables.contains(table.name) {
            guard try source.hasTable(table.name) else { continue }
            for row in try source.tableRows(table.name, key: table.key) {
                // A table keyed by a reference (`face_embeddings.face_id`) has no id of its own:
                // its rows follow the rows they refer to, and nothing refers to them.
                let id = row.id
                guard var v = try remap(row, table: table.name, source: i, &state) else { continue }
                v["id"] = nil
                if let existing = try destination.existingRow(table.name, keyColumn: table.key, matching: v) {
                    if let id {
                        state.maps[i][table.name, default: IDMap()].ids[id] = existing
                        state.maps[i][table.name, default: IDMap()].existing.insert(id)
                    }
                    continue
                }
                if case .text(let path)? = v["crop_path"] {
                    let target = try freeCropPath(path, from: source)
                    try placeCrop(from: source.resolve(path), to: destination.resolve(target), moved: &moved, &summary)
                    v["crop_path"] = .text(target)
                }
                let newID = try destination.insertRow(table.name, v)
                if let id { state.maps[i][table.name, default: IDMap()].ids[id] = newID }
                switch table.name {
                case "identities": summary.identitiesAdded += 1
                case "identity_images": summary.identityImagesAdded += 1
                case "exclusions": summary.exclusionsAdded += 1
                default: break
                }
            }
        }
    }

    /// The row's values with every reference renumbered; nil when the row is not to be copied:
    /// it points at a row that was not copied, or at a video the destination already had
    /// (that video's rows are the destination's). Exclusions may point at such a video.
    private func remap(_ row: CatalogRow, table: String, source i: Int, _ state: inout State) throws -> [String: SQLiteValue]? {
        guard let layout = state.layout(table) else { return nil }
        var values = row.values
        for fk in layout.references {
            guard case .integer(let old)? = values[fk.column] else { continue }
            let map = state.maps[i][fk.table] ?? IDMap()
            guard let new = map.ids[old] else {
                // A run that is gone (ON DELETE SET NULL) stays unknown; anything else drops the row.
                if fk.table == "ingest_runs" { values[fk.column] = .null; continue }
                return nil
            }
            if fk.table == "videos", map.existing.contains(old), table != "exclusions" { return nil }
            values[fk.column] = .integer(new)
        }
        return values
    }

    /// The crop's path in the destination: its path in the source, unless the destination
    /// has another file there (then `name-m1.jpg`, `name-m2.jpg`, …). A video's crop folder is
    /// named by its content hash, so video crops keep their paths.
    private func freeCropPath(_ path: String, from source: Catalog) throws -> String {
        let original = source.resolve(path)
        var candidate = path
        var n = 1
        while FileManager.default.fileExists(atPath: destination.resolve(candidate).path),
              !FileManager.default.contentsEqual(atPath: destination.resolve(candidate).path, andPath: original.path) {
            let ext = URL(fileURLWithPath: path).pathExtension
            let stem = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
            candidate = "\(stem)-m\(n)" + (ext.isEmpty ? "" : ".\(ext)")
            n += 1
        }
        return candidate
    }

    /// Links (or copies) one crop into place; `move` remembers the source to remove after the commit.
    private func placeCrop(from: URL, to: URL, moved: inout [URL], _ summary: inout MergeSummary) throws {
        let fm = FileManager.default
        guard fm.fileExists(atPath: from.path) else { return }  // a missing crop stays missing, as in the source
        if fm.fileExists(atPath: to.path) { return }
        do {
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create the crop folder: \(IOFailure.reason(of: error))", file: to.deletingLastPathComponent().path)
        }
        if link(from.path, to.path) != 0 {
            // Another file system: copy instead.
            do {
                try fm.copyItem(at: from, to: to)
            } catch {
                throw SeqError("cannot copy the crop: \(IOFailure.reason(of: error))", file: to.path)
            }
        }
        summary.cropFiles += 1
        if crops == .move { moved.append(from) }
    }
}
