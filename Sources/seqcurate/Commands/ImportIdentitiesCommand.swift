import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore
import SeqIngest
import SeqNN

struct ImportIdentitiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-identities",
        abstract: "Import an identity dataset (ROOT/<identity>/<image>, or an insightface train.rec) into the catalog.",
        discussion: """
        Without --aligned every image is searched with MTCNN; the largest face nearest the \
        image centre is aligned like video faces and its crop written under \
        crops/identities/. An image with no face, one that cannot be read, or one over \
        --max-pixels is recorded with that reason. Images are committed --commit-every at a \
        time: a crash loses at most that batch, and a re-run resumes (images already in the \
        catalog are skipped). Identity images get labels 0..F-1 on export.

        An image already imported under another --name stays there and is counted ("already \
        in the catalog under dataset X"). Folders whose names start with "." are skipped and \
        named. An image whose path holds a line break is refused (no training list can hold \
        it) and recorded as failed (line_break_in_name); tabs and spaces are fine. Images in \
        subfolders of an identity folder (ROOT/<identity>/<sub>/<image>) are imported with \
        --recursive, under the top folder's identity; without it they are counted and skipped. Ctrl-C ends \
        the run as interrupted; a re-run resumes.

        Every run rewrites import-failures.tsv next to the catalog: every identity image the \
        catalog holds as failed (all datasets, all runs), one "path<TAB>reason<TAB>dataset" \
        line each. --strict exits 1 when this run recorded a failure, after the import \
        finished and committed what it could.

        ROOT may also be an insightface RecordIO pack, train.rec with its train.idx and \
        property file (MS1M-ArcFace, MS1MV2/V3, Glint360K, faces_webface_112x112): every \
        image record becomes an image of the identity named by its integer label, imported \
        as aligned (geometry similarity, 112 or the property file's size; no detection) with \
        its JPEG written as is under crops/identities/. Each record's source path is \
        train.rec#<key>, so a re-run resumes; a truncated or corrupt record stops the import \
        with an error naming the file and the record. The dataset name defaults to the \
        pack's folder name. See docs/datasets.md.

        Examples:
          seqcurate import-identities CASIA-WebFace/ --name casia
          seqcurate import-identities faces_emore/train.rec --name ms1mv2
          seqcurate import-identities aligned_faces/ --aligned --catalog work/seqcurate.db
        """)

    @Argument(help: "The dataset root: one folder per identity, or an insightface train.rec.") var root: String
    @Option(help: "Dataset name recorded with each identity (default: the root folder's name).") var name: String?
    @Flag(help: "Use the images as they are (already aligned face crops).") var aligned = false
    @Flag(help: "Also import images in subfolders of the identity folders (ROOT/<identity>/<sub>/<image>).") var recursive = false
    @Option(help: "The catalog file (created if missing).") var catalog = Catalog.defaultPath
    @OptionGroup var detector: DetectorOptions
    @OptionGroup var limits: ImageLimitOptions
    @Option(help: "Crop geometry: seqface or similarity.") var align: AlignMethod = .seqface
    @Option(parsing: .unconditional, help: "Crop side in pixels (default 144 for seqface, 112 for similarity). With --aligned: the side of the images as they are, declaring them --align crops of that size for export.") var size: Int?
    @Option(parsing: .unconditional, help: "Images per transaction (a crash loses at most this many).") var commitEvery = IdentityImportOptions().batchSize
    @Option(name: .customLong("batch"), parsing: .unconditional, help: .init("Old name of --commit-every.", visibility: .hidden)) var oldBatch: Int?
    @Flag(help: "Exit non-zero when any image failed (after the import finished and committed what it could).") var strict = false
    @Option(help: "Face embedding weights (default: dlib_face_resnet.safetensors where the MTCNN weights are found).") var embeddingWeights: String?
    @Flag(help: "Do not embed the identity images (sequences then never match an identity at export).") var noEmbeddings = false
    @Flag(help: "No progress output.") var quiet = false

    /// Images per transaction, given as --commit-every or by its old name --batch.
    var batchSize: Int { oldBatch ?? commitEvery }

    func validate() throws {
        try Renamed.check(old: oldBatch, new: commitEvery, default: IdentityImportOptions().batchSize, "--batch", "--commit-every")
        if batchSize < 1 { throw ValidationError("--commit-every must be at least 1, got \(batchSize)") }
        if let size, size < 8 || size > 4096 { throw ValidationError("--size must lie between 8 and 4096, got \(size)") }
    }

    func run() throws {
        var options = IdentityImportOptions()
        options.dataset = name
        options.aligned = aligned
        options.align = align
        options.cropSize = size
        options.maxPixels = limits.maxPixels
        options.batchSize = batchSize
        options.recursive = recursive
        let rootURL = URL(fileURLWithPath: root)
        let isRecordIO = IdentityImporter.isRecordIO(root)
        if isRecordIO {
            // insightface packs hold aligned 112x112 crops (similarity transform): no detection.
            guard FileManager.default.fileExists(atPath: rootURL.path) else { throw SeqError("no such file", file: rootURL.path) }
            let property = try IdentityImporter.recordIOProperty(for: rootURL)
            options.aligned = true
            options.align = .similarity
            options.cropSize = property?.width ?? 112
        } else {
            _ = try IdentityImporter.scan(rootURL, recursive: recursive)  // a missing or empty ROOT fails before the catalog is touched
        }
        let aligned = options.aligned
        RunInterruption.install()
        let db = try Catalog.open(at: URL(fileURLWithPath: catalog))
        let mtcnn = aligned ? nil : try detector.makeDetector(parallelPyramid: false)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let params = String(decoding: try encoder.encode(options), as: UTF8.self)
        let runID = try db.beginIngestRun(IngestRunRecord(
            command: "import-identities", detector: aligned ? "none" : "mtcnn",
            weightsSHA256: aligned ? nil : try? SHA256.hex(fileAt: WeightsLocator.mtcnn(detector.weights)),
            parametersJSON: params, seqcurateVersion: Seqcurate.version))
        RunInterruption.track(catalog: db.url, runID: runID)
        BLASRuntime.yieldThreads()
        let importer = IdentityImporter(catalog: db, detector: mtcnn, cropper: aligned ? nil : FaceCropping.make(align, size: size),
                                        options: options, runID: runID)
        let summary: IdentityImportSummary
        do {
            summary = isRecordIO ? try importer.runRecordIO(rec: rootURL, quiet: quiet) : try importer.run(root: rootURL, quiet: quiet)
        } catch {
            try? db.finishIngestRun(id: runID, status: .failed)
            _ = try? IdentityImporter.writeFailureList(catalog: db)
            throw error
        }
        try db.finishIngestRun(id: runID, status: .finished)
        if !noEmbeddings, let embedder = try EmbedderLoading.loadIfFound(embeddingWeights, quiet: quiet) {
            // Identity images are embedded now, so that export and exclude can tell which
            // sequences show an imported person.
            let embedding = ImageFaceEmbedding(detector: try mtcnn ?? detector.makeDetector(parallelPyramid: false), embedder: embedder)
            let filled = try embedding.fillIdentityImages(in: db, quiet: quiet)
            if filled.noFace > 0 { printError("seqcurate: \(filled.noFace) identity images show no face to embed; they cannot be matched by face") }
        }
        let failureList = try IdentityImporter.writeFailureList(catalog: db)
        Self.printNotes(summary, root: rootURL)
        let dataset = options.dataset ?? (isRecordIO ? IdentityImporter.recordIODatasetName(rootURL) : rootURL.standardizedFileURL.lastPathComponent)
        print(Self.summaryLine(summary, dataset: dataset))
        let failedNow = summary.failed.values.reduce(0, +)
        if failedNow > 0 {
            printError("seqcurate: \(failedNow) image\(failedNow == 1 ? "" : "s") failed in this run; every failed image of the catalog (\(failureList.count)) is listed in \(PrintableName.escaped(failureList.url.path))")
            if strict { throw ExitCode(1) }
        }
    }

    /// What was skipped or refused, on standard error, one plain line each.
    static func printNotes(_ summary: IdentityImportSummary, root: URL) {
        let rootPath = PrintableName.escaped(root.path)
        for empty in summary.emptyIdentities {
            printError("seqcurate: \(PrintableName.escaped(root.appendingPathComponent(empty).path)): empty identity folder (no jpg/png/bmp images), skipped")
        }
        if !summary.hiddenFolders.isEmpty {
            let n = summary.hiddenFolders.count
            let names = summary.hiddenFolders.prefix(10).map(PrintableName.escaped).joined(separator: ", ")
                + (n > 10 ? ", and \(n - 10) more" : "")
            printError("seqcurate: \(rootPath): skipped \(n) hidden folder\(n == 1 ? "" : "s") (name starts with '.'): \(names)")
        }
        if summary.skippedInSubfolders > 0 {
            let n = summary.skippedInSubfolders
            printError("seqcurate: \(rootPath): skipped \(n) image\(n == 1 ? "" : "s") in subfolders of the identity folders (give --recursive to import them)")
        }
        for note in summary.notes { printError("seqcurate: \(rootPath): \(note)") }
        for name in summary.refusedNames.prefix(20) {
            printError("seqcurate: \(name): refused: the file name holds a line break, which no training list can hold; recorded as failed (\(IdentityImporter.lineBreakReason))")
        }
        if summary.refusedNames.count > 20 {
            printError("seqcurate: \(summary.refusedNames.count - 20) more images refused for a line break in their name")
        }
    }

    /// The one-line result: true counts of what this run added and what it found already there.
    static func summaryLine(_ summary: IdentityImportSummary, dataset: String) -> String {
        var line = "imported \(summary.imported) new images of \(summary.identities) identities into dataset \(dataset)"
        if summary.alreadyThere > 0 { line += ", \(summary.alreadyThere) already in the catalog" }
        for (other, count) in summary.inOtherDatasets.sorted(by: { $0.key < $1.key }) {
            line += ", \(count) already in the catalog under dataset \(other) (left there)"
        }
        let failed = summary.failed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        if !failed.isEmpty { line += "; failed: \(failed)" }
        return line
    }
}
