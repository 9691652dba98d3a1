import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// Output files named by the user: devices and FIFOs are written into, regular files replaced.
final class OutputFileTests: XCTestCase {
    private func fileType(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, path)
        return st.st_mode & S_IFMT
    }

    /// A null device of the test's own (root may make one), else the machine's /dev/null:
    /// other processes on a shared machine must not make this test fail, nor it them.
    private func nullDevice() throws -> String {
        let dir = try TestFiles.tempDirectory("outputfile", removedAfter: self)
        let own = dir.appendingPathComponent("null").path
        // Device 1:3 is the null device; (major << 8) | minor is its number for small majors.
        if mknod(own, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 { return own }
        guard fileType("/dev/null") == S_IFCHR else { throw XCTSkip("/dev/null is not a device on this machine") }
        return "/dev/null"
    }

    func testNullDeviceStaysACharacterDevice() throws {
        let null = try nullDevice()
        try OutputFile.write(Data(repeating: 7, count: 4096), toPath: null)
        try AtomicFile.write("through AtomicFile too", to: URL(fileURLWithPath: null))
        let stream = try OutputFile(path: null)
        XCTAssertEqual(stream.kind, .stream)
        try stream.write(Data([1, 2, 3]))
        try stream.commit()
        XCTAssertEqual(fileType(null), S_IFCHR)
        // Nothing was left beside it either.
        let folder = URL(fileURLWithPath: null).deletingLastPathComponent().path
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".null.tmp") }, [])
    }

    func testFIFOIsWrittenIntoAndStaysAFIFO() throws {
        let dir = try TestFiles.tempDirectory("outputfile", removedAfter: self)
        let fifo = dir.appendingPathComponent("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let payload = Data((0..<200_000).map { UInt8($0 % 251) })
        // The reader is a thread; opening the FIFO for writing waits for it, as a FIFO does.
        let received = LockedData()
        let done = expectation(description: "reader got everything")
        Thread.detachNewThread {
            if let h = FileHandle(forReadingAtPath: fifo.path) {
                received.set(h.readDataToEndOfFile())
                try? h.close()
            }
            done.fulfill()
        }
        try OutputFile.write(payload, toPath: fifo.path)
        wait(for: [done], timeout: 30)
        XCTAssertEqual(received.get(), payload)
        XCTAssertEqual(fileType(fifo.path), S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["pipe"], "no temporary file beside the FIFO")
    }

    func testRegularFileIsReplacedWholeKeepingItsModeAndLinks() throws {
        let dir = try TestFiles.tempDirectory("outputfile", removedAfter: self)
        let file = dir.appendingPathComponent("out.bin")
        try Data("old".utf8).write(to: file)
        XCTAssertEqual(chmod(file.path, 0o640), 0)
        let link = dir.appendingPathComponent("link.bin")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: file)

        try OutputFile.write(Data("new".utf8), toPath: link.path)
        XCTAssertEqual(fileType(link.path), S_IFLNK, "the link stays a link")
        XCTAssertEqual(try Data(contentsOf: file), Data("new".utf8))
        var st = stat()
        stat(file.path, &st)
        XCTAssertEqual(st.st_mode & 0o777, 0o640)

        // A discarded output leaves the old content and no temporary file.
        let out = try OutputFile(path: file.path)
        XCTAssertEqual(out.kind, .replaced)
        try out.write(Data("half".utf8))
        out.discard()
        XCTAssertEqual(try Data(contentsOf: file), Data("new".utf8))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)), ["out.bin", "link.bin"])
    }

    func testDashIsStandardOutputAndFoldersAreRefused() throws {
        XCTAssertEqual(try OutputFile(path: "-").kind, .standardOutput)
        let dir = try TestFiles.tempDirectory("outputfile", removedAfter: self)
        XCTAssertThrowsError(try OutputFile.write(Data(), toPath: dir.path)) { XCTAssertTrue("\($0)".contains("is a folder"), "\($0)") }
    }

    func testFullDeviceSaysNoSpaceLeftNamingTheFile() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full here") }
        XCTAssertThrowsError(try OutputFile.write(Data(repeating: 1, count: 10), toPath: "/dev/full")) { error in
            XCTAssertEqual("\(error)", "/dev/full: cannot write: no space left on the device")
        }
        XCTAssertEqual(IOFailure.reason(of: POSIXError(.ENOSPC)), "no space left on the device")
        XCTAssertEqual(IOFailure.reason(of: CocoaError(.fileWriteOutOfSpace)), "no space left on the device")
    }

    func testNamesAreEscapedOntoOneLine() {
        XCTAssertEqual(PrintableName.escaped("a\nb\tc\\d\u{7}"), "a\\nb\\tc\\\\d\\u{7}")
        XCTAssertTrue(PrintableName.hasLineBreak("a\rb"))
        XCTAssertTrue(PrintableName.hasLineBreak("a\u{2028}b"))
        XCTAssertFalse(PrintableName.hasLineBreak("a\tb c.jpg"))
    }
}

/// Data handed from the reader thread to the test.
private final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
}
