import Foundation
import SeqCore

/// Features extracted in model mode, kept as a `.npy` + keys pair (the feature-mode format) so a
/// re-run reads them instead of running the network again.
public struct FeatureCache: Sendable {
    public let featuresURL: URL
    public let keysURL: URL

    /// `DIRECTORY/NAME.npy` and `DIRECTORY/NAME.keys.txt`; the name should identify the model
    /// weights and the dataset so a cache is never used for another model.
    public init(directory: URL, name: String) {
        featuresURL = directory.appendingPathComponent(name + ".npy")
        keysURL = directory.appendingPathComponent(name + ".keys.txt")
    }

    /// The cached features, or nil when there are none yet. A damaged cache (for example
    /// features and keys of different lengths after an interrupted write) also gives nil and is
    /// rebuilt, with a note on standard error.
    public func load() -> FeatureFile? {
        let fm = FileManager.default
        guard fm.fileExists(atPath: featuresURL.path), fm.fileExists(atPath: keysURL.path) else { return nil }
        do {
            return try FeatureFile.load(features: featuresURL, keys: keysURL)
        } catch {
            printError("seqcurate: ignoring damaged feature cache (\(error)); extracting again")
            return nil
        }
    }

    /// Writes `file`, features first and keys last, each atomically.
    public func save(_ file: FeatureFile) throws {
        do {
            try FileManager.default.createDirectory(at: featuresURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create cache folder", file: featuresURL.deletingLastPathComponent().path)
        }
        try NPYArray<Float>(shape: [file.rows, file.dimension], values: file.values).write(to: featuresURL)
        try AtomicFile.write(file.keys.joined(separator: "\n") + (file.keys.isEmpty ? "" : "\n"), to: keysURL)
    }
}

extension FeatureFile {
    /// This file's rows followed by new ones (`values` row-major, `keys.count × dimension`).
    public func appending(keys newKeys: [String], values newValues: [Float]) throws -> FeatureFile {
        try FeatureFile(keys: keys + newKeys, values: values + newValues, dimension: dimension,
                        featuresPath: featuresPath, keysPath: keysPath)
    }

    /// The rows of `wanted`, in that order; every key must be present (first row wins for a
    /// repeated key). Model mode uses it so a cache never contributes images that are gone.
    public func selecting(keys wanted: [String]) throws -> FeatureFile {
        var rowOf: [String: Int] = [:]
        rowOf.reserveCapacity(rows)
        for (r, key) in keys.enumerated() where rowOf[key] == nil { rowOf[key] = r }
        var picked: [Float] = []
        picked.reserveCapacity(wanted.count * dimension)
        for key in wanted {
            guard let r = rowOf[key] else { throw SeqError("no cached feature for '\(SeqError.quotable(key))'", file: keysPath) }
            picked.append(contentsOf: values[(r * dimension)..<((r + 1) * dimension)])
        }
        return try FeatureFile(keys: wanted, values: picked, dimension: dimension, featuresPath: featuresPath, keysPath: keysPath)
    }
}
