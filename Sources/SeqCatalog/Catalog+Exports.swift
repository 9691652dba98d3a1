import Foundation

extension Catalog {
    /// Records an export; returns its id.
    @discardableResult
    public func recordExport(_ e: ExportRecord) throws -> Int64 {
        try insert("""
            INSERT INTO exports (out_dir, options_json, created_at, faceid_num, seqid_num, identity_images, sequence_faces, manifest_sha256)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(e.outDir), .text(e.optionsJSON), .text(e.createdAt), .int(e.faceidNum), .int(e.seqidNum),
                  .int(e.identityImages), .int(e.sequenceFaces), .text(e.manifestSHA256)])
    }

    /// All exports, oldest first.
    public func exports() throws -> [ExportRecord] {
        try query("""
            SELECT id, out_dir, options_json, created_at, faceid_num, seqid_num, identity_images, sequence_faces, manifest_sha256
            FROM exports ORDER BY id
            """) {
            try ExportRecord(id: $0["id"], outDir: $0["out_dir"], optionsJSON: $0["options_json"], createdAt: $0["created_at"],
                             faceidNum: $0["faceid_num"], seqidNum: $0["seqid_num"], identityImages: $0["identity_images"],
                             sequenceFaces: $0["sequence_faces"], manifestSHA256: $0["manifest_sha256"])
        }
    }
}
