import Foundation
import SeqCore

extension Catalog {
    /// Refuses an output folder that a command replacing or filling it (`export`, `report`)
    /// could destroy catalog data with: the catalog's folder or any folder above it (they hold
    /// the catalog file and its crops), the crops folder or any folder inside it, and any folder
    /// holding files the catalog points at outside its crops (videos, identity images used as
    /// they are). Symbolic links are followed on both sides.
    ///
    /// - Throws: `SeqError` naming `out`, saying what it holds.
    public func checkOutputFolder(_ out: URL) throws {
        if let conflict = try outputFolderConflict(out) {
            throw SeqError("\(conflict); writing there could destroy catalog data. Choose another --out", file: out.path)
        }
    }

    /// Why `out` must not be written as an output folder, or nil (see `checkOutputFolder`).
    public func outputFolderConflict(_ out: URL) throws -> String? {
        let outs = Self.spellings(out)
        let folders = Self.spellings(folder)
        let crops = Self.spellings(folder.appendingPathComponent("crops"))
        for o in outs {
            if folders.contains(o) { return "this is the catalog's folder: it holds the catalog and its crops" }
            if folders.contains(where: { Self.isInside($0, o) }) { return "this folder holds the catalog \(url.path) and its crops" }
            if crops.contains(o) { return "this is the catalog's crops folder: it holds catalog crops" }
            if crops.contains(where: { Self.isInside(o, $0) }) {
                return "this lies inside the catalog's crops folder, which holds catalog crops"
            }
        }
        // Files the catalog refers to by absolute path: source videos, and identity images
        // imported --aligned (trained from as they are). Range scans over the sorted paths.
        for o in outs {
            let prefix = o == "/" ? "/" : o + "/"
            // "/" + 1 is "0": every path starting with prefix sorts in [prefix, prefix-with-0).
            let end = String(prefix.dropLast()) + "0"
            if let path: String = try queryFirst("SELECT source_path FROM identity_images WHERE source_path >= ? AND source_path < ? LIMIT 1",
                                                 [.text(prefix), .text(end)], { try $0["source_path"] }) {
                return "this folder holds identity images of the catalog (e.g. \(path))"
            }
            if let path: String = try queryFirst("SELECT path FROM videos WHERE path >= ? AND path < ? LIMIT 1",
                                                 [.text(prefix), .text(end)], { try $0["path"] }) {
                return "this folder holds videos of the catalog (e.g. \(path))"
            }
        }
        return nil
    }

    /// `url` as written (made absolute) and with symbolic links resolved; the first is the
    /// resolved one when they differ.
    static func spellings(_ url: URL) -> [String] {
        let plain = url.standardizedFileURL.path
        let resolved = url.standardizedFileURL.resolvingSymlinksInPath().path
        return resolved == plain ? [plain] : [resolved, plain]
    }

    /// True when `path` is `folder` or lies below it (by path components).
    static func isInside(_ path: String, _ folder: String) -> Bool {
        if folder == "/" { return true }
        return path == folder || path.hasPrefix(folder + "/")
    }
}
