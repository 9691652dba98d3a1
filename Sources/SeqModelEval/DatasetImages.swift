import Foundation
import SeqCore
import SeqEval
import SeqMedia

/// Finds the image files behind pair keys in a dataset's published layout (model mode).
///
/// * LFW: `ROOT/Name/Name_0001.jpg`, the key itself.
/// * YTF: the image files (`ImageIO.isImageFile`) of `BASE/Name/<video>/`, where BASE is `ROOT/aligned_images_DB`, else
///   `ROOT/frame_images_DB`, else ROOT itself.
///
/// Each image gets a key relative to the base, so extracted features form a `FeatureFile` that
/// feature mode reads unchanged (YTF frame keys `Name/<video>/<frame>`).
public struct DatasetImages: Sendable {
    public let root: URL
    public let benchmark: Benchmark
    /// The folder keys are relative to.
    public let base: URL

    /// The YTF subfolders tried in order; aligned faces first, as the published features use them.
    public static let ytfFolders = ["aligned_images_DB", "frame_images_DB"]

    public init(root: URL, benchmark: Benchmark) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw SeqError("dataset root is not a folder", file: root.path)
        }
        self.root = root
        self.benchmark = benchmark
        var base = root
        if benchmark == .ytf {
            for name in Self.ytfFolders {
                let candidate = root.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue {
                    base = candidate
                    break
                }
            }
        }
        self.base = base
    }

    /// The images of `key` with their image keys: one for LFW, every frame (sorted by name)
    /// for YTF; empty when there is none.
    public func images(forKey key: String) -> [(key: String, url: URL)] {
        let url = base.appendingPathComponent(key)
        switch benchmark {
        case .lfw:
            return FileManager.default.fileExists(atPath: url.path) ? [(key, url)] : []
        case .ytf:
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return [] }
            return names.filter { !$0.hasPrefix(".") && ImageIO.isImageFile(path: $0) }
                .sorted()
                .map { ("\(key)/\($0)", url.appendingPathComponent($0)) }
        }
    }

    /// The images every pair of `list` needs, in need order (each key once), with their image
    /// keys. A key without an image stops with a message naming the pair's line, unless
    /// `skipMissing` is set (the pair is then left out by the scorer).
    public func images(neededBy list: PairList, skipMissing: Bool) throws -> [(key: String, url: URL)] {
        var needed: [(key: String, url: URL)] = []
        var seen = Set<String>()
        for pair in list.pairs {
            for key in [pair.first, pair.second] where seen.insert(key).inserted {
                let images = images(forKey: key)
                if images.isEmpty && !skipMissing {
                    throw SeqError("no image for '\(key)' under \(base.path) (use --skip-missing to leave such pairs out)",
                                   file: list.file, line: pair.line)
                }
                needed += images
            }
        }
        return needed
    }
}
