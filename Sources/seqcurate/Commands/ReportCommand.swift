import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore
import SeqReport

/// `seqcurate report`: a static HTML report of the catalog, training runs and evaluations.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a static HTML report of the catalog (and of training runs and evaluations).",
        discussion: """
        The report opens from disk in any browser (no server, no network). index.html holds \
        the overview, histograms, the video table, ingest runs and exclusions; videos/ holds \
        one page per video with its timeline and the contact sheet of every sequence. Crops \
        are linked where they lie beside the catalog, not copied: keep the report where it \
        is relative to the catalog folder (or move both together).

        --runs DIR reads DIR/metrics.jsonl (one JSON object per line: iter, lr, lsro, dsa, …) and \
        plots loss terms and learning rate. --evals DIR reads what `seqcurate eval --out DIR` \
        writes (roc.txt, results.json). Both may be repeated; missing files are reported on \
        the page, not fatal.

        An earlier report in --out is replaced; a non-empty folder that holds no report is \
        refused unless --force. The catalog's folder, any folder above it, its crops folder \
        and folders holding its videos or identity images are refused even with --force.

        Examples:
          seqcurate report --out report/
          seqcurate report --catalog data/seqcurate.db --out data/report
          seqcurate report --out report/ --runs runs/small --evals eval/lfw --evals eval/ytf
          seqcurate report --out report/ --evals eval/lfw --pairs-root datasets/lfw
        """)

    @Option(help: "The catalog file, or a postgresql:// URL.") var catalog = Catalog.defaultPath
    @Option(help: "The crops folder of a PostgreSQL catalog (a SQLite catalog keeps its crops beside it).") var crops: String?
    @Option(help: "The report folder (created; an earlier report there is replaced).") var out: String
    @Option(parsing: .singleValue, help: "A training run folder with metrics.jsonl (repeatable).") var runs: [String] = []
    @Option(parsing: .singleValue, help: "An evaluation folder with roc.txt and results.json (repeatable).") var evals: [String] = []
    @Option(parsing: .singleValue, help: "Folder the evaluation pair keys are relative to, to show worst pairs as images (repeatable).")
    var pairsRoot: [String] = []
    @Option(parsing: .unconditional, help: "Sequences per video page; videos with more are split over several pages.") var sequencesPerPage = 100
    @Option(parsing: .unconditional, help: "Dropped faces shown per sequence; the rest are counted.") var droppedPerSequence = 40
    @Flag(help: "Write into a non-empty folder that holds no earlier report, replacing its content.") var force = false
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if sequencesPerPage < 1 { throw ValidationError("--sequences-per-page must be at least 1") }
        if droppedPerSequence < 0 { throw ValidationError("--dropped-per-sequence must be 0 or more") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: catalog)
        guard CatalogLocation(catalog).isPostgres || FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("no catalog here; run `seqcurate ingest` first or give --catalog", file: url.path)
        }
        // The report only reads: a catalog on a read-only file system works too.
        let db = try Catalog.openForReading(location: catalog, crops: crops)
        defer { db.close() }
        let options = ReportOptions(outDirectory: URL(fileURLWithPath: out),
                                    runFolders: runs.map { URL(fileURLWithPath: $0) },
                                    evaluationFolders: evals.map { URL(fileURLWithPath: $0) },
                                    evaluationImageRoots: pairsRoot.map { URL(fileURLWithPath: $0) },
                                    sequencesPerPage: sequencesPerPage, droppedTilesPerSequence: droppedPerSequence, force: force)
        let progress = ProgressReporter("report", total: try db.videos().count, unit: "videos", quiet: quiet)
        let summary = try ReportWriter.write(catalog: db, options: options, progress: progress)
        progress.finish()
        for w in summary.warnings { printError("seqcurate: warning: \(w)") }
        print("report: \(summary.index.path)")
        print("  \(summary.pages.count) pages (\(summary.videoPages) video pages), \(summary.faces) faces")
    }
}
