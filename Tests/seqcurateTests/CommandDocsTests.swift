import Foundation
import SeqTestSupport
import XCTest

/// docs/commands.md is generated from the commands' own `--help`; this keeps it from drifting.
final class CommandDocsTests: XCTestCase {
    func testCommandReferenceMatchesTheHelpText() throws {
        let exe = try TestFiles.executable()
        let out = try TestFiles.tempDirectory("command-docs").appendingPathComponent("commands.md")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [TestFiles.repoRoot.appendingPathComponent("tools/gen_command_docs.sh").path, exe.path, out.path]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let generated = try String(contentsOf: out, encoding: .utf8)
        let committed = try String(contentsOf: TestFiles.repoRoot.appendingPathComponent("docs/commands.md"), encoding: .utf8)
        if generated != committed {
            let a = generated.components(separatedBy: "\n"), b = committed.components(separatedBy: "\n")
            let first = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
            let want = first < a.count ? a[first] : "<end>", have = first < b.count ? b[first] : "<end>"
            XCTFail("docs/commands.md is stale from line \(first + 1) (help says \"\(want)\", the file \"\(have)\"): run tools/gen_command_docs.sh")
        }
    }
}
