import Foundation

/// Writes files so that a reader never sees half of one: write beside, then rename.
///
/// Only regular files are replaced: a character device or FIFO at `url` (`/dev/null`, a named
/// pipe) is written into instead (see `OutputFile`), so no command can turn `/dev/null` into a
/// regular file.
public enum AtomicFile {
    /// Writes `data` to `url` (see the type's description).
    /// - Throws: `SeqError` naming the file, e.g. "no space left on the device".
    public static func write(_ data: Data, to url: URL) throws {
        try OutputFile.write(data, to: url)
    }

    /// Writes `text` as UTF-8 to `url`.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
