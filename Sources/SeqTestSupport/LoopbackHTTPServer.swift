import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 file server on 127.0.0.1 for tests of URL inputs: GET and HEAD of one
/// file, with single byte ranges (`Range: bytes=A-B`), which FFmpeg's http protocol uses to
/// seek. The socket is bound (port 0: the system picks a free one) and listening before `init`
/// returns, so a client may connect at once; connections are served one at a time on a thread
/// of their own, each closed after its reply.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public let port: UInt16
    private let socketFD: Int32
    private let files: [String: Data]
    private let lock = NSLock()
    private var stopped = false
    /// Requests served, as "METHOD /path range" lines (for assertions).
    public private(set) var requests: [String] = []

    /// Serves `files` (URL path → bytes, e.g. "/clip.mp4").
    public init(files: [String: Data]) throws {
        self.files = files
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: out.sin_port)
        socketFD = fd
        Thread.detachNewThread { [self] in serve() }
    }

    /// The URL of a served path.
    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    /// Stops accepting; the listening socket is closed.
    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    deinit { stop() }

    private func serve() {
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 {
                lock.lock(); let done = stopped; lock.unlock()
                if done || (errno != EINTR && errno != ECONNABORTED) { return }
                continue
            }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var request = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while request.range(of: Data("\r\n\r\n".utf8)) == nil {
            let n = read(client, &buffer, buffer.count)
            if n <= 0 { return }
            request.append(contentsOf: buffer[0..<n])
        }
        let lines = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2 else { return }
        let method = String(parts[0]), path = String(parts[1])
        let rangeLine = lines.first { $0.lowercased().hasPrefix("range:") }
        lock.lock()
        requests.append("\(method) \(path) \(rangeLine ?? "")")
        lock.unlock()
        guard let body = files[path] else {
            send(client, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", Data())
            return
        }
        var start = 0, end = body.count - 1
        var status = "200 OK"
        if let rangeLine, let spec = rangeLine.split(separator: "=").last {
            let bounds = spec.split(separator: "-", omittingEmptySubsequences: false)
            if let a = bounds.first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                start = a
                if bounds.count > 1, let b = Int(bounds[1].trimmingCharacters(in: .whitespaces)) { end = min(b, body.count - 1) }
                status = "206 Partial Content"
            }
        }
        if start >= body.count {
            send(client, "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */\(body.count)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", Data())
            return
        }
        var head = "HTTP/1.1 \(status)\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\n"
        head += "Content-Length: \(end - start + 1)\r\nConnection: close\r\n"
        if status.hasPrefix("206") { head += "Content-Range: bytes \(start)-\(end)/\(body.count)\r\n" }
        head += "\r\n"
        send(client, head, method == "HEAD" ? Data() : body.subdata(in: start..<(end + 1)))
    }

    private func send(_ client: Int32, _ head: String, _ body: Data) {
        var all = Data(head.utf8)
        all.append(body)
        all.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                // MSG_NOSIGNAL: a client that hung up (FFmpeg closing after a seek) must not kill the tests with SIGPIPE.
                let n = Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
