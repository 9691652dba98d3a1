import Dispatch
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqMedia

/// Embeddings of whole images, one person each: MTCNN finds the main face
/// (`FaceDetection.mainFace`) and the embedder embeds it. Used for test-set faces
/// (`exclude --root`, `--faces`) and identity images.
public struct ImageFaceEmbedding: Sendable {
    public let detector: MTCNN
    public let embedder: FaceIdentityEmbedder

    public init(detector: MTCNN, embedder: FaceIdentityEmbedder) {
        self.detector = detector
        self.embedder = embedder
    }

    /// The embedding of the main face of one image; nil when it shows no face.
    /// - Throws: `SeqError` naming the file when it cannot be read.
    public func embed(_ url: URL) throws -> [Float]? {
        let image = try ImageIO.read(url)
        guard let face = FaceDetection.mainFace(detector.detect(image), width: image.width, height: image.height) else { return nil }
        return embedder.embed(image, [face]).first ?? nil
    }

    /// The embeddings of many images on all cores, in `files` order: nil for an image without a
    /// face or that cannot be read (those are listed in `failures`).
    public func embedAll(_ files: [URL], label: String, quiet: Bool = false) -> (vectors: [[Float]?], failures: [(URL, String)]) {
        guard !files.isEmpty else { return ([], []) }
        let progress = ProgressReporter(label, total: files.count, unit: "images", quiet: quiet)
        let results = UnsafeMutableBufferPointer<Result<[Float]?, SeqError>?>.allocate(capacity: files.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let workers = min(max(1, ProcessInfo.processInfo.activeProcessorCount), files.count)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in stride(from: w, to: files.count, by: workers) {
                do {
                    results[i] = .success(try embed(files[i]))
                } catch {
                    results[i] = .failure(error as? SeqError ?? SeqError("\(error)", file: files[i].path))
                }
                progress.advance()
            }
        }
        progress.finish()
        var vectors: [[Float]?] = []
        var failures: [(URL, String)] = []
        for (i, r) in results.enumerated() {
            switch r {
            case .success(let v)?:
                vectors.append(v)
                if v == nil { failures.append((files[i], "no face found")) }
            case .failure(let e)?:
                vectors.append(nil)
                failures.append((files[i], e.reason))
            case nil:
                vectors.append(nil)
            }
        }
        return (vectors, failures)
    }

    /// Embeds every usable identity image of the catalog that has no embedding of this model
    /// yet, and stores them: from the original image when it is still there (the aligned crop
    /// otherwise). Returns how many were embedded and how many gave no face.
    @discardableResult
    public func fillIdentityImages(in catalog: Catalog, quiet: Bool = false) throws -> (embedded: Int, noFace: Int) {
        let missing = try catalog.identityImagesMissingEmbedding(model: embedder.model)
        guard !missing.isEmpty else { return (0, 0) }
        let sources = try Dictionary(uniqueKeysWithValues: catalog.identityImages().compactMap { r in r.id.map { ($0, r.sourcePath) } })
        let files = missing.map { m -> URL in
            if let source = sources[m.id], FileManager.default.isReadableFile(atPath: source) { return URL(fileURLWithPath: source) }
            return m.file
        }
        let (vectors, _) = embedAll(files, label: "embedding identity images", quiet: quiet)
        let rows = zip(missing, vectors).compactMap { m, v in v.map { FaceEmbeddingRecord(ownerID: m.id, model: embedder.model, vector: $0) } }
        try catalog.setIdentityImageEmbeddings(rows)
        return (rows.count, missing.count - rows.count)
    }
}

/// Folders of test-set faces, one person per folder.
public enum FaceFolders {
    /// The layouts `exclude` understands.
    public enum Layout: String, Sendable {
        /// `DIR/Name/Name_0001.jpg` (LFW), and any `DIR/Name/*.jpg` (`--faces`).
        case perPerson
        /// `DIR/Name/N/*.jpg` (YouTube Faces frames): each video's frames are sampled.
        case perPersonVideos
    }

    /// The people under `root` with their images, by name. YTF video folders give at most
    /// `framesPerVideo` frames each, spread over the video (neighbouring frames add nothing).
    /// - Throws: `SeqError` when `root` is not a folder or holds no image in the layout.
    public static func people(in root: URL, layout: Layout, framesPerVideo: Int = 5) throws -> [(name: String, images: [URL])] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw SeqError("no such folder", file: root.path)
        }
        var out: [(name: String, images: [URL])] = []
        for person in subfolders(root) {
            var images: [URL]
            switch layout {
            case .perPerson:
                images = imageFiles(person)
            case .perPersonVideos:
                images = subfolders(person).flatMap { video -> [URL] in
                    let frames = imageFiles(video)
                    guard frames.count > framesPerVideo, framesPerVideo > 0 else { return frames }
                    return (0..<framesPerVideo).map { frames[$0 * frames.count / framesPerVideo] }
                }
            }
            if !images.isEmpty { out.append((person.lastPathComponent, images)) }
        }
        guard !out.isEmpty else {
            let shape = layout == .perPerson ? "DIR/Name/*.jpg" : "DIR/Name/N/*.jpg"
            throw SeqError("no face images in the layout \(shape)", file: root.path)
        }
        return out
    }

    private static func subfolders(_ dir: URL) -> [URL] {
        let items = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.isDirectoryKey])) ?? []
        return items.filter { url in
            !url.lastPathComponent.hasPrefix(".") && (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true
        }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private static func imageFiles(_ dir: URL) -> [URL] {
        let items = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        return items.filter { !$0.lastPathComponent.hasPrefix(".") && ImageIO.isImageFile($0) }.sorted { $0.path < $1.path }
    }
}
