import Foundation
import SeqCatalog
import SeqCore

/// Where a video's crops live, and how they get there without orphans.
///
/// Crops of a video stay in memory while ingest run `<run>` analyses it; once a shot of it is
/// analysed they are written into `crops/.staging/<pid>-<run>-<content hash>@<shot>/`, just
/// before the shot's transaction (`<pid>-<run>-<content hash>/` for a whole video). Only after that transaction commits is that
/// folder renamed to its final place `crops/<hash prefix>/<hash16>-r<run>/`. The run id in the
/// name keeps a re-ingested (`--force`) video's crops apart from the old ones. `recover` mends
/// what a killed run left: a staging folder of a dead process whose video did not commit is
/// deleted; one whose video committed is moved into place; final folders that no catalog video
/// owns any more are deleted.
public struct CropStore: Sendable {
    public let catalogFolder: URL
    public var root: URL { catalogFolder.appendingPathComponent("crops") }
    var stagingRoot: URL { root.appendingPathComponent(".staging") }

    public init(catalogFolder: URL) {
        self.catalogFolder = catalogFolder
    }

    /// The final folder of a video's crops, relative to the catalog folder.
    public func relativeFolder(contentHash: String, runID: Int64) -> String {
        "crops/\(contentHash.prefix(2))/\(contentHash.prefix(16))-r\(runID)"
    }

    public func finalFolder(contentHash: String, runID: Int64) -> URL {
        catalogFolder.appendingPathComponent(relativeFolder(contentHash: contentHash, runID: runID))
    }

    /// A fresh staging folder for this process; `part` is the index of the shot committed with
    /// it when a video commits shot by shot (`<pid>-<run>-<hash>@<shot>`).
    public func makeStaging(contentHash: String, runID: Int64, part: Int? = nil) throws -> URL {
        let url = stagingRoot.appendingPathComponent("\(getpid())-\(runID)-\(contentHash)" + (part.map { "@\($0)" } ?? ""))
        try? FileManager.default.removeItem(at: url)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create the crop folder: \(IOFailure.reason(of: error))", file: url.path)
        }
        return url
    }

    /// Writes one crop file (staging folders and identity crops), whole or not at all. Tests
    /// replace it to simulate a failing disk where no small file system can be mounted.
    nonisolated(unsafe) public static var writeCrop: (Data, URL) throws -> Void = { data, url in
        try OutputFile.write(data, to: url)
    }

    /// Moves a committed video's (or shot's) staged crops into place. The first commit of a
    /// video renames the staging folder; later shots of the same video move their files into
    /// the folder that is there (a file of the same name, left by a commit that was redone
    /// after a kill, is replaced: it has the same content).
    public func publish(staging: URL, contentHash: String, runID: Int64) throws {
        let final = finalFolder(contentHash: contentHash, runID: runID)
        let fm = FileManager.default
        try? fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            if !fm.fileExists(atPath: final.path) {
                try fm.moveItem(at: staging, to: final)
                return
            }
            try Self.moveContents(of: staging, into: final)
            try fm.removeItem(at: staging)
        } catch {
            throw SeqError("cannot move crops into place: \(IOFailure.reason(of: error))", file: final.path)
        }
    }

    /// Moves every file below `source` to the same relative place below `target`.
    private static func moveContents(of source: URL, into target: URL) throws {
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(name), to = target.appendingPathComponent(name)
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: from.path, isDirectory: &isDir), isDir.boolValue {
                try fm.createDirectory(at: to, withIntermediateDirectories: true)
                try moveContents(of: from, into: to)
            } else {
                if fm.fileExists(atPath: to.path) { try fm.removeItem(at: to) }
                try fm.moveItem(at: from, to: to)
            }
        }
    }

    /// Removes a staging folder (a video that failed, or that another run committed first).
    public func discard(staging: URL) {
        try? FileManager.default.removeItem(at: staging)
    }

    /// Removes the crops of an earlier ingest of a video (after `--force` committed).
    public func removeFinal(contentHash: String, runID: Int64) {
        try? FileManager.default.removeItem(at: finalFolder(contentHash: contentHash, runID: runID))
    }

    /// Cleans up after runs that were killed (see the type's description). Staging folders of
    /// processes that are still alive, such as a concurrent ingest, are left alone.
    public func recover(catalog: Catalog) throws {
        let fm = FileManager.default
        if let entries = try? fm.contentsOfDirectory(atPath: stagingRoot.path) {
            for name in entries {
                let parts = name.split(separator: "-", maxSplits: 2)
                guard parts.count == 3, let pid = Int32(parts[0]), let runID = Int64(parts[1]) else { continue }
                if pid != getpid() && kill(pid, 0) == 0 { continue }
                // `<hash>@<shot>`: the staging of one shot of a video committed shot by shot.
                let tail = parts[2].split(separator: "@", maxSplits: 1)
                let hash = String(tail[0])
                let shot = tail.count == 2 ? Int(tail[1]) : nil
                let staging = stagingRoot.appendingPathComponent(name)
                let video = try catalog.video(contentHash: hash)
                var committed = video?.status == .ok
                if let video, let id = video.id, video.status == .partial, let shot {
                    committed = try catalog.resumePoint(videoID: id).shots > shot
                }
                if let video, committed, video.ingestRunID == runID {
                    try publish(staging: staging, contentHash: hash, runID: runID)
                } else {
                    try? fm.removeItem(at: staging)
                }
            }
        }
        // Final folders of videos the catalog no longer holds in that version. List the folders
        // before reading the catalog: a concurrent run publishes only after its commit, so every
        // folder listed here that belongs to a committed video shows up in the query below.
        guard let prefixes = try? fm.contentsOfDirectory(atPath: root.path) else { return }
        var candidates: [(name: String, url: URL)] = []
        for prefix in prefixes where prefix.count == 2 {
            let dir = root.appendingPathComponent(prefix)
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] {
                candidates.append((name, dir.appendingPathComponent(name)))
            }
        }
        guard !candidates.isEmpty else { return }
        var owned: Set<String> = []
        for v in try catalog.videos() where v.status != .failed {
            if let run = v.ingestRunID { owned.insert("\(v.contentHash.prefix(16))-r\(run)") }
        }
        // A merged video (`seqcurate merge`) keeps the crop folder its source run named.
        for path in try catalog.cropFolderSamples() {
            let parts = path.split(separator: "/")
            if parts.count >= 4, parts[0] == "crops" { owned.insert(String(parts[2])) }
        }
        for c in candidates where !owned.contains(c.name) {
            try? fm.removeItem(at: c.url)
        }
    }
}
