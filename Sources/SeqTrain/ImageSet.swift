import Foundation
import SeqCore
import SeqMedia

/// Images to extract features from, each with the key written to the keys file
/// (its path relative to the dataset root).
public struct ImageSet: Sendable {
    public var keys: [String]
    public var urls: [URL]

    /// Every image file (`ImageIO.imageExtensions`) under `directory`, sorted by relative path.
    public static func directory(_ directory: URL) throws -> ImageSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw SeqError("no such folder", file: directory.path)
        }
        let base = directory.standardizedFileURL.resolvingSymlinksInPath().path
        var keys: [String] = []
        if let walker = FileManager.default.enumerator(atPath: base) {
            while let rel = walker.nextObject() as? String {
                if ImageIO.isImageFile(path: rel) { keys.append(rel) }
            }
        }
        keys.sort()
        guard !keys.isEmpty else { throw SeqError("no .jpg, .png or .bmp images found", file: directory.path) }
        return ImageSet(keys: keys, urls: keys.map { URL(fileURLWithPath: base).appendingPathComponent($0) })
    }

    /// A list file: one image path per line, optionally followed by a label (Caffe style),
    /// absolute or relative to `root` (default: the root of an export manifest.json beside the list, else the
    /// list's folder). Missing images are errors naming the line.
    public static func list(_ file: URL, root: URL? = nil) throws -> ImageSet {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw SeqError(FileManager.default.fileExists(atPath: file.path) ? "cannot read list" : "no such list file", file: file.path)
        }
        let base = try root ?? ManifestBesideList(besides: file)?.root ?? file.deletingLastPathComponent()
        var keys: [String] = [], urls: [URL] = []
        for (i, raw) in TrainingList.lines(of: text).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var path = line
            if let space = line.lastIndex(where: { $0 == " " || $0 == "\t" }),
               TrainingList.looksLikeInteger(String(line[line.index(after: space)...])) {
                path = line[..<space].trimmingCharacters(in: .whitespaces)
            }
            let url = TrainingList.resolve(path, root: base)
            guard FileManager.default.fileExists(atPath: url.path) else {
                let under = path.hasPrefix("/") ? "" : " (under \(base.path))"
                throw SeqError("image \(path) does not exist\(under)", file: file.path, line: i + 1)
            }
            keys.append(path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
            urls.append(url)
        }
        guard !keys.isEmpty else { throw SeqError("list is empty", file: file.path) }
        return ImageSet(keys: keys, urls: urls)
    }

    /// `features.npy` -> `features.keys.txt`, the keys file written beside a feature matrix.
    public static func keysURL(for features: URL) -> URL {
        let stem = features.pathExtension == "npy" ? features.deletingPathExtension() : features
        return stem.appendingPathExtension("keys.txt")
    }
}
