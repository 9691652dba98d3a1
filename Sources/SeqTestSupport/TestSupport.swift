import Foundation
import XCTest

/// Locations the test targets share: the repository, the downloaded assets, the shared test
/// data beside the repository, fresh temporary folders and the built `seqcurate` executable.
public enum TestFiles {
    /// The repository root, found from this file's own location (Sources/SeqTestSupport/ is two
    /// levels below it), so the tests work from any checkout or copy of the repository.
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo root>/Tests/Fixtures`: small data files the tests share (loss vectors, protocol
    /// pair lists). They are data copied into the repository, so a fresh clone needs nothing
    /// beside it; `Tests/Fixtures/README.md` says where each came from.
    public static let fixturesRoot: URL = repoRoot.appendingPathComponent("Tests/Fixtures")

    /// A file fetched by tools/setup.sh into `<repo root>/assets`. When it is absent the calling
    /// test fails with the fix ("run tools/setup.sh") and stops: assets are part of the setup,
    /// so a missing one is an error rather than a reason to skip.
    public static func asset(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let url = repoRoot.appendingPathComponent("assets/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("missing \(url.path): run tools/setup.sh", file: file, line: line)
            throw XCTSkip("asset missing")
        }
        return url
    }

    /// `<repo root>/Tests/Fixtures/<relative>`. A missing fixture fails the calling test (it is
    /// part of the repository, so its absence is a broken checkout, not a reason to skip).
    public static func fixture(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let url = fixturesRoot.appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("missing fixture \(url.path): it is part of the repository (git checkout Tests/Fixtures)", file: file, line: line)
            throw XCTSkip("fixture missing")
        }
        return url
    }

    /// A fresh, empty folder `<tmp>/<prefix>-<uuid>`, removed when the running test case ends
    /// (set `SEQCURATE_KEEP_TEST_FILES=1` to keep them for a look after a failure).
    public static func tempDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        TemporaryFolders.shared.track(url)
        return url
    }

    /// The same as `tempDirectory(_:)`; kept for the call sites that name the test explicitly.
    public static func tempDirectory(_ prefix: String, removedAfter test: XCTestCase) throws -> URL {
        try tempDirectory(prefix)
    }

    /// The regular files below `dir`, as paths relative to it, sorted; none when it is missing.
    public static func files(under dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(p).path, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
        }
        return out.sorted()
    }

    /// The `seqcurate` executable built beside the test bundle (or in `.build/debug`). `swift test`
    /// builds it with the tests, so its absence fails the test rather than skipping it.
    public static func executable(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("seqcurate"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("seqcurate"),
            repoRoot.appendingPathComponent(".build/debug/seqcurate"),
        ]
        guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            XCTFail("the seqcurate executable is not built next to the tests: run `swift build` (tools/test.sh does)", file: file, line: line)
            throw XCTSkip("seqcurate executable missing")
        }
        return url
    }
}

/// Removes the folders `TestFiles.tempDirectory` made once the test case that made them ends,
/// so a full run leaves nothing in /tmp. An XCTest observer rather than per-test teardown
/// blocks, because many tests make folders in helpers that have no test case at hand.
final class TemporaryFolders: NSObject, XCTestObservation, @unchecked Sendable {
    static let shared: TemporaryFolders = {
        let folders = TemporaryFolders()
        XCTestObservationCenter.shared.addTestObserver(folders)
        return folders
    }()

    private let lock = NSLock()
    private var pending: [URL] = []
    private let keep = ProcessInfo.processInfo.environment["SEQCURATE_KEEP_TEST_FILES"] == "1"

    func track(_ url: URL) {
        lock.lock(); defer { lock.unlock() }
        pending.append(url)
    }

    func testCaseDidFinish(_ testCase: XCTestCase) { removeAll() }
    func testBundleDidFinish(_ testBundle: Bundle) { removeAll() }

    private func removeAll() {
        lock.lock()
        let urls = pending
        pending.removeAll()
        lock.unlock()
        guard !keep else { return }
        for url in urls { try? FileManager.default.removeItem(at: url) }
    }
}
