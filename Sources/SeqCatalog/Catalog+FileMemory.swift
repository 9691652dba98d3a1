import Foundation

/// What ingest remembers of one input file: its content hash at a size and modification time.
public struct RememberedFile: Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    public var contentHash: String

    public init(path: String, size: Int64, mtimeNanoseconds: Int64, contentHash: String) {
        self.path = path
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.contentHash = contentHash
    }
}

extension Catalog {
    /// The content hash remembered for `path`, when its size and modification time are still
    /// the remembered ones; nil when it was never seen or has changed since.
    public func rememberedHash(path: String, size: Int64, mtimeNanoseconds: Int64) throws -> String? {
        guard openedSchemaVersion >= 3 else { return nil }
        return try queryFirst("SELECT content_hash FROM file_memory WHERE path = ? AND size = ? AND mtime_ns = ?",
                              [.text(path), .integer(size), .integer(mtimeNanoseconds)]) { try $0["content_hash"] as String }
    }

    /// Remembers (or replaces) the content hash of a file at its size and modification time.
    public func remember(_ file: RememberedFile, at time: String = CatalogTime.now()) throws {
        try run("""
            INSERT INTO file_memory (path, size, mtime_ns, content_hash, hashed_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                content_hash = excluded.content_hash, hashed_at = excluded.hashed_at
            """, [.text(file.path), .integer(file.size), .integer(file.mtimeNanoseconds), .text(file.contentHash), .text(time)])
    }

    /// How many files are remembered.
    public func rememberedFileCount() throws -> Int {
        try scalar("SELECT count(*) FROM file_memory")
    }
}
