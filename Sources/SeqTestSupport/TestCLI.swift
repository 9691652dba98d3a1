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
}

/// Runs the built `seqcurate` as a user would, capturing both streams.
public enum TestCLI {
    public static func run(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let p = Process()
        p.executableURL = try TestFiles.executable(file: file, line: line)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes concurrently: a child that fills one while we wait on the other would block.
        var errData = Data()
        let errDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, reason: p.terminationReason,
                         out: String(decoding: outData, as: UTF8.self), err: String(decoding: errData, as: UTF8.self))
    }
}
