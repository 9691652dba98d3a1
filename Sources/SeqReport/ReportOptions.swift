import Foundation

/// What `ReportWriter` writes and from where.
public struct ReportOptions: Sendable {
    /// The report folder. The report owns it: a folder holding an earlier report is
    /// replaced; any other non-empty folder is refused unless `force`.
    public var outDirectory: URL
    /// Training run folders, each with a `metrics.jsonl`.
    public var runFolders: [URL]
    /// Evaluation folders, each with `roc.txt` and a results JSON (`seqcurate eval --out`).
    public var evaluationFolders: [URL]
    /// Folders the evaluation pair keys are relative to, for the worst-pair images.
    public var evaluationImageRoots: [URL]
    /// Sequences on one video page; a video with more is split over several pages.
    public var sequencesPerPage: Int
    /// Dropped faces shown per sequence (spread over the track); the rest are counted.
    public var droppedTilesPerSequence: Int
    /// Write into a non-empty folder that holds no earlier report (its content is replaced).
    public var force: Bool
    public var title: String

    public init(outDirectory: URL, runFolders: [URL] = [], evaluationFolders: [URL] = [], evaluationImageRoots: [URL] = [],
                sequencesPerPage: Int = 100, droppedTilesPerSequence: Int = 40, force: Bool = false, title: String = "seqcurate report") {
        self.outDirectory = outDirectory; self.runFolders = runFolders; self.evaluationFolders = evaluationFolders
        self.evaluationImageRoots = evaluationImageRoots; self.sequencesPerPage = max(1, sequencesPerPage)
        self.droppedTilesPerSequence = max(0, droppedTilesPerSequence); self.force = force; self.title = title
    }
}

/// What a report run wrote.
public struct ReportSummary: Sendable {
    /// The report's `index.html`.
    public var index: URL
    /// Every page written, index first, as final paths.
    public var pages: [URL]
    public var videoPages: Int
    public var faces: Int
    /// Kept faces whose crop file is missing (shown as placeholders).
    public var missingCrops: Int
    /// Problems with runs and evaluations that were reported on the pages.
    public var warnings: [String]
}
