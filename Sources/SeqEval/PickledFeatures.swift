import Foundation
import SeqCore

extension FeatureFile {
    /// Whether `path` names a feature pickle (`.pkl` or `.pickle`) rather than a `.npy` matrix.
    public static func isPickle(_ path: String) -> Bool {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        return ext == "pkl" || ext == "pickle"
    }

    /// Reads a SeqFace feature pickle (`FeaturePickle`): one row per dict item, the key turned
    /// into a pair key by `pairKey(fromPickleKey:)`. Items whose value is None are left out
    /// (their pairs then count as missing). All vectors must have one length.
    public static func loadPickle(_ url: URL) throws -> FeatureFile {
        try fromPickle(try FeaturePickle.read(url), path: url.path)
    }

    /// The feature file of the items of a pickle read from `path`.
    public static func fromPickle(_ entries: [FeaturePickle.Entry], path: String) throws -> FeatureFile {
        var keys: [String] = []
        var values: [Float] = []
        var dimension = 0
        var original: [String: String] = [:]
        for entry in entries {
            guard let v = entry.values else { continue }
            let key = pairKey(fromPickleKey: entry.key)
            let shown = PrintableName.escaped(String(entry.key.prefix(200)))
            guard !key.isEmpty else { throw SeqError("key '\(shown)' names no image or video", file: path) }
            if dimension == 0 {
                guard !v.isEmpty else { throw SeqError("the feature of '\(shown)' is empty", file: path) }
                dimension = v.count
                values.reserveCapacity(entries.count * dimension)
            }
            guard v.count == dimension else {
                throw SeqError("the feature of '\(shown)' has \(v.count) values where the first had \(dimension)", file: path)
            }
            if let earlier = original.updateValue(entry.key, forKey: key) {
                throw SeqError("keys '\(PrintableName.escaped(String(earlier.prefix(200))))' and '\(shown)' both name '\(PrintableName.escaped(key))'", file: path)
            }
            keys.append(key)
            values.append(contentsOf: v)
        }
        guard dimension > 0 else { throw SeqError("the pickle holds no features", file: path) }
        var file = try FeatureFile(keys: keys, values: values, dimension: dimension, featuresPath: path, keysPath: path)
        file.rowKeys = .pairKeys
        return file
    }

    /// The pair key a pickle key names. SeqFace's evaluate.py keys its dict by the path it
    /// read, less the repository root: `data/LFW/images/Name/Name_0001.jpg` for an LFW image,
    /// `data/YTF/images/Name/3/` for a YTF video (earlier versions kept the absolute path,
    /// `/…/SeqFace/data/LFW/images/…`), and looks a pair up by the same path. Here the key
    /// loses any trailing `/`, then everything up to its last `images/` folder (or, without
    /// one, a leading `./`), leaving the pair file's `Name/Name_0001.jpg` or `Name/3`.
    public static func pairKey(fromPickleKey key: String) -> String {
        var k = Substring(key)
        while k.hasSuffix("/") { k = k.dropLast() }
        if k.hasPrefix("images/") {
            k = k.dropFirst("images/".count)
        }
        if let r = k.range(of: "/images/", options: .backwards) {
            k = k[r.upperBound...]
        } else {
            while k.hasPrefix("./") { k = k.dropFirst(2) }
        }
        return String(k)
    }
}
