import Foundation
import XCTest

/// A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder, a server on a
/// Unix socket in that folder and on a free loopback port, trust login as `postgres`, stopped
/// and removed by `stop()` (call it in tearDown). Run as root, the server programs run as the
/// `postgres` user (they refuse root), through `runuser`.
///
/// Throws XCTSkip only when the PostgreSQL server programs are not installed.
public final class TestPostgres {
    /// The folder holding the cluster, its socket and its log.
    public let folder: URL
    public let port: Int
    private let bin: URL
    private var databases = 0

    /// The server programs: Debian's /usr/lib/postgresql/<version>/bin, newest first.
    public static func binFolder() -> URL? {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        for v in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = root.appendingPathComponent(v).appendingPathComponent("bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path) { return bin }
        }
        return nil
    }

    /// Creates and starts a cluster.
    public init() throws {
        guard let bin = Self.binFolder() else {
            throw XCTSkip("PostgreSQL server programs are not installed (/usr/lib/postgresql/*/bin/pg_ctl); tools/setup.sh installs them")
        }
        self.bin = bin
        folder = URL(fileURLWithPath: "/tmp/seqcurate-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", folder.path]) }
        port = try Self.freePort()
        let data = folder.appendingPathComponent("data").path
        try runAsServer("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        try runAsServer("pg_ctl", ["-D", data, "-w", "-l", folder.appendingPathComponent("log").path, "-o",
                                   "-k \(folder.path) -p \(port) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", "start"])
    }

    /// Creates and starts a cluster that is stopped and removed when `testCase`'s current test
    /// ends (its teardown), as `TestFiles.tempDirectory(_:removedAfter:)` does for folders.
    public static func started(stoppedAfter testCase: XCTestCase) throws -> TestPostgres {
        let server = try TestPostgres()
        testCase.addTeardownBlock { server.stop() }
        return server
    }

    /// A new empty database; returns its URL (`postgresql://postgres@127.0.0.1:PORT/NAME`).
    public func createDatabase(_ prefix: String = "catalog") throws -> String {
        databases += 1
        let name = "\(prefix)_\(databases)"
        try runAsServer("createdb", ["-h", folder.path, "-p", String(port), "-U", "postgres", name])
        return url(database: name)
    }

    /// The URL of database `name` on this server over loopback TCP.
    public func url(database name: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(name)" }

    /// Runs SQL through psql on database `name` and returns its unaligned output (tests only:
    /// to look at or change rows directly, as an operator would).
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> String {
        try runAsServer("psql", ["-h", folder.path, "-p", String(port), "-U", "postgres", "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Stops the server (immediately) and removes its folder.
    public func stop() {
        _ = try? runAsServer("pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    @discardableResult
    private func runAsServer(_ program: String, _ args: [String]) throws -> String {
        let path = bin.appendingPathComponent(program).path
        if getuid() == 0 { return try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + args) }
        return try Self.run(path, args)
    }

    /// Runs a program to its end with posix_spawn and returns its output. Not Foundation's
    /// Process: on Linux it learns of the child's end through a descriptor the child inherits,
    /// and the server that pg_ctl leaves running would inherit it too.
    @discardableResult
    private static func run(_ executable: String, _ args: [String]) throws -> String {
        let outPath = NSTemporaryDirectory() + "seqcurate-pg-out-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else {
            throw NSError(domain: "TestPostgres", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): error \(rc)"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        guard exited && (status >> 8) & 0xff == 0 else {
            throw NSError(domain: "TestPostgres", code: Int(status),
                          userInfo: [NSLocalizedDescriptionKey: "\(executable) \(args.joined(separator: " ")) failed: \(text)"])
        }
        return text
    }

    /// A loopback port nobody listens on now (the kernel's choice for port 0).
    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw NSError(domain: "TestPostgres", code: 1, userInfo: [NSLocalizedDescriptionKey: "no free loopback port"]) }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
