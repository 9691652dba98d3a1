import Foundation

/// Plain words for the operating system errors a user can act on, so that a message says
/// "no space left on the device" rather than a Foundation error domain and code.
public enum IOFailure {
    /// The reason for `errno` value `code`.
    public static func reason(errno code: Int32) -> String {
        switch code {
        case ENOSPC: return "no space left on the device"
        case EDQUOT: return "no space left (disk quota exceeded)"
        case EROFS: return "read-only file system"
        case EACCES, EPERM: return "permission denied"
        case ENOENT: return "no such file or folder"
        case ENOTDIR: return "a parent is not a folder"
        case EISDIR: return "is a folder"
        case EPIPE: return "the reader closed the pipe"
        case EIO: return "input/output error"
        default: return String(cString: strerror(code))
        }
    }

    /// The reason of a Foundation or POSIX error, mapped like `reason(errno:)` where the
    /// underlying `errno` is known.
    public static func reason(of error: Error) -> String {
        if let e = error as? SeqError { return e.reason }
        if let code = posixCode(of: error) { return reason(errno: code) }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteOutOfSpace: return reason(errno: ENOSPC)
            case .fileWriteVolumeReadOnly: return reason(errno: EROFS)
            case .fileWriteNoPermission, .fileReadNoPermission: return reason(errno: EACCES)
            case .fileNoSuchFile, .fileReadNoSuchFile: return reason(errno: ENOENT)
            default: break
            }
        }
        return error.localizedDescription
    }

    /// The `errno` behind a Foundation error, when it carries one.
    public static func posixCode(of error: Error) -> Int32? {
        if let p = error as? POSIXError { return p.code.rawValue }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error { return posixCode(of: underlying) }
        return nil
    }
}

/// A file the user named for output, written so that what is there is never lost or replaced
/// by something it should not be:
///
/// - `-` is standard output;
/// - a character device, FIFO or socket that exists (`/dev/null`, a named pipe, `/dev/stdout`)
///   is opened and written into; it is never replaced, as replacing `/dev/null` with a
///   regular file (which a rename does when run as root) breaks the whole machine;
/// - anything else (a regular file, or nothing yet) is written to a temporary file beside it
///   that `commit()` renames over it, so a reader never sees half a file and a failure leaves
///   the old content. A symbolic link to a regular file keeps pointing at its target, which is
///   replaced; the mode of a replaced file is kept.
///
/// Errors are `SeqError`s naming the file, with the `errno` in plain words ("no space left on
/// the device").
public final class OutputFile {
    /// How the output is written.
    public enum Kind: Sendable, Equatable {
        case standardOutput
        /// An existing character device, FIFO or socket: written into, never replaced.
        case stream
        /// A regular file: a temporary file renamed over it by `commit()`.
        case replaced
    }

    /// The path as the user gave it; "standard output" for `-` (for messages).
    public let path: String
    public let kind: Kind
    private var fd: Int32
    private let temporaryPath: String?
    private let finalPath: String?
    private var finished = false

    /// True when `path` names standard output.
    public static func isStandardOutput(_ path: String) -> Bool { path == "-" }

    /// Opens `path` for writing (see the type's description). Opening a FIFO waits for its reader.
    public init(path: String) throws {
        self.path = Self.isStandardOutput(path) ? "standard output" : path
        // A reader that goes away must end the command with a message, not kill it by SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        if Self.isStandardOutput(path) {
            kind = .standardOutput
            fd = STDOUT_FILENO
            temporaryPath = nil
            finalPath = nil
            return
        }
        var st = stat()
        if stat(path, &st) == 0 {
            let type = st.st_mode & S_IFMT
            if type == S_IFDIR { throw SeqError("is a folder, not a file", file: path) }
            if type != S_IFREG {
                let opened = open(path, O_WRONLY | O_CLOEXEC)
                guard opened >= 0 else { throw SeqError("cannot open for writing: \(IOFailure.reason(errno: errno))", file: path) }
                kind = .stream
                fd = opened
                temporaryPath = nil
                finalPath = nil
                return
            }
        }
        // A link to a regular file: replace the target, keep the link.
        var target = path
        var isLink = stat()
        if lstat(path, &isLink) == 0, (isLink.st_mode & S_IFMT) == S_IFLNK, let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        let url = URL(fileURLWithPath: target)
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let opened = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard opened >= 0 else { throw SeqError("cannot write: \(IOFailure.reason(errno: errno))", file: path) }
        var old = stat()
        if stat(target, &old) == 0 { fchmod(opened, old.st_mode & 0o7777) }
        kind = .replaced
        fd = opened
        temporaryPath = tmp
        finalPath = target
    }

    deinit {
        if !finished { discard() }
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw SeqError("written after it was closed", file: path) }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                discard()
                throw SeqError("cannot write: \(IOFailure.reason(errno: code))", file: path)
            }
            offset += n
        }
    }

    /// Writes all of `data`.
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Finishes the output: a replaced file is renamed into place; a stream is closed
    /// (standard output stays open).
    public func commit() throws {
        guard !finished else { return }
        finished = true
        switch kind {
        case .standardOutput:
            return
        case .stream:
            close(fd)
        case .replaced:
            let closed = close(fd)
            let code = errno
            guard let temporaryPath, let finalPath else { return }
            // close() reports a delayed write error (NFS, quota): the file would be incomplete.
            if closed != 0 {
                unlink(temporaryPath)
                throw SeqError("cannot write: \(IOFailure.reason(errno: code))", file: path)
            }
            if rename(temporaryPath, finalPath) != 0 {
                let code = errno
                unlink(temporaryPath)
                throw SeqError("cannot write: \(IOFailure.reason(errno: code))", file: path)
            }
        }
    }

    /// Gives up: a replaced file keeps its old content and the temporary file is removed.
    public func discard() {
        guard !finished else { return }
        finished = true
        switch kind {
        case .standardOutput: return
        case .stream: close(fd)
        case .replaced:
            close(fd)
            if let temporaryPath { unlink(temporaryPath) }
        }
    }

    /// Writes `data` to `path` in one go (see the type's description for `-` and devices).
    public static func write(_ data: Data, toPath path: String) throws {
        let out = try OutputFile(path: path)
        try out.write(data)
        try out.commit()
    }

    /// Writes `data` to the file `url`: replaced as a whole when it is a regular file, written
    /// into when it is a device or FIFO. (A URL is never standard output.)
    public static func write(_ data: Data, to url: URL) throws {
        // A file URL's path is absolute, so it never reads as "-" (standard output).
        try write(data, toPath: url.path)
    }

    /// Creates a new file at `url` with `data`, for files in a folder this process owns alone
    /// (staging folders), where replacing atomically buys nothing. Errors name the file, with
    /// "no space left on the device" for ENOSPC.
    public static func create(_ data: Data, at url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw SeqError("cannot write: \(IOFailure.reason(errno: errno))", file: url.path) }
        var failure: Int32 = 0
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += n
            }
        }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 {
            unlink(url.path)
            throw SeqError("cannot write: \(IOFailure.reason(errno: failure))", file: url.path)
        }
    }
}
