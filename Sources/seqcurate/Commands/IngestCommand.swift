import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqIngest
import SeqMedia
import SeqNN
import SeqTrack

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Turn videos into face tracks and Celeb-Seq sequences in the catalog.",
        discussion: """
        Each video is decoded, cut into shots, searched for faces with MTCNN, its faces linked
        into tracks, and each good track cut into a sequence of 5-10 good, distinct faces whose
        aligned crops are written beside the catalog (crops/). Full MTCNN runs on key frames
        (every --key-frame-interval frames, at shot cuts and when a face is lost); between them
        each face is re-found by MTCNN's R-Net and O-Net around its predicted box
        (docs/ingest.md). Decoding runs ahead on its own thread. The faces of every
        --measure-every-th frame (default 2) are cropped and measured for the sequence selector;
        the others keep their tracks' boxes only. --exhaustive runs full MTCNN on every frame
        instead, and measures every face. One transaction
        per video: a run that is killed leaves no trace of the video it was working on, and the next run does it
        again. Videos already in the catalog (same content) are skipped unless --force.
        Folders are searched for video files (mp4, avi, mkv, mov, webm, m4v, mpg, mpeg, flv, wmv).
        --list FILE reads one path or http(s):// URL a line (- for standard input; blank lines
        and # comments skipped). A re-run does not read files whose path, size and modification
        time the catalog remembers. --shard K/N keeps the inputs whose path hash falls in shard
        K of N (0 <= K < N), for N machines; `seqcurate merge` joins their catalogs.
        When the face embedding weights are found (dlib_face_resnet.safetensors, see docs/install.md),
        a sample of faces is embedded and stored: a face every --embed-every frames while it is new
        or near another face, every --embed-settled-every frames otherwise. A track whose
        person changes is split, people who cross keep their tracks, fragments of one person in a
        shot are joined, and kept faces differ by embedding (docs/ingest.md). --no-embeddings skips it.

        Examples:
          seqcurate ingest assets/carphone_pristine.mp4
          seqcurate ingest videos/ --catalog work/seqcurate.db --detect-every 2
          seqcurate ingest clip.mp4 --align similarity --size 112 --force
          seqcurate ingest clip.mp4 --catalog full.db --exhaustive
          seqcurate ingest --list videos.txt --catalog shard3.db --shard 3/8
          find /data -name '*.mp4' | seqcurate ingest --list -
          seqcurate ingest clip.mp4 --embed-every 5
          seqcurate ingest videos/ --catalog postgresql://me@db:5432/faces --crops /nfs/crops
          seqcurate ingest --from-queue --catalog postgresql://me@db:5432/faces --crops /nfs/crops
        """)

    @Argument(help: "Video files or folders (none with --from-queue).") var inputs: [String] = []
    @Option(help: "A file of inputs, one path or http(s):// URL a line (- for standard input).") var list: String?
    @Option(help: "Keep only shard K of N of the inputs (0 <= K < N), by a stable hash of each path.") var shard: String?
    @Option(help: "The catalog file (created if missing), or a postgresql://USER@HOST:PORT/DB URL (default: $SEQCURATE_CATALOG).") var catalog = Catalog.defaultPath
    @Option(help: "The crops folder, needed with a PostgreSQL catalog (shared by all workers, e.g. on NFS).") var crops: String?
    @OptionGroup var detector: DetectorOptions
    @Flag(help: "Run full MTCNN on every frame, not only on key frames (slow; the reference for coverage).") var exhaustive = false
    @Option(parsing: .unconditional, help: "At most this many frames from one key frame (full MTCNN) to the next.") var keyFrameInterval = IngestOptions.defaultKeyFrameInterval
    @Option(parsing: .unconditional, help: "Every Nth periodic key frame looks for faces of every size; the others refine the faces followed and look only for new faces of twice the smallest face size (1: all full).") var fullKeyFrameEvery = IngestOptions.defaultFullKeyFrameEvery
    @Option(parsing: .unconditional, help: "With key frames, crop and measure the faces of every Nth frame (1: every frame).") var measureEvery = IngestOptions.defaultMeasureEvery
    @Flag(help: "With key frames, decode every frame: do not let the decoder drop the frames no other frame is predicted from (their faces are otherwise interpolated).") var decodeEveryFrame = false
    @Option(parsing: .unconditional, help: "Detect on every Nth frame; boxes and landmarks are interpolated between (no key frames).") var detectEvery = 1
    @Option(parsing: .unconditional, help: "A track survives this many frames without a detection.") var maxGap = TrackerOptions().maxGap
    @Option(parsing: .unconditional, help: "Tracks spanning fewer frames are dropped.") var minTrack = TrackerOptions().minTrack
    @Option(parsing: .unconditional, help: "A track must give at least this many good faces to make a sequence.") var minSequenceFaces = SequenceSelectionOptions().minFaces
    @Option(name: .customLong("min-faces"), parsing: .unconditional, help: .init("Old name of --min-sequence-faces.", visibility: .hidden)) var oldMinFaces: Int?
    @Option(parsing: .unconditional, help: "A sequence holds at most this many faces.") var maxSequenceFaces = SequenceSelectionOptions().maxFaces
    @Option(name: .customLong("max-faces"), parsing: .unconditional, help: .init("Old name of --max-sequence-faces.", visibility: .hidden)) var oldMaxFaces: Int?
    @Option(help: "Quality floor: minimum detection score.") var minScore = SequenceSelectionOptions().minScore
    @Option(help: "Quality floor: minimum eye distance in pixels.") var minEyeDistance = SequenceSelectionOptions().minEyeDistance
    @Option(help: "Quality floor: minimum sharpness (variance of the Laplacian of the crop).") var minSharpness = SequenceSelectionOptions().minSharpness
    @Option(help: "Quality floor: maximum |yaw| in degrees.") var maxYaw = SequenceSelectionOptions().maxYaw
    @Option(help: "Quality floor: maximum |roll| in degrees.") var maxRoll = SequenceSelectionOptions().maxRoll
    @Option(help: "Near-duplicate threshold: mean absolute gray difference of 16x16 crops.") var duplicateThreshold = SequenceSelectionOptions().duplicateThreshold
    @Option(help: "Crop geometry: seqface (published SeqFace crop) or similarity (5-point template).") var align: AlignMethod = .seqface
    @Option(parsing: .unconditional, help: "Crop side in pixels (default 144 for seqface, 112 for similarity).") var size: Int?
    @Option(parsing: .unconditional, help: "Frames detected in parallel, one thread each (default: one per core).") var threads: Int?
    @Option(parsing: .unconditional, help: .init("A shot longer than this many seconds of video is ended there (commit granularity; default 300).", visibility: .hidden))
    var maxShotSeconds: Double = IngestOptions().maxShotSeconds
    @Option(parsing: .unconditional, help: "Embed a face every N frames while it is new or near another face (identity decisions).") var embedEvery = IngestOptions().embedEvery
    @Option(parsing: .unconditional, help: "Embed a face that is neither new nor near another every N frames only (equal to --embed-every: no difference).")
    var embedSettledEvery = IngestOptions.defaultEmbedSettledEvery
    @Option(help: "Face embedding weights (default: dlib_face_resnet.safetensors where the MTCNN weights are found).") var embeddingWeights: String?
    @Flag(help: "Do not embed faces: tracks and sequences by boxes alone.") var noEmbeddings = false
    @Flag(help: "Re-ingest videos already in the catalog.") var force = false
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "Work the catalog's queue (`seqcurate queue add`) instead of the inputs, until it is empty.") var fromQueue = false
    @Option(parsing: .unconditional, help: "With --from-queue: a video that failed this many times is marked failed.") var maxAttempts = 3
    @Option(parsing: .unconditional, help: "With --from-queue: seconds a claim lasts unless renewed (renewed every third of it).") var leaseSeconds = 60.0

    /// Sequence size bounds, given by their new names or the old --min-faces / --max-faces.
    var minFaces: Int { oldMinFaces ?? minSequenceFaces }
    var maxFaces: Int { oldMaxFaces ?? maxSequenceFaces }

    func validate() throws {
        let defaults = SequenceSelectionOptions()
        try Renamed.check(old: oldMinFaces, new: minSequenceFaces, default: defaults.minFaces, "--min-faces", "--min-sequence-faces")
        try Renamed.check(old: oldMaxFaces, new: maxSequenceFaces, default: defaults.maxFaces, "--max-faces", "--max-sequence-faces")
        try CatalogArguments.requireCrops(catalog: catalog, crops: crops)
        if fromQueue && (!inputs.isEmpty || list != nil) { throw ValidationError("--from-queue takes no inputs: the queue gives the videos") }
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1, got \(maxAttempts)") }
        if !(leaseSeconds >= 1) { throw ValidationError("--lease-seconds must be at least 1, got \(leaseSeconds)") }
        if detectEvery < 1 { throw ValidationError("--detect-every must be at least 1, got \(detectEvery)") }
        if exhaustive && detectEvery > 1 { throw ValidationError("--exhaustive detects every frame; it cannot be used with --detect-every \(detectEvery)") }
        if keyFrameInterval < 1 { throw ValidationError("--key-frame-interval must be at least 1, got \(keyFrameInterval)") }
        if fullKeyFrameEvery < 1 || fullKeyFrameEvery > 1000 { throw ValidationError("--full-key-frame-every must be 1...1000, got \(fullKeyFrameEvery)") }
        if measureEvery < 1 || measureEvery > 1000 { throw ValidationError("--measure-every must be 1...1000, got \(measureEvery)") }
        if embedEvery < 1 { throw ValidationError("--embed-every must be at least 1, got \(embedEvery)") }
        if embedSettledEvery < 1 { throw ValidationError("--embed-settled-every must be at least 1, got \(embedSettledEvery)") }
        if noEmbeddings && embeddingWeights != nil { throw ValidationError("--no-embeddings and --embedding-weights exclude each other") }
        if maxGap < 0 { throw ValidationError("--max-gap must be 0 or more, got \(maxGap)") }
        if minTrack < 1 { throw ValidationError("--min-track must be at least 1, got \(minTrack)") }
        if minFaces < 1 { throw ValidationError("--min-sequence-faces must be at least 1, got \(minFaces)") }
        if maxFaces < minFaces {
            throw ValidationError("--max-sequence-faces (\(maxFaces)) must be at least --min-sequence-faces (\(minFaces))")
        }
        if let size, size < 8 || size > 4096 { throw ValidationError("--size must lie between 8 and 4096, got \(size)") }
        if !fromQueue && inputs.isEmpty && list == nil { throw ValidationError("give video files or folders, or --list FILE") }
        if let shard, InputShard(shard) == nil {
            throw ValidationError("--shard must be K/N with 0 <= K < N, got '\(shard)'")
        }
        if !(maxShotSeconds > 0) { throw ValidationError("--max-shot-seconds must be above 0, got \(maxShotSeconds)") }
        if let threads, !(1...IngestOptions.maxWorkers).contains(threads) {
            throw ValidationError("--threads must be in 1…\(IngestOptions.maxWorkers), got \(threads)")
        }
    }

    func run() throws {
        HeapTuning.keepLargeBlocks()
        var options = IngestOptions()
        options.detectEvery = detectEvery
        options.exhaustive = exhaustive
        options.keyFrameInterval = keyFrameInterval
        options.measureEvery = measureEvery
        options.skipNonReferenceFrames = !decodeEveryFrame
        options.fullKeyFrameEvery = fullKeyFrameEvery
        // Key frames look for faces the sequence selector can keep (docs/ingest.md): unless
        // the user chose a size, the smallest face is raised from 20 to 24 pixels.
        options.minFaceSize = detector.minFaceGiven || !options.usesKeyFrames ? detector.minFace : IngestOptions.keyFrameMinFaceSize
        options.thresholds = try detector.parsedThresholds()
        options.maxSide = detector.maxSide
        options.tracker.maxGap = maxGap
        options.tracker.minTrack = minTrack
        options.selection.minFaces = minFaces
        options.selection.maxFaces = maxFaces
        options.selection.minScore = minScore
        options.selection.minEyeDistance = minEyeDistance
        options.selection.minSharpness = minSharpness
        options.selection.maxYaw = maxYaw
        options.selection.maxRoll = maxRoll
        options.selection.duplicateThreshold = duplicateThreshold
        options.align = align
        options.cropSize = size
        if let threads { options.workers = threads }
        options.force = force
        options.maxShotSeconds = maxShotSeconds
        options.embedEvery = embedEvery
        options.embedSettledEvery = embedSettledEvery

        // Before anything multiplies matrices (the embedding network's weights load in the
        // background from here on): a product on OpenBLAS's own threads leaves its worker
        // busy-waiting for about 0.1 s afterwards, against this program's threads (the queue
        // path included). Profiled on a 2-frame 720p ingest: over a quarter of its CPU time.
        if options.workers > 1 { BLASRuntime.yieldThreads() }
        var videos = try VideoInputs.expand(inputs)
        if let list { videos += try VideoInputList.read(list) }
        if let shard = shard.flatMap(InputShard.init) { videos = videos.filter(shard.contains) }
        RunInterruption.install()
        // The run record names the detector's weights by hash: hashed while the catalog opens.
        let weightsHash = BackgroundJob { [detector] in try? SHA256.hex(fileAt: WeightsLocator.mtcnn(detector.weights)) }
        let db = try Catalog.open(location: catalog, crops: crops)
        if !quiet {
            let notice = LockWaitNotice()
            db.observeLockWaits { notice($0) }
        }
        // Key frames are detected one at a time, so each uses every core; exhaustive and strided
        // detection run one frame per core instead.
        let mtcnn = try detector.makeDetector(parallelPyramid: options.usesKeyFrames, minFaceSize: options.minFaceSize)
        let cropper = FaceCropping.make(align, size: options.effectiveCropSize)
        let embedder = noEmbeddings ? nil : try EmbedderLoading.startLoadingIfFound(embeddingWeights, quiet: quiet)
        options.embeddingModel = embedder?.model
        let run = IngestRunRecord(detector: "mtcnn", weightsSHA256: weightsHash.wait(),
                                  parametersJSON: options.json(), seqcurateVersion: Seqcurate.version)
        let runID = try db.beginIngestRun(run)
        RunInterruption.track(catalog: db.url, runID: runID)
        do {
            if fromQueue {
                let ingestor = VideoIngestor(catalog: db, detector: mtcnn, cropper: cropper, options: options, runID: runID, embedder: embedder)
                try ingestor.store.recover(catalog: db)
                try ingestFromQueue(db: db, ingestor: ingestor)
                try db.finishIngestRun(id: runID, status: .finished)
            } else {
                try ingestAll(videos, db: db, runID: runID, options: options, mtcnn: mtcnn, cropper: cropper, embedder: embedder)
            }
        } catch let failures as InputFailures {
            throw failures  // some videos failed; the run is already marked failed
        } catch {
            // A handled failure (catalog error, disk full) ends the run as failed, not running.
            try? db.finishIngestRun(id: runID, status: .failed)
            throw error
        }
    }

    private func ingestAll(_ videos: [URL], db: Catalog, runID: Int64, options: IngestOptions, mtcnn: MTCNN,
                           cropper: @escaping FaceCropper, embedder: FaceIdentityEmbedder?) throws {
        let ingestor = VideoIngestor(catalog: db, detector: mtcnn, cropper: cropper, options: options, runID: runID, embedder: embedder)
        try ingestor.store.recover(catalog: db)

        var results: [VideoIngestResult] = []
        // Overall progress is measured in bytes: videos differ in length far more than in count.
        let sizes = videos.map { $0.isFileURL ? (try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int) ?? 0 : 0 }
        let totalBytes = max(sizes.reduce(0, +), 1)
        var doneBytes = 0
        let clock = Date()
        for (i, url) in videos.enumerated() {
            if !quiet && videos.count > 1 {
                var line = "[\(i + 1)/\(videos.count)] \(url.mediaName)"
                if doneBytes > 0 {
                    let elapsed = Date().timeIntervalSince(clock)
                    let eta = elapsed * Double(totalBytes - doneBytes) / Double(doneBytes)
                    line += String(format: "  (overall %.0f%%, %@ elapsed, ETA %@)", 100 * Double(doneBytes) / Double(totalBytes),
                                   ProgressReporter.formatDuration(elapsed), ProgressReporter.formatDuration(eta))
                }
                printError(line)
            }
            defer { doneBytes += sizes[i] }
            let r = try ingestor.ingest(url, quiet: quiet)
            switch r.outcome {
            case .ingested:
                if !quiet {
                    printError(String(format: "  %d frames, %d faces, %d shots, %d tracks, %d sequences (%d faces kept), %.2fx real time",
                                      r.frames, r.detections, r.shots, r.tracks, r.sequences, r.keptFaces, r.speed))
                }
            case .skipped:
                if !quiet { printError("  already in the catalog (same content); --force re-does it") }
            case .skippedConcurrent:
                // Said even with --quiet: the run did the work and dropped it, which the user may wonder about.
                printError("seqcurate: \(url.mediaName): skipped, another seqcurate process ingested the same video meanwhile")
            case .failed:
                if !quiet { printError("  failed (listed at the end)") }
            }
            results.append(r)
        }
        try ingestor.saveFileMemory()
        let failed = results.filter { if case .failed = $0.outcome { return true } else { return false } }
        try db.finishIngestRun(id: runID, status: failed.isEmpty ? .finished : .failed)
        let ingested = results.filter { $0.outcome == .ingested }
        let skipped = results.filter { $0.outcome == .skipped || $0.outcome == .skippedConcurrent }
        print("ingested \(ingested.count), skipped \(skipped.count), failed \(failed.count) of \(results.count) videos; "
              + "\(ingested.reduce(0) { $0 + $1.tracks }) tracks, \(ingested.reduce(0) { $0 + $1.sequences }) sequences, "
              + "\(ingested.reduce(0) { $0 + $1.keptFaces }) faces kept; read \(results.filter(\.readToHash).count) files to hash them; "
              + "catalog \(db.locationDescription)")
        var failures = InputFailures(of: "videos")
        for f in failed { if case .failed(let reason) = f.outcome { failures.record(message: "\(f.path): \(reason)") } }
        try failures.throwIfAny(of: results.count)
    }
}

extension AlignMethod: ExpressibleByArgument {}

enum VideoInputs {
    static let extensions: Set<String> = ["mp4", "avi", "mkv", "mov", "webm", "m4v", "mpg", "mpeg", "flv", "wmv", "ts", "3gp"]

    /// Files as given; folders searched recursively for video files, sorted.
    static func expand(_ inputs: [String]) throws -> [URL] {
        var out: [URL] = []
        let fm = FileManager.default
        for input in inputs {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: input, isDirectory: &isDir), isDir.boolValue {
                let root = URL(fileURLWithPath: input)
                var found: [URL] = []
                if let e = fm.enumerator(at: root, includingPropertiesForKeys: nil) {
                    for case let url as URL in e where extensions.contains(url.pathExtension.lowercased()) { found.append(url) }
                }
                if found.isEmpty { printError("seqcurate: \(input): no video files in this folder") }
                out += found.sorted { $0.path < $1.path }
            } else {
                // Missing files are reported by the ingest itself, with the others still done.
                out.append(URL(fileURLWithPath: input))
            }
        }
        return out
    }
}
