import Foundation
import SeqCore

/// Precomputed features as SeqFace's `run.sh feature` leaves them: a float32 `.npy` matrix
/// `[rows, dimension]` and a text file with one key (image path relative to the dataset root)
/// per row.
public struct FeatureFile: Sendable {
    public let featuresPath: String
    public let keysPath: String
    public let rows: Int
    public let dimension: Int
    /// The key of each row, with a leading `./` removed.
    public let keys: [String]
    /// Row-major `rows × dimension` values.
    let values: [Float]
    /// What a row's key names.
    public var rowKeys: RowKeys = .keysFile

    /// What the keys of the rows name, which decides how pair keys find their features.
    public enum RowKeys: Sendable {
        /// A keys file (`--keys`): LFW one row per image; YTF one row per frame, a video being
        /// every row under `Name/<video>/`. Errors name the key's line.
        case keysFile
        /// One row per pair key, for both benchmarks (a SeqFace feature pickle: LFW images,
        /// YTF video features already aggregated). Rows have no lines to name.
        case pairKeys
    }

    /// Builds a feature file from memory (tests, and sources that extract features themselves).
    public init(keys: [String], values: [Float], dimension: Int,
                featuresPath: String = "features", keysPath: String = "keys") throws {
        guard dimension > 0 else { throw SeqError("features have dimension 0", file: featuresPath) }
        // Overflow-checked: keys × dimension must not trap on a hostile dimension, and row
        // numbers are stored as Int32 in the video index.
        let (expected, overflow) = keys.count.multipliedReportingOverflow(by: dimension)
        guard !overflow, values.count == expected else {
            throw SeqError("\(featuresPath) has \(values.count / dimension) rows but \(keysPath) has \(keys.count) keys")
        }
        guard keys.count <= Int(Int32.max) else {
            throw SeqError("\(keys.count) rows are more than this reader indexes (\(Int32.max))", file: featuresPath)
        }
        self.keys = keys
        self.values = values
        self.dimension = dimension
        self.rows = keys.count
        self.featuresPath = featuresPath
        self.keysPath = keysPath
    }

    /// Reads `features` (`.npy`, float32 or float64, shape `[rows, dimension]`) and `keys`.
    public static func load(features: URL, keys: URL) throws -> FeatureFile {
        let array = try NPYArray<Float>.read(from: features)
        guard array.shape.count == 2 else {
            throw SeqError("features must be a 2-D [rows, dimension] array, found shape \(array.shape)", file: features.path)
        }
        let keyList = try readKeys(keys)
        guard array.shape[0] == keyList.count else {
            throw SeqError("\(features.path) has \(array.shape[0]) rows but \(keys.path) has \(keyList.count) keys; they must match row for row")
        }
        return try FeatureFile(keys: keyList, values: array.values, dimension: array.shape[1],
                               featuresPath: features.path, keysPath: keys.path)
    }

    /// One key per line; a blank line in the middle would shift every later row, so it is an error.
    static func readKeys(_ url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SeqError("cannot read keys file", file: url.path)
        }
        return try parseKeys(data, path: url.path)
    }

    /// Parses the bytes of a keys file (see `load`): one key per line, a leading `./` and
    /// surrounding blanks removed; `path` names the file in errors.
    public static func parseKeys(_ data: Data, path: String) throws -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(data.count / 24)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            var line = 0
            let n = bytes.count
            while start < n {
                var end = start
                while end < n, bytes[end] != 0x0A { end += 1 }
                line += 1
                var s = start, e = end
                if e > s, bytes[e - 1] == 0x0D { e -= 1 }
                while e > s, bytes[e - 1] == 0x20 || bytes[e - 1] == 0x09 { e -= 1 }
                while s < e, bytes[s] == 0x20 || bytes[s] == 0x09 { s += 1 }
                while e - s >= 2, bytes[s] == 0x2E, bytes[s + 1] == 0x2F { s += 2 }  // "./"
                guard e > s else {
                    throw SeqError("empty key; every row of the features needs one", file: path, line: line)
                }
                keys.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<e]), as: UTF8.self))
                start = end + 1
            }
        }
        return keys
    }

    /// The feature source for `benchmark`: rows looked up by image key (LFW), or YTF video
    /// features aggregated from all rows under a video folder; with `.pairKeys` rows, each
    /// pair key's own row for both.
    public func source(for benchmark: Benchmark) throws -> FeatureSource {
        switch (benchmark, rowKeys) {
        case (.lfw, _), (.ytf, .pairKeys): return try ImageFeatureIndex(self)
        case (.ytf, .keysFile): return VideoFeatureIndex(self)
        }
    }

    /// Calls `body` with a pointer to row `r`.
    func withRow<T>(_ r: Int, _ body: (UnsafePointer<Float>) throws -> T) rethrows -> T {
        try values.withUnsafeBufferPointer { try body($0.baseAddress! + r * dimension) }
    }

    /// The norm of row `r`, which must be finite and nonzero; errors name the key and its line.
    func checkedNorm(ofRow r: Int) throws -> Double {
        try withRow(r) {
            try FeatureCheck.norm($0, count: dimension, name: keys[r], file: keysPath, line: rowKeys == .keysFile ? r + 1 : nil)
        }
    }
}

/// LFW: each key is one row.
struct ImageFeatureIndex: FeatureSource {
    let file: FeatureFile
    let rowOfKey: [String: Int]

    init(_ file: FeatureFile) throws {
        self.file = file
        var index: [String: Int] = [:]
        index.reserveCapacity(file.rows)
        for (r, key) in file.keys.enumerated() {
            if let earlier = index.updateValue(r, forKey: key) {
                throw SeqError("key '\(SeqError.quotable(key))' appears twice (first on line \(earlier + 1)); each image needs one row",
                               file: file.keysPath, line: r + 1)
            }
        }
        rowOfKey = index
    }

    var origin: String { file.keysPath }

    func features(for keys: [String]) throws -> [[Float]?] {
        try keys.map { key in
            guard let r = rowOfKey[key] else { return nil }
            _ = try file.checkedNorm(ofRow: r)
            return file.withRow(r) { Array(UnsafeBufferPointer(start: $0, count: file.dimension)) }
        }
    }
}

/// YTF: a key `Name/<video>` collects every row whose key starts with `Name/<video>/`.
struct VideoFeatureIndex: FeatureSource {
    let file: FeatureFile
    /// Rows under each folder prefix (every proper folder of every key, so any depth works).
    let rowsOfFolder: [Substring: [Int32]]

    init(_ file: FeatureFile) {
        self.file = file
        var index: [Substring: [Int32]] = [:]
        for (r, key) in file.keys.enumerated() {
            var i = key.startIndex
            while let slash = key[i...].firstIndex(of: "/") {
                index[key[..<slash], default: []].append(Int32(r))
                i = key.index(after: slash)
            }
        }
        rowsOfFolder = index
    }

    var origin: String { file.keysPath }

    func features(for keys: [String]) throws -> [[Float]?] {
        let d = file.dimension
        var acc = [Float](repeating: 0, count: d)
        return try keys.map { key in
            guard let rows = rowsOfFolder[key[...]], !rows.isEmpty else { return nil }
            for i in acc.indices { acc[i] = 0 }
            try acc.withUnsafeMutableBufferPointer { accp in
                for r32 in rows {
                    let r = Int(r32)
                    let norm = try file.checkedNorm(ofRow: r)
                    file.withRow(r) { VectorMath.addScaled($0, scale: Float(1 / norm), into: accp.baseAddress!, count: d) }
                }
            }
            guard let video = VideoFeature.normalized(acc) else {
                throw SeqError("video '\(SeqError.quotable(key))': its \(rows.count) normalised frame features sum to zero, so it has no direction",
                               file: file.keysPath)
            }
            return video
        }
    }
}
