import Foundation
import XCTest

/// Locations the test targets share: the repository, the downloaded assets, the shared test
/// data beside the repository, fresh temporary folders and the built `seqcurate` executable.
public enum TestFiles {
    /// The repository root, found from this file's own location (Sources/SeqTestSupport/ is two
    /// levels below it), so the tests work from any checkout or copy of the repository.
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo root>/../shared/testdata`, whether or not it exists.
    public static let sharedTestDataRoot: URL = repoRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/testdata")

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

    /// `<repo root>/../shared/testdata/<relative>`, or nil when it is not present (callers skip).
    public static func sharedTestData(_ relative: String) -> URL? {
        let url = sharedTestDataRoot.appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A fresh, empty folder `<tmp>/<prefix>-<uuid>`. It is left behind (useful when a test
    /// fails); use `tempDirectory(_:removedAfter:)` to have it removed.
    public static func tempDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A fresh, empty folder `<tmp>/<prefix>-<uuid>`, removed when `test` ends.
    public static func tempDirectory(_ prefix: String, removedAfter test: XCTestCase) throws -> URL {
        let url = try tempDirectory(prefix)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The `seqcurate` executable built beside the test bundle (or in `.build/debug`); skips the
    /// test when it has not been built.
    public static func executable() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("seqcurate"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("seqcurate"),
            repoRoot.appendingPathComponent(".build/debug/seqcurate"),
        ]
        guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("seqcurate executable not built next to the tests")
        }
        return url
    }
}
