import Foundation

/// Turns crop paths stored in the catalog (relative to the catalog folder) into references
/// relative to a page's folder. The report links the crops where they are instead of
/// copying them, so it stays small; it must move together with the catalog folder.
struct CropLinker {
    let catalogFolder: URL
    let pageFolder: URL
    /// `../` steps and folders from the page folder to the catalog folder, with a final `/`
    /// (empty when they are the same folder).
    private let prefix: String
    private(set) var missing = 0

    init(catalogFolder: URL, pageFolder: URL) {
        self.catalogFolder = catalogFolder
        self.pageFolder = pageFolder
        let probe = RelativePath.from(directory: pageFolder, to: catalogFolder.appendingPathComponent("x"))
        prefix = String(probe.dropLast())
    }

    /// The URL-encoded, attribute-escaped reference to a stored path, or nil when the file
    /// does not exist (counted in `missing`).
    mutating func href(for stored: String) -> String? {
        reference(for: stored).map(HTML.escape)
    }

    /// The URL-encoded reference to a stored path, not escaped for an attribute (for data a
    /// page's script turns into elements), or nil when the file does not exist (counted in `missing`).
    mutating func reference(for stored: String) -> String? {
        let file = stored.hasPrefix("/") ? URL(fileURLWithPath: stored) : catalogFolder.appendingPathComponent(stored)
        guard FileManager.default.fileExists(atPath: file.path) else {
            missing += 1
            return nil
        }
        let relative = stored.hasPrefix("/") ? RelativePath.from(directory: pageFolder, to: file) : prefix + stored
        return HTML.percentEncodePath(relative)
    }

    /// A reference to any file (evaluation images), or nil when it does not exist.
    func href(forFile file: URL) -> String? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        return HTML.href(path: RelativePath.from(directory: pageFolder, to: file))
    }
}
