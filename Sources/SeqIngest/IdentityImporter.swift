import Dispatch
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqMedia

/// Options of `seqcurate import-identities`.
public struct IdentityImportOptions: Sendable, Codable, Equatable {
    /// The dataset name recorded with each identity (default: the root folder's name).
    public var dataset: String?
    /// Use the images as they are (already aligned); otherwise detect and align each one.
    public var aligned = false
    /// Images per transaction: a crash loses at most this many, and a re-run resumes after them.
    public var batchSize = 64
    /// JPEG quality of the aligned crops.
    public var jpegQuality = 95
    public var align: AlignMethod = .seqface
    public var cropSize: Int?
    /// Images with more pixels are recorded as failed (`too_large`) without being decoded.
    public var maxPixels = ImageIO.defaultMaxPixels
    /// Also import images in folders below the identity folders (`ROOT/<identity>/<sub>/<image>`);
    /// the identity is the top folder under ROOT.
    public var recursive = false
    public init() {}
}

/// What an import did.
public struct IdentityImportSummary: Sendable, Equatable {
    public var identities = 0
    public var imported = 0
    public var alreadyThere = 0
    /// Images recorded as failed, by reason (`no_face`, `unreadable`, `too_large`).
    public var failed: [String: Int] = [:]
    /// Identity folders without a single image.
    public var emptyIdentities: [String] = []
    /// Images left alone because the catalog already holds them under another dataset name
    /// (`source_path` is unique): counts by that dataset.
    public var inOtherDatasets: [String: Int] = [:]
    /// Folders under the root whose names start with "." (`.hidden`, `...`), not imported.
    public var hiddenFolders: [String] = []
    /// Images refused because their path holds a line break (no line-based list can hold it),
    /// escaped for printing; they are recorded as failed with reason `line_break_in_name`.
    public var refusedNames: [String] = []
    /// Other findings worth a line on standard error (RecordIO packs: labels beyond the property file).
    public var notes: [String] = []
    /// Images in folders below the identity folders, left alone because the import was not recursive.
    public var skippedInSubfolders = 0
}

/// Imports an identity dataset laid out as `ROOT/<identity>/<image>`.
public final class IdentityImporter {
    public let catalog: Catalog
    public let detector: MTCNN?
    public let cropper: FaceCropper?
    public let options: IdentityImportOptions
    public let runID: Int64?

    /// `detector` and `cropper` may be nil only with `options.aligned`.
    public init(catalog: Catalog, detector: MTCNN?, cropper: FaceCropper?, options: IdentityImportOptions, runID: Int64?) {
        precondition(options.aligned || (detector != nil && cropper != nil), "detection needs a detector and a cropper")
        self.catalog = catalog
        self.detector = detector
        self.cropper = cropper
        self.options = options
        self.runID = runID
    }

    /// The reason recorded for an image whose path holds a line break.
    public static let lineBreakReason = "line_break_in_name"

    /// What `scanTree` found under a root.
    public struct Tree {
        /// Identity folders and their images, sorted.
        public var identities: [(identity: String, images: [URL])]
        /// Folders whose names start with "." (hidden by convention, like `.git`), skipped.
        public var hiddenFolders: [String]
        /// Images in folders below the identity folders that a non-recursive scan left out.
        public var skippedInSubfolders = 0
    }

    /// Lists `root`'s identity folders and their images, sorted, so that every run sees the same order.
    public static func scan(_ root: URL, recursive: Bool = false) throws -> [(identity: String, images: [URL])] {
        try scanTree(root, recursive: recursive).identities
    }

    /// The images under `dir`, sorted by path: those directly inside it and, with `recursive`,
    /// those in its subfolders at any depth (hidden folders, whose names start with ".", are
    /// skipped). Without `recursive`, also the number of images in subfolders left out.
    static func images(in dir: URL, recursive: Bool) -> (images: [URL], inSubfolders: Int) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        var images: [URL] = []
        var inSubfolders = 0
        func walk(_ folder: URL, depth: Int) {
            let names = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            for name in names {
                let url = folder.appendingPathComponent(name)
                if fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
                    if name.hasPrefix(".") || depth > 32 { continue }
                    if recursive { walk(url, depth: depth + 1) } else { inSubfolders += countImages(url, depth: depth + 1) }
                } else if ImageIO.isImageFile(path: name), depth == 0 || recursive {
                    images.append(url)
                }
            }
        }
        func countImages(_ folder: URL, depth: Int) -> Int {
            var n = 0
            for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let url = folder.appendingPathComponent(name)
                if fm.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
                    if !name.hasPrefix(".") && depth <= 32 { n += countImages(url, depth: depth + 1) }
                } else if ImageIO.isImageFile(path: name) {
                    n += 1
                }
            }
            return n
        }
        walk(dir, depth: 0)
        return (images, inSubfolders)
    }

    /// Lists `root`'s identity folders and their images, sorted, and the hidden folders it skips.
    public static func scanTree(_ root: URL, recursive: Bool = false) throws -> Tree {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir) else { throw SeqError("no such folder", file: root.path) }
        guard isDir.boolValue else { throw SeqError("not a folder (expected ROOT/<identity>/<image>)", file: root.path) }
        let all: [String]
        do {
            all = try fm.contentsOfDirectory(atPath: root.path).sorted()
        } catch {
            throw SeqError("cannot list the folder: \(IOFailure.reason(of: error))", file: root.path)
        }
        // Hidden folders (.git, .thumbnails, ...) are not identities; they are reported, not imported.
        let hidden = all.filter { $0.hasPrefix(".") && fm.fileExists(atPath: root.appendingPathComponent($0).path, isDirectory: &isDir) && isDir.boolValue }
        let names = all.filter { !$0.hasPrefix(".") }
        var out: [(String, [URL])] = []
        var skipped = 0
        for name in names {
            let dir = root.appendingPathComponent(name)
            guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let (images, inSubfolders) = Self.images(in: dir, recursive: recursive)
            skipped += inSubfolders
            out.append((name, images))
        }
        guard !out.isEmpty else {
            var note = hidden.isEmpty ? "" : "; only hidden folders, which are skipped: " + hidden.map(PrintableName.escaped).joined(separator: ", ")
            if let pack = all.first(where: { $0.lowercased().hasSuffix(".rec") }) {
                note += "; it holds \(PrintableName.escaped(pack)): give that file to import an insightface RecordIO pack"
            }
            throw SeqError("no identity folders inside (expected ROOT/<identity>/<image>)\(note)", file: root.path)
        }
        return Tree(identities: out, hiddenFolders: hidden, skippedInSubfolders: skipped)
    }

    /// Imports the tree under `root` (see the type's description). Images the catalog already
    /// holds, under this dataset or another, are left alone and counted; images whose path holds
    /// a line break are recorded as failed. A crop that cannot be written (disk full) stops the
    /// import with that error; the batch in progress is not recorded and its crops are removed.
    public func run(root: URL, quiet: Bool = false) throws -> IdentityImportSummary {
        let root = root.standardizedFileURL
        let dataset = options.dataset ?? root.lastPathComponent
        let tree = try Self.scanTree(root, recursive: options.recursive)
        var summary = IdentityImportSummary()
        summary.hiddenFolders = tree.hiddenFolders
        summary.skippedInSubfolders = tree.skippedInSubfolders
        // Every imported path with its dataset: source paths are unique in the catalog, so an
        // image imported under another --name would be written (crop) and then not inserted.
        let done = try catalog.importedImageDatasets()
        var work: [(identityID: Int64, identity: String, url: URL)] = []
        var refused: [IdentityImageRecord] = []
        for (identity, images) in tree.identities {
            if images.isEmpty { summary.emptyIdentities.append(identity); continue }
            var mine = false
            var fresh: [URL] = []
            for url in images {
                if let owner = done[url.path] {
                    if owner == dataset { summary.alreadyThere += 1; mine = true } else { summary.inOtherDatasets[owner, default: 0] += 1 }
                } else {
                    fresh.append(url)
                }
            }
            // An identity whose images all belong to another dataset is not created here.
            guard mine || !fresh.isEmpty else { continue }
            let id = try catalog.upsertIdentity(dataset: dataset, name: identity)
            summary.identities += 1
            for url in fresh {
                if PrintableName.hasLineBreak(url.path) {
                    summary.refusedNames.append(PrintableName.escaped(url.path))
                    refused.append(IdentityImageRecord(identityID: id, sourcePath: url.path, cropPath: nil, aligned: options.aligned,
                                                       status: .failed, reason: Self.lineBreakReason, ingestRunID: runID))
                } else {
                    work.append((id, identity, url))
                }
            }
        }
        if !refused.isEmpty {
            let added = try catalog.insertIdentityImagesReportingNew(refused)
            for (r, isNew) in zip(refused, added) where isNew { summary.failed[r.reason ?? "failed", default: 0] += 1 }
        }
        let progress = ProgressReporter("import \(dataset)", total: work.count, unit: "images", quiet: quiet)
        let cropRoot = "crops/identities/\(Self.safe(dataset))"
        var start = 0
        while start < work.count {
            let slice = Array(work[start..<min(start + options.batchSize, work.count)])
            var outcomes = [(record: IdentityImageRecord, writeError: SeqError?)?](repeating: nil, count: slice.count)
            outcomes.withUnsafeMutableBufferPointer { out in
                let buffer = out
                DispatchQueue.concurrentPerform(iterations: slice.count) { i in
                    buffer[i] = importOne(slice[i].url, identityID: slice[i].identityID,
                                          cropPath: "\(cropRoot)/\(Self.safe(slice[i].identity))/\(Self.cropName(slice[i].url, identityFolder: root.appendingPathComponent(slice[i].identity))).jpg")
                }
            }
            let rows = outcomes.compactMap { $0?.record }
            if let failure = outcomes.lazy.compactMap({ $0?.writeError }).first {
                // Nothing of this batch is recorded: its crops would be orphans.
                for r in rows { if let crop = r.cropPath { try? FileManager.default.removeItem(at: catalog.resolve(crop)) } }
                progress.finish()
                throw failure
            }
            let (added, orphans) = try catalog.transaction { () -> ([Bool], [String]) in
                let added = try catalog.insertIdentityImagesReportingNew(rows)
                // A row another process inserted meanwhile wins; a crop written for ours is
                // removed unless that row uses the same crop path (same dataset and name).
                var orphans: [String] = []
                for (r, isNew) in zip(rows, added) where !isNew {
                    if let crop = r.cropPath, try !catalog.isIdentityCropInUse(crop) { orphans.append(crop) }
                }
                return (added, orphans)
            }
            for crop in orphans { try? FileManager.default.removeItem(at: catalog.resolve(crop)) }
            for (r, isNew) in zip(rows, added) {
                if !isNew { summary.alreadyThere += 1; continue }
                if r.status == .ok { summary.imported += 1 } else { summary.failed[r.reason ?? "failed", default: 0] += 1 }
            }
            progress.advance(by: slice.count, note: "failed \(summary.failed.values.reduce(0, +))")
            start += slice.count
        }
        progress.finish()
        return summary
    }

    private func importOne(_ url: URL, identityID: Int64, cropPath: String) -> (record: IdentityImageRecord, writeError: SeqError?) {
        let image: Image
        do {
            image = try ImageIO.read(url, maxPixels: options.maxPixels)
        } catch {
            return (IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: options.aligned,
                                        status: .failed, reason: ImageIO.isSizeLimitError(error) ? "too_large" : "unreadable",
                                        ingestRunID: runID), nil)
        }
        if options.aligned {
            let hash = PerceptualHash.dHash(image)
            return (IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: true,
                                        cropHash: hash, ingestRunID: runID), nil)
        }
        guard let detector, let cropper, let face = FaceDetection.mainFace(detector.detect(image), width: image.width, height: image.height) else {
            return (IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: false,
                                        status: .failed, reason: "no_face", ingestRunID: runID), nil)
        }
        let crop = cropper(image, face)
        let target = catalog.resolve(cropPath)
        let record = IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: cropPath, aligned: false, score: face.score,
                                         cropHash: PerceptualHash.dHash(crop),
                                         ingestRunID: runID)
        // A crop that cannot be written is a problem of the disk, not of the image: recording
        // the image as failed would make every later run skip it. The import stops instead.
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            return (record, SeqError("cannot create the crop folder: \(IOFailure.reason(of: error))", file: target.deletingLastPathComponent().path))
        }
        do {
            try CropStore.writeCrop(try ImageIO.encodeJPEG(crop, quality: options.jpegQuality), target)
        } catch {
            return (record, error as? SeqError ?? SeqError("cannot write: \(IOFailure.reason(of: error))", file: target.path))
        }
        return (record, nil)
    }

    /// The crop's name below its identity folder, without extension: the image's name, and for
    /// images in subfolders (`--recursive`) its folders too, so that `a/1.jpg` and `b/1.jpg` differ.
    static func cropName(_ url: URL, identityFolder: URL) -> String {
        let image = url.deletingPathExtension().pathComponents
        let folder = identityFolder.pathComponents
        guard image.count > folder.count + 1, Array(image.prefix(folder.count)) == folder else {
            return safe(url.deletingPathExtension().lastPathComponent)
        }
        return image.dropFirst(folder.count).map(safe).joined(separator: "/")
    }

    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
