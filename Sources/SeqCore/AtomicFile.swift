import Foundation

/// Writes files so that a reader never sees half of one: write beside, then rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try data.write(to: tmp)
            if rename(tmp.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: tmp)
                throw SeqError("cannot write: \(reason)", file: url.path)
            }
        } catch let e as SeqError {
            throw e
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw SeqError("cannot write: \(error.localizedDescription)", file: url.path)
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
