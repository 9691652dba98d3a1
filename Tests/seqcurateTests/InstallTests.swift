import Foundation
import SeqTestSupport
import XCTest

/// A `seqcurate` copied out of the build tree (as tools/install.sh does) finds its MTCNN
/// weights, in the order docs/install.md gives, and says where it looked when it cannot.
final class InstallTests: XCTestCase {
    /// A copy of the built binary at `<prefix>/bin/seqcurate`, with the weights in
    /// `<prefix>/share/seqcurate/` when `withWeights`.
    private func install(withWeights: Bool) throws -> (prefix: URL, exe: URL) {
        let prefix = try TestFiles.tempDirectory("install-prefix")
        let bin = prefix.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let exe = bin.appendingPathComponent("seqcurate")
        try FileManager.default.copyItem(at: try TestFiles.executable(), to: exe)
        if withWeights {
            let share = prefix.appendingPathComponent("share/seqcurate")
            try FileManager.default.createDirectory(at: share, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: try TestFiles.asset("mtcnn.safetensors"),
                                             to: share.appendingPathComponent("mtcnn.safetensors"))
        }
        return (prefix, exe)
    }

    /// This process's environment without the weights variables, plus `extra`.
    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SEQCURATE_HOME"] = nil
        env["SEQCURATE_MTCNN_WEIGHTS"] = nil
        return env.merging(extra) { $1 }
    }

    /// A file named mtcnn.safetensors that is not weights: whoever picks it fails, naming it.
    private func junkWeights(in dir: URL) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("mtcnn.safetensors")
        try "not weights".write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func assertOneFace(_ r: CLIResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 0, r.err, file: file, line: line)
        XCTAssertTrue(r.out.contains("messi5.jpg: 1 face\n"), r.out + r.err, file: file, line: line)
    }

    func testInstalledCopyFindsWeightsInItsPrefixFromAnotherFolder() throws {
        let (_, exe) = try install(withWeights: true)
        let elsewhere = try TestFiles.tempDirectory("install-cwd")
        let r = try TestCLI.run(["detect", try TestFiles.asset("messi5.jpg").path], in: elsewhere,
                                environment: environment(), executable: exe)
        assertOneFace(r)
    }

    func testInstalledCopyFoundThroughPATHFindsItsPrefix() throws {
        // Started through PATH, argv[0] is a bare "seqcurate": the prefix must come from the
        // executable itself, not from argv[0].
        let (prefix, _) = try install(withWeights: true)
        let elsewhere = try TestFiles.tempDirectory("install-cwd")
        let path = prefix.appendingPathComponent("bin").path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let r = try TestCLI.run(["seqcurate", "detect", try TestFiles.asset("messi5.jpg").path], in: elsewhere,
                                environment: environment(["PATH": path]), executable: URL(fileURLWithPath: "/usr/bin/env"))
        assertOneFace(r)
    }

    func testSeqcurateHomeHoldsTheWeights() throws {
        let (_, exe) = try install(withWeights: false)
        let home = try TestFiles.tempDirectory("install-home")
        try FileManager.default.copyItem(at: try TestFiles.asset("mtcnn.safetensors"),
                                         to: home.appendingPathComponent("mtcnn.safetensors"))
        let r = try TestCLI.run(["detect", try TestFiles.asset("messi5.jpg").path], in: try TestFiles.tempDirectory("install-cwd"),
                                environment: environment(["SEQCURATE_HOME": home.path]), executable: exe)
        assertOneFace(r)
    }

    func testNoWeightsAnywhereListsEveryPlaceInOneLine() throws {
        let (prefix, exe) = try install(withWeights: false)
        let home = try TestFiles.tempDirectory("install-home")
        let cwd = try TestFiles.tempDirectory("install-cwd")
        let r = try TestCLI.run(["detect", try TestFiles.asset("messi5.jpg").path], in: cwd,
                                environment: environment(["SEQCURATE_HOME": home.path]), executable: exe)
        XCTAssertTrue(r.exited, r.err)
        XCTAssertNotEqual(r.status, 0)
        let lines = r.err.split(separator: "\n").filter { $0.contains("MTCNN weights not found") }
        XCTAssertEqual(lines.count, 1, r.err)
        let line = String(lines.first ?? "")
        let places = [home.appendingPathComponent("mtcnn.safetensors").path,
                      prefix.appendingPathComponent("share/seqcurate/mtcnn.safetensors").path,
                      cwd.appendingPathComponent("assets/mtcnn.safetensors").path]
        XCTAssertTrue(line.contains("looked in: " + places.joined(separator: ", ") + ";"), line)
        XCTAssertTrue(line.contains("tools/setup.sh"), line)
        XCTAssertTrue(line.contains("SEQCURATE_HOME"), line)
    }

    func testLookupOrder() throws {
        let image = try TestFiles.asset("messi5.jpg").path
        let weights = try TestFiles.asset("mtcnn.safetensors").path
        let (prefix, exe) = try install(withWeights: true)
        let cwd = try TestFiles.tempDirectory("install-cwd")
        let junkHome = try junkWeights(in: cwd.appendingPathComponent("home"))
        let junkEnv = try junkWeights(in: cwd.appendingPathComponent("env"))
        _ = try junkWeights(in: cwd.appendingPathComponent("assets"))
        func detect(_ extra: [String] = [], _ env: [String: String] = [:]) throws -> CLIResult {
            try TestCLI.run(["detect", image] + extra, in: cwd, environment: environment(env), executable: exe)
        }
        func assertPicked(_ r: CLIResult, _ junk: URL, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertNotEqual(r.status, 0, file: file, line: line)
            XCTAssertTrue(r.err.contains("\(junk.path): MTCNN weights unusable"), r.err, file: file, line: line)
        }
        // The prefix comes before the current folder's assets/ (which holds junk here).
        assertOneFace(try detect())
        // SEQCURATE_HOME comes before the prefix.
        assertPicked(try detect([], ["SEQCURATE_HOME": junkHome.deletingLastPathComponent().path]), junkHome)
        // SEQCURATE_MTCNN_WEIGHTS comes before SEQCURATE_HOME...
        assertPicked(try detect([], ["SEQCURATE_MTCNN_WEIGHTS": junkEnv.path, "SEQCURATE_HOME": prefix.path]), junkEnv)
        // ...and --weights before SEQCURATE_MTCNN_WEIGHTS.
        assertOneFace(try detect(["--weights", weights], ["SEQCURATE_MTCNN_WEIGHTS": junkEnv.path]))
        // A file named by SEQCURATE_MTCNN_WEIGHTS that is missing is an error naming it, not a
        // reason to look elsewhere.
        let missing = cwd.appendingPathComponent("nowhere/mtcnn.safetensors").path
        let r = try detect([], ["SEQCURATE_MTCNN_WEIGHTS": missing])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("\(missing): MTCNN weights not found"), r.err)
    }
}
