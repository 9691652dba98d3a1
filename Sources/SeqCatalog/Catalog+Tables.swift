import Foundation
import SeqCore

/// A table as the catalog declares it: its columns, its key and the tables its columns refer to.
struct TableLayout {
    var name: String
    var columns: [String]
    var references: [(column: String, table: String)]
    /// The primary key column (`id`, or for a table keyed by a reference such as
    /// `face_embeddings.face_id`, that column); nil for a table without a one-column key.
    var key: String?
}

/// One row of any table, by column name, as stored.
struct CatalogRow {
    var values: [String: SQLiteValue]
    var id: Int64? { if case .integer(let v)? = values["id"] { return v } else { return nil } }
    func text(_ column: String) -> String { if case .text(let v)? = values[column] { return v } else { return "" } }
    func int(_ column: String) -> Int64? { if case .integer(let v)? = values[column] { return v } else { return nil } }
}

/// Generic row access for `CatalogMerger` and `contentDump`: they work from the tables the
/// schema declares, so that tables and columns added by later migrations need no change there.
extension Catalog {
    /// Every table of the catalog with its columns and references, parents before children.
    /// SQLite is read through its pragmas, PostgreSQL through its catalog (current schema),
    /// so both backends give the same layouts for the same schema version.
    func tableLayouts() throws -> [TableLayout] {
        let names = try tableNames()
        let layouts = try names.map(layout)
        // Parents first; the schema has no reference cycles (a self-reference is ignored).
        var ordered: [TableLayout] = []
        var placed: Set<String> = []
        while ordered.count < layouts.count {
            let before = ordered.count
            for t in layouts where !placed.contains(t.name)
                && t.references.allSatisfy({ placed.contains($0.table) || $0.table == t.name || !names.contains($0.table) }) {
                ordered.append(t)
                placed.insert(t.name)
            }
            if ordered.count == before {
                throw SeqError("the catalog's tables refer to each other in a cycle; cannot order them", file: url.path)
            }
        }
        return ordered
    }

    /// One table's columns, references and key.
    private func layout(_ name: String) throws -> TableLayout {
        let columns: [String], refs: [(column: String, table: String)], keys: [String]
        if isPostgres {
            columns = try query("""
                SELECT column_name::text AS name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
                """, [.text(name)]) { try $0["name"] as String }
            refs = try query("""
                SELECT a.attname::text AS col, p.relname::text AS target
                FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                JOIN pg_class p ON p.oid = c.confrelid
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = ?
                ORDER BY c.conname, a.attnum
                """, [.text(name)]) { (column: try $0["col"] as String, table: try $0["target"] as String) }
            keys = try query("""
                SELECT a.attname::text AS name
                FROM pg_index i
                JOIN pg_class t ON t.oid = i.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                WHERE i.indisprimary AND n.nspname = current_schema() AND t.relname = ?
                """, [.text(name)]) { try $0["name"] as String }
        } else {
            columns = try query("SELECT name FROM pragma_table_info(?) ORDER BY cid", [.text(name)]) { try $0["name"] as String }
            refs = try query("SELECT \"from\" AS col, \"table\" AS target FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(name)]) {
                (column: try $0["col"] as String, table: try $0["target"] as String)
            }
            keys = try query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", [.text(name)]) { try $0["name"] as String }
        }
        return TableLayout(name: name, columns: columns, references: refs, key: keys.count == 1 ? keys[0] : nil)
    }

    /// The catalog's tables by name; on PostgreSQL without `seqcurate_schema`, which holds
    /// what SQLite keeps in its header (the schema version).
    private func tableNames() throws -> [String] {
        if isPostgres {
            return try query("""
                SELECT table_name::text AS name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'seqcurate_schema'
                ORDER BY 1
                """) { try $0["name"] as String }
        }
        return try query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
            try $0["name"] as String
        }
    }

    func hasTable(_ name: String) throws -> Bool {
        try tableNames().contains(name)
    }

    /// The column rows of `table` are read in: its key, in the order the rows were added
    /// (ids only grow). SQLite's rowid stands in for a table without a one-column key.
    private func orderColumn(_ table: String) throws -> String {
        if let key = try layout(table).key { return Self.quoted(key) }
        return isPostgres ? "1" : "rowid"
    }

    private static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private func rows(_ sql: String, _ values: [SQLiteValue] = []) throws -> [CatalogRow] {
        try query(sql, values) { r in
            var out: [String: SQLiteValue] = [:]
            for (i, name) in r.columnNames.enumerated() { out[name] = r.value(at: i) }
            return CatalogRow(values: out)
        }
    }

    /// Every row of a table, in key order (the id, or for a table keyed by a reference such
    /// as `face_embeddings.face_id`, that column).
    func tableRows(_ table: String, key: String? = nil) throws -> [CatalogRow] {
        let order = try key.map(Self.quoted) ?? orderColumn(table)
        return try rows("SELECT * FROM \(Self.quoted(table)) ORDER BY \(order)")
    }

    /// The rows of a table that belong to one video, in key order.
    func tableRows(_ table: String, videoID: Int64, key: String? = nil) throws -> [CatalogRow] {
        let order = try key.map(Self.quoted) ?? orderColumn(table)
        return try rows("SELECT * FROM \(Self.quoted(table)) WHERE video_id = ? ORDER BY \(order)", [.integer(videoID)])
    }

    /// Inserts a row of any table (columns this catalog lacks are an error); returns its id.
    func insertRow(_ table: String, _ values: [String: SQLiteValue]) throws -> Int64 {
        let columns = values.keys.sorted()
        let sql = "INSERT INTO \(Self.quoted(table)) (\(columns.map(Self.quoted).joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        return try insert(sql, columns.map { values[$0]! })
    }

    /// The columns that say two rows of a table are the same thing: the table's natural key,
    /// or, for a table without one here, every column but the id.
    static func naturalKey(_ table: String, columns: [String]) -> [String] {
        switch table {
        case "identities": return ["dataset", "name"]
        case "identity_images": return ["source_path"]
        case "exclusions": return ["kind", "identity_id", "video_id", "face_id", "identity_image_id", "protocol", "source"]
        default: return columns.filter { $0 != "id" }.sorted()
        }
    }

    /// The key of the row of `table` (`keyColumn`) with the same natural key as `values`, if
    /// there is one.
    func existingRow(_ table: String, keyColumn: String?, matching values: [String: SQLiteValue]) throws -> Int64? {
        let key = Self.naturalKey(table, columns: Array(values.keys)).filter { values[$0] != nil }
        guard !key.isEmpty else { return nil }
        // NULL equals NULL here: SQLite's `IS`, PostgreSQL's `IS NOT DISTINCT FROM`.
        let same = isPostgres ? "IS NOT DISTINCT FROM" : "IS"
        let id = try keyColumn.map(Self.quoted) ?? orderColumn(table)
        let sql = "SELECT \(id) AS id FROM \(Self.quoted(table)) WHERE " + key.map { "\(Self.quoted($0)) \(same) ?" }.joined(separator: " AND ") + " LIMIT 1"
        return try queryFirst(sql, key.map { values[$0]! }) { try $0["id"] as Int64 }
    }

    // MARK: merge provenance

    /// The catalog's random identity (`catalog_identity`). A catalog of an older schema opened
    /// for reading has none: its file's path stands in.
    public func catalogUUID() throws -> String {
        if try hasTable("catalog_identity"), let uuid = try queryFirst("SELECT uuid FROM catalog_identity", [], { try $0["uuid"] as String }) {
            return uuid
        }
        var sha = SHA256()
        sha.update(Data((isPostgres ? locationDescription : url.standardizedFileURL.path).utf8))
        return "path-" + sha.finalize().prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// For runs this catalog got by merging: where they came from first.
    func mergedRunOrigins() throws -> [Int64: (uuid: String, runID: Int64)] {
        guard try hasTable("merged_runs") else { return [:] }
        var out: [Int64: (uuid: String, runID: Int64)] = [:]
        for (run, uuid, source) in try query("SELECT run_id, source_uuid, source_run_id FROM merged_runs", [], {
            (try $0["run_id"] as Int64, try $0["source_uuid"] as String, try $0["source_run_id"] as Int64)
        }) { out[run] = (uuid, source) }
        return out
    }

    /// The run of this catalog that is the copy of run `sourceRunID` of catalog `sourceUUID`.
    func mergedRun(sourceUUID: String, sourceRunID: Int64) throws -> Int64? {
        try queryFirst("SELECT run_id FROM merged_runs WHERE source_uuid = ? AND source_run_id = ?",
                       [.text(sourceUUID), .integer(sourceRunID)]) { try $0["run_id"] as Int64 }
    }

    func recordMergedRun(runID: Int64, sourceUUID: String, sourcePath: String, sourceRunID: Int64) throws {
        try run("INSERT INTO merged_runs (run_id, source_uuid, source_path, source_run_id, merged_at) VALUES (?, ?, ?, ?, ?)",
                [.integer(runID), .text(sourceUUID), .text(sourcePath), .integer(sourceRunID), .text(CatalogTime.now())])
    }

    /// Runs merged into this catalog: (run here, source catalog file, run id there), by run.
    public func mergedRuns() throws -> [(runID: Int64, sourcePath: String, sourceRunID: Int64)] {
        guard try hasTable("merged_runs") else { return [] }
        return try query("SELECT run_id, source_path, source_run_id FROM merged_runs ORDER BY run_id", []) {
            (try $0["run_id"] as Int64, try $0["source_path"] as String, try $0["source_run_id"] as Int64)
        }
    }

    // MARK: content dump

    /// The catalog's content as sorted text lines, one a row, without what differs between
    /// catalogs of the same content: ids and references (a row of a video names the video's
    /// content hash instead), paths of inputs, times, run ids, and the run part of crop folders.
    /// Runs, exports, remembered files and merge bookkeeping are left out. Two catalogs built
    /// from the same inputs with the same options, by one run, by shards merged or on another
    /// backend, give the same lines.
    public func contentDump() throws -> [String] {
        var lines: [String] = []
        let skipColumns: Set<String> = ["id", "path", "ingested_at", "created_at", "ingest_run_id"]
        for layout in try tableLayouts() where !CatalogMerger.ownTables.contains(layout.name) && layout.name != "ingest_runs" {
            let refs = Set(layout.references.map(\.column))
            let hashOfVideo = layout.columns.contains("video_id") && layout.name != "videos"
            let sql = hashOfVideo
                ? "SELECT t.*, v.content_hash AS dump_video_hash FROM \(Self.quoted(layout.name)) t LEFT JOIN videos v ON v.id = t.video_id"
                : "SELECT * FROM \(Self.quoted(layout.name))"
            for row in try rows(sql) {
                var fields: [String] = [layout.name]
                for (name, value) in row.values.sorted(by: { $0.key < $1.key }) where !skipColumns.contains(name) && !refs.contains(name) {
                    var text: String
                    switch value {
                    case .null: text = "NULL"
                    case .integer(let v): text = String(v)
                    case .real(let v): text = String(v)
                    case .text(let v): text = v
                    case .blob(let v): text = "x'" + v.map { String(format: "%02x", $0) }.joined() + "'"
                    }
                    if name == "crop_path" { text = text.replacingOccurrences(of: #"-r[0-9]+/"#, with: "-r*/", options: .regularExpression) }
                    fields.append("\(name)=\(text)")
                }
                lines.append(fields.joined(separator: "|"))
            }
        }
        return lines.sorted()
    }
}
