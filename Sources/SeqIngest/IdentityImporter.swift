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

    /// Lists `root`'s identity folders and their images, sorted, so that every run sees the same order.
    public static func scan(_ root: URL) throws -> [(identity: String, images: [URL])] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir) else { throw SeqError("no such folder", file: root.path) }
        guard isDir.boolValue else { throw SeqError("not a folder (expected ROOT/<identity>/<image>)", file: root.path) }
        let names = try fm.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted()
        var out: [(String, [URL])] = []
        for name in names {
            let dir = root.appendingPathComponent(name)
            guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else { continue }
            let files = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            let images = files.filter { ImageIO.isImageFile(path: $0) }.sorted()
                .map { dir.appendingPathComponent($0) }
            out.append((name, images))
        }
        guard !out.isEmpty else { throw SeqError("no identity folders inside (expected ROOT/<identity>/<image>)", file: root.path) }
        return out
    }

    public func run(root: URL, quiet: Bool = false) throws -> IdentityImportSummary {
        let root = root.standardizedFileURL
        let dataset = options.dataset ?? root.lastPathComponent
        let tree = try Self.scan(root)
        var summary = IdentityImportSummary()
        let done = try catalog.importedImagePaths(dataset: dataset)
        var work: [(identityID: Int64, identity: String, url: URL)] = []
        for (identity, images) in tree {
            if images.isEmpty { summary.emptyIdentities.append(identity); continue }
            let id = try catalog.upsertIdentity(dataset: dataset, name: identity)
            summary.identities += 1
            for url in images {
                if done.contains(url.path) { summary.alreadyThere += 1 } else { work.append((id, identity, url)) }
            }
        }
        let progress = ProgressReporter("import \(dataset)", total: work.count, unit: "images", quiet: quiet)
        let cropRoot = "crops/identities/\(Self.safe(dataset))"
        var start = 0
        while start < work.count {
            let slice = Array(work[start..<min(start + options.batchSize, work.count)])
            var records = [IdentityImageRecord?](repeating: nil, count: slice.count)
            records.withUnsafeMutableBufferPointer { out in
                let buffer = out
                DispatchQueue.concurrentPerform(iterations: slice.count) { i in
                    buffer[i] = importOne(slice[i].url, identityID: slice[i].identityID,
                                          cropPath: "\(cropRoot)/\(Self.safe(slice[i].identity))/\(Self.safe(slice[i].url.deletingPathExtension().lastPathComponent)).jpg")
                }
            }
            let rows = records.compactMap { $0 }
            try catalog.transaction { _ = try catalog.insertIdentityImages(rows) }
            for r in rows {
                if r.status == .ok { summary.imported += 1 } else { summary.failed[r.reason ?? "failed", default: 0] += 1 }
            }
            progress.advance(by: slice.count, note: "failed \(summary.failed.values.reduce(0, +))")
            start += slice.count
        }
        progress.finish()
        return summary
    }

    private func importOne(_ url: URL, identityID: Int64, cropPath: String) -> IdentityImageRecord {
        let image: Image
        do {
            image = try ImageIO.read(url, maxPixels: options.maxPixels)
        } catch {
            return IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: options.aligned,
                                       status: .failed, reason: ImageIO.isSizeLimitError(error) ? "too_large" : "unreadable",
                                       ingestRunID: runID)
        }
        if options.aligned {
            let hash = PerceptualHash.dHash(image)
            return IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: true,
                                       cropHash: hash, ingestRunID: runID)
        }
        guard let detector, let cropper, let face = FaceDetection.mainFace(detector.detect(image), width: image.width, height: image.height) else {
            return IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: false,
                                       status: .failed, reason: "no_face", ingestRunID: runID)
        }
        let crop = cropper(image, face)
        let target = catalog.resolve(cropPath)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try ImageIO.writeJPEG(crop, to: target, quality: options.jpegQuality)
        } catch {
            return IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: nil, aligned: false,
                                       status: .failed, reason: "crop_not_written", ingestRunID: runID)
        }
        let hash = PerceptualHash.dHash(crop)
        return IdentityImageRecord(identityID: identityID, sourcePath: url.path, cropPath: cropPath, aligned: false,
                                   score: face.score, cropHash: hash, ingestRunID: runID)
    }

    static func safe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
