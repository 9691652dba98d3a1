import Foundation
import SeqCatalog
import SeqCore

/// Writes the static HTML report of a catalog:
///
///     out/index.html              overview, histograms, videos, ingest runs, exclusions
///     out/videos/video-<id>.html  one page per video (…-p2.html, … when it has many sequences)
///     out/training.html           when run folders are given
///     out/evaluation.html         when evaluation folders are given
///
/// Crops are not copied: pages reference them relative to the report folder, so the report
/// opens from disk as long as it stays in the same place relative to the catalog folder.
/// The report is written into a temporary sibling folder and moved into place at the end,
/// so an interrupted run leaves the previous report intact.
public enum ReportWriter {
    /// Marks a folder as a seqcurate report, so that a later run may replace it.
    static let markerName = ".seqcurate-report"

    /// Writes the report; `progress` (if any) advances by one per video.
    @discardableResult
    public static func write(catalog: Catalog, options: ReportOptions, progress: ProgressReporter? = nil) throws -> ReportSummary {
        let out = options.outDirectory.standardizedFileURL
        // The folder is replaced as a whole (with --force even one that holds no report): the
        // same guard as export keeps the catalog, its crops and the files it uses out of reach.
        try catalog.checkOutputFolder(out)
        try checkOutput(out, force: options.force)
        // The folder is replaced as a whole: it must not hold anything the report reads.
        let inputs = [catalog.url] + options.runFolders + options.evaluationFolders + options.evaluationImageRoots
        if let inside = inputs.first(where: { isInside($0, out) }) {
            throw SeqError("the report folder holds \(inside.path), which the report reads; choose another --out", file: out.path)
        }
        let fm = FileManager.default
        let staging = out.deletingLastPathComponent().appendingPathComponent(".\(out.lastPathComponent).tmp-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging.appendingPathComponent("videos"), withIntermediateDirectories: true)
        } catch {
            throw SeqError("cannot create the report folder: \(IOFailure.reason(of: error))", file: staging.path)
        }
        do {
            let summary = try writePages(catalog: catalog, options: options, out: out, staging: staging, progress: progress)
            try fm.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Swapped in as a whole (OutputFolder): readers find the old report or the new one.
            OutputFolder.discardOld(try OutputFolder.install(staging, at: out))
            return summary
        } catch {
            try? fm.removeItem(at: staging)
            if let e = error as? SeqError { throw e }
            throw SeqError("cannot write the report: \(IOFailure.reason(of: error))", file: out.path)
        }
    }

    /// A missing or empty folder, or an earlier report, may be written; anything else only with `force`.
    static func checkOutput(_ out: URL, force: Bool) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: out.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw SeqError("the report folder is a file", file: out.path) }
        let content = (try? fm.contentsOfDirectory(atPath: out.path)) ?? []
        if content.isEmpty || content.contains(markerName) || force { return }
        throw SeqError("the report folder is not empty and holds no earlier report; choose another --out or use --force to replace its content",
                       file: out.path)
    }

    /// True when `path` is `folder` or lies inside it (symbolic links resolved).
    static func isInside(_ path: URL, _ folder: URL) -> Bool {
        let p = path.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let f = folder.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        return p.count >= f.count && Array(p.prefix(f.count)) == f
    }

    private static func writePages(catalog: Catalog, options: ReportOptions, out: URL, staging: URL,
                                   progress: ProgressReporter?) throws -> ReportSummary {
        let stats = try catalog.stats()
        let videos = try catalog.videos()
        let exclusions = try catalog.exclusions()
        var videoExclusions: [Int64: [String]] = [:]
        var faceExclusions: [Int64: [String]] = [:]
        for e in exclusions {
            switch e.target {
            case .video(let id): videoExclusions[id, default: []].append(e.reason)
            case .face(let id): faceExclusions[id, default: []].append(e.reason)
            default: break
            }
        }
        var pages: [URL] = [out.appendingPathComponent("index.html")]
        var rows: [VideoRow] = []
        var dist = ReportDistributions()
        var linker = CropLinker(catalogFolder: catalog.folder, pageFolder: out.appendingPathComponent("videos"))
        var faceCount = 0
        // The sequence browser sits in the report folder itself, so its crop references differ
        // from the video pages'; its missing crops are the video pages' too, counted once there.
        var browserLinker = CropLinker(catalogFolder: catalog.folder, pageFolder: out)
        var browserEntries: [SequenceBrowserPage.Entry] = []
        for video in videos {
            var row = VideoRow(video: video, excluded: videoExclusions[video.id!] ?? [])
            if video.status == .ok {
                let faces = try catalog.faces(videoID: video.id!)
                let listings = try catalog.sequenceListing(videoID: video.id!)
                let builder = VideoPages(video: video, shots: try catalog.shots(videoID: video.id!), tracks: try catalog.tracks(videoID: video.id!),
                                         sequences: try catalog.sequences(videoID: video.id!),
                                         facesByTrack: Dictionary(grouping: faces, by: \.trackID), videoExclusions: row.excluded,
                                         faceExclusions: faceExclusions, listings: listings, options: options, reportTitle: options.title)
                let position = Dictionary(builder.sequences.enumerated().map { ($0.element.id!, $0.offset) }, uniquingKeysWith: { a, _ in a })
                for q in listings {
                    let page = (position[q.id] ?? 0) / max(1, options.sequencesPerPage)
                    browserEntries.append(.init(listing: q, videoPage: "videos/\(VideoPages.fileName(videoID: video.id!, page: page))#seq-\(q.id)",
                                                crops: q.faces.map { f in f.cropPath.flatMap { browserLinker.reference(for: $0) } }))
                }
                for page in builder.render(linker: &linker) {
                    try write(page.html, to: staging.appendingPathComponent("videos").appendingPathComponent(page.name))
                    pages.append(out.appendingPathComponent("videos").appendingPathComponent(page.name))
                    row.pages.append(page.name)
                }
                row.shots = builder.shots.count
                row.tracks = builder.tracks.count
                row.sequences = builder.sequences.count
                for f in faces {
                    dist.add(f)
                    if f.kept { row.kept += 1 } else { row.dropped += 1 }
                }
                faceCount += faces.count
                for q in builder.sequences {
                    dist.facesPerSequence.append(Double(q.faceCount))
                    if let fps = video.fps, fps > 0 { dist.sequenceSeconds.append(Double(q.lastFrame - q.firstFrame + 1) / fps) }
                }
            }
            rows.append(row)
            progress?.advance(note: row.video.path)
        }
        let runs = options.runFolders.map { TrainingRunLog.load(from: $0) }
        let evaluations = options.evaluationFolders.map { EvaluationResult.load(from: $0, imageRoots: options.evaluationImageRoots) }
        var warnings = runs.compactMap { r in r.problem.map { "training run \(r.name): \($0)" } }
        warnings += runs.filter { $0.badLines > 0 }.map { "training run \($0.name): \($0.badLines) unreadable lines in metrics.jsonl" }
        warnings += evaluations.flatMap { e in e.problems.map { "evaluation \(e.name): \($0)" } }
        if !runs.isEmpty {
            try write(TrainingPage(title: options.title, runs: runs).render(), to: staging.appendingPathComponent("training.html"))
            pages.append(out.appendingPathComponent("training.html"))
        }
        if !evaluations.isEmpty {
            try write(EvaluationPage(title: options.title, evaluations: evaluations, pageFolder: out).render(),
                      to: staging.appendingPathComponent("evaluation.html"))
            pages.append(out.appendingPathComponent("evaluation.html"))
        }
        try write(SequenceBrowserPage(title: options.title, entries: browserEntries,
                                      videoNames: Dictionary(videos.filter { $0.status == .ok }.map { ($0.id!, URL(fileURLWithPath: $0.path).lastPathComponent) },
                                                             uniquingKeysWith: { a, _ in a })).render(),
                  to: staging.appendingPathComponent(SequenceBrowserPage.fileName))
        pages.append(out.appendingPathComponent(SequenceBrowserPage.fileName))
        for page in try identitiesPage(catalog: catalog, exclusions: exclusions, title: options.title).render(out: out) {
            try write(page.html, to: staging.appendingPathComponent(page.name))
            pages.append(out.appendingPathComponent(page.name))
        }
        var byDataset: [String: Int] = [:]
        for i in try catalog.identities() { byDataset[i.dataset, default: 0] += 1 }
        let index = IndexPage(title: options.title, catalogPath: catalog.url.path, stats: stats, videos: rows, distributions: dist,
                              ingestRuns: try catalog.ingestRuns(), exclusions: exclusions,
                              identitiesByDataset: byDataset.keys.sorted().map { ($0, byDataset[$0]!) }, exports: try catalog.exports(),
                              runs: runs, evaluations: evaluations, missingCrops: linker.missing)
        try write(index.render(), to: staging.appendingPathComponent("index.html"))
        let lists = index.videoListPages()
        if !lists.isEmpty { try FileManager.default.createDirectory(at: staging.appendingPathComponent("videos"), withIntermediateDirectories: true) }
        for list in lists {
            try write(list.html, to: staging.appendingPathComponent("videos/\(list.name)"))
            pages.append(out.appendingPathComponent("videos/\(list.name)"))
        }
        try write("seqcurate report of \(catalog.url.path)\n", to: staging.appendingPathComponent(markerName))
        if linker.missing > 0 { warnings.append("\(linker.missing) kept faces have no crop file") }
        let videoPages = pages.filter { $0.deletingLastPathComponent().lastPathComponent == "videos" && $0.lastPathComponent.hasPrefix("video-") }
        return ReportSummary(index: pages[0], pages: pages, videoPages: videoPages.count,
                             faces: faceCount, missingCrops: linker.missing, warnings: warnings)
    }

    /// The identity datasets page: every identity with its usable images, failed and excluded counts.
    private static func identitiesPage(catalog: Catalog, exclusions: [ExclusionRecord], title: String) throws -> IdentitiesPage {
        var identityExclusions: [Int64: [String]] = [:]
        var excludedImages = Set<Int64>()
        for e in exclusions {
            switch e.target {
            case .identity(let id): identityExclusions[id, default: []].append(e.reason)
            case .identityImage(let id): excludedImages.insert(id)
            default: break
            }
        }
        let images = Dictionary(grouping: try catalog.identityImages(), by: \.identityID)
        let people = try catalog.identities().map { i -> IdentitiesPage.Person in
            let all = images[i.id!] ?? []
            return .init(identity: i, okImages: all.filter { $0.status == .ok }, failed: all.filter { $0.status == .failed }.count,
                         exclusions: identityExclusions[i.id!] ?? [], excludedImageIDs: Set(all.compactMap(\.id).filter(excludedImages.contains)))
        }
        return IdentitiesPage(title: title, people: people, failures: try catalog.failedIdentityImages(), catalog: catalog)
    }

    /// Writes a page into the staging folder (this process's own); a full disk says so.
    private static func write(_ text: String, to url: URL) throws {
        try OutputFile.create(Data(text.utf8), at: url)
    }
}
