import Foundation

/// Puts a finished output folder (export lists, a report) in place of an earlier one as a
/// whole, so that whoever reads the path finds either the old folder or the new one, never
/// neither and never a mix. `export` and `report` both go through it.
public enum OutputFolder {
    /// The result of `install`: where the replaced folder now lies, so the caller can remove
    /// it once the new one is committed, or `undo` the swap.
    public struct Installed {
        /// The output path, now holding the new folder.
        public let out: URL
        /// The earlier folder, moved out of the way; nil when there was none.
        public let old: URL?
        /// The staging path the new folder came from (the old one lies there after an exchange).
        let staging: URL
    }

    /// Puts the folder at `staging` at `out`.
    ///
    /// An existing `out` is exchanged with `staging` in one step (Linux `renameat2` with
    /// `RENAME_EXCHANGE`); the old folder then lies at `staging`. Where the file system cannot
    /// exchange, the old folder is renamed aside first, which leaves a short moment without
    /// either. `staging` and `out` must be on one file system (make staging beside `out`).
    /// - Throws: `SeqError` naming `out` when neither way works; nothing has moved then.
    public static func install(_ staging: URL, at out: URL) throws -> Installed {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: out.path, isDirectory: &isDir) else {
            guard rename(staging.path, out.path) == 0 else {
                throw SeqError("cannot move the new folder into place: \(IOFailure.reason(errno: errno))", file: out.path)
            }
            return Installed(out: out, old: nil, staging: staging)
        }
        guard isDir.boolValue else { throw SeqError("is a file, not a folder", file: out.path) }
        if exchange(staging.path, out.path) {
            return Installed(out: out, old: staging, staging: staging)
        }
        let aside = staging.deletingLastPathComponent().appendingPathComponent(staging.lastPathComponent + ".old")
        guard rename(out.path, aside.path) == 0 else {
            throw SeqError("cannot move the earlier folder aside: \(IOFailure.reason(errno: errno))", file: out.path)
        }
        guard rename(staging.path, out.path) == 0 else {
            let code = errno
            rename(aside.path, out.path)
            throw SeqError("cannot move the new folder into place: \(IOFailure.reason(errno: code))", file: out.path)
        }
        return Installed(out: out, old: aside, staging: staging)
    }

    /// Removes the replaced folder, once the new one is to stay.
    public static func discardOld(_ installed: Installed) {
        if let old = installed.old { try? FileManager.default.removeItem(at: old) }
    }

    /// Puts the earlier folder back (or removes the new one when there was none) and removes
    /// the new one: the state before `install`, for a failure after it.
    public static func undo(_ installed: Installed) {
        let fm = FileManager.default
        guard let old = installed.old else {
            try? fm.removeItem(at: installed.out)
            return
        }
        if exchange(old.path, installed.out.path) {
            try? fm.removeItem(at: old)   // now the new folder
        } else {
            try? fm.removeItem(at: installed.out)
            rename(old.path, installed.out.path)
        }
    }

    /// Swaps two paths atomically; false where the kernel or file system cannot.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        guard let renameat2 = renameat2Function else { return false }
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    /// `RENAME_EXCHANGE` from linux/fs.h.
    private static let renameExchange: UInt32 = 1 << 1
    /// glibc's `renameat2`, looked up at run time: Swift's Glibc module does not import it
    /// (it is declared only under _GNU_SOURCE), and a libc without it falls back to rename.
    private static let renameat2Function: RenameAt2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()
}
