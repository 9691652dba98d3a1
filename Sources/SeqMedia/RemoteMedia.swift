import CFFmpeg
import Foundation
import SeqCore

extension URL {
    /// How media is named to the user and in the catalog: the path of a file, the whole
    /// address of an http(s) URL.
    public var mediaName: String { isFileURL ? path : absoluteString }

    /// True for the http and https URLs that `ingest --list` accepts.
    public var isRemoteMedia: Bool {
        let scheme = self.scheme?.lowercased()
        return scheme == "http" || scheme == "https"
    }
}

/// FFmpeg's network protocols need their global set-up once per process.
let networkReady: Void = {
    avformat_network_init()
}()

/// Media read through FFmpeg's I/O layer (avio), for inputs that are not local files.
public enum RemoteMedia {
    /// The lower-case hex SHA-256 of the bytes FFmpeg reads at `url` (http, https): the same
    /// content hash a local copy of the file has. The URL is read once for this and once more
    /// by the decoder.
    public static func sha256(of url: URL) throws -> String {
        _ = quietFFmpegLogs
        _ = networkReady
        let name = url.mediaName
        var opened: UnsafeMutablePointer<AVIOContext>?
        let rc = avio_open2(&opened, name, AVIO_FLAG_READ, nil, nil)
        defer { avio_closep(&opened) }
        guard rc >= 0, let context = opened else {
            throw SeqError("cannot read (\(ffmpegErrorText(rc)))", file: name)
        }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { avio_read(context, $0.baseAddress, Int32($0.count)) }
            if n == seq_averror_eof() || n == 0 { break }
            guard n > 0 else { throw SeqError("reading failed (\(ffmpegErrorText(n)))", file: name) }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<Int(n)])) }
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
