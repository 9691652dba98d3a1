import Foundation

/// Relative references from a page's folder to a file, so the report opens from disk and
/// keeps working when the catalog folder and the report move together.
public enum RelativePath {
    /// The path of `file` relative to `directory`, with `..` where needed (`../crops/a.jpg`).
    /// Both are made absolute and standardized first; symbolic links are resolved so that
    /// two spellings of one folder give the shortest path.
    public static func from(directory: URL, to file: URL) -> String {
        let base = components(of: directory)
        let target = components(of: file)
        var common = 0
        while common < base.count && common < target.count - 1 && base[common] == target[common] { common += 1 }
        let ups = Array(repeating: "..", count: base.count - common)
        return (ups + target[common...]).joined(separator: "/")
    }

    private static func components(of url: URL) -> [String] {
        let resolved = resolvingExistingPrefix(url.standardizedFileURL)
        return resolved.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Resolves symbolic links in the longest part of the path that exists (the report
    /// folder may not exist yet when paths are computed).
    private static func resolvingExistingPrefix(_ url: URL) -> URL {
        var head = url
        var tail: [String] = []
        while !FileManager.default.fileExists(atPath: head.path) && head.path != "/" {
            tail.insert(head.lastPathComponent, at: 0)
            head = head.deletingLastPathComponent()
        }
        var out = head.resolvingSymlinksInPath()
        for t in tail { out.appendPathComponent(t) }
        return out
    }
}
