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
            ExportRecord(id: $0.int64(0), outDir: $0.text(1), optionsJSON: $0.text(2), createdAt: $0.text(3), faceidNum: $0.int(4),
                         seqidNum: $0.int(5), identityImages: $0.int(6), sequenceFaces: $0.int(7), manifestSHA256: $0.text(8))
        }
    }
}
