import Foundation
import XCTest

/// What one run of the `seqcurate` executable did.
public struct CLIResult {
    public var status: Int32
    public var reason: Process.TerminationReason
    public var out: String
    public var err: String
    /// True when the process ended by `exit` (not a signal) with status 0.
    public var succeeded: Bool { reason == .exit && status == 0 }
    /// True when the process ended by `exit`, whatever its status (false for a signal).
    public var exited: Bool { reason == .exit }
    /// Standard output, then standard error.
    public var all: String { out + err }
}

/// Runs the built `seqcurate` as a user would, capturing both streams.
public enum TestCLI {
    /// Runs `seqcurate ARGS` (in `directory`, when given) to the end. `environment` is the
    /// child's whole environment (default: this process's); `executable` another copy of the
    /// binary to run (default: the one built beside the tests).
    public static func run(_ args: [String], in directory: URL? = nil, environment: [String: String]? = nil,
                           executable: URL? = nil,
                           file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let (p, out, err) = try launch(args, in: directory, environment: environment, executable: executable,
                                       file: file, line: line)
        // Both pipes are read on threads of their own: a child that fills one while we wait on
        // the other would stall.
        let o = PipeReader(out.fileHandleForReading), e = PipeReader(err.fileHandleForReading)
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, reason: p.terminationReason, out: o.text(), err: e.text())
    }

    /// Starts `seqcurate ARGS` and returns it with its standard output and error pipes.
    public static func launch(_ args: [String], in directory: URL? = nil, stdout: Any? = nil,
                              environment: [String: String]? = nil, executable: URL? = nil,
                              file: StaticString = #filePath, line: UInt = #line) throws -> (Process, Pipe, Pipe) {
        let p = Process()
        p.executableURL = try executable ?? TestFiles.executable(file: file, line: line)
        p.arguments = args
        if let directory { p.currentDirectoryURL = directory }
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = stdout ?? out
        p.standardError = err
        try p.run()
        return (p, out, err)
    }

    /// Runs a system command (`mount`, `mkfifo`…) quietly; true when it exits 0.
    @discardableResult
    public static func sh(_ args: String...) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}

/// Reads a pipe to its end on a thread of its own.
public final class PipeReader: @unchecked Sendable {
    private var buffer = Data()
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `handle`; `prefix` is what the caller already read from it.
    public init(_ handle: FileHandle, prefix: Data = Data()) {
        buffer = prefix
        Thread.detachNewThread { [self] in
            buffer.append(handle.readDataToEndOfFile())
            done.signal()
        }
    }

    /// Everything the pipe carried, once its writer closed it (may be asked again).
    public func data() -> Data {
        done.wait()
        done.signal()
        return buffer
    }

    public func text() -> String { String(decoding: data(), as: UTF8.self) }
}
