import SeqCatalog
import XCTest
@testable import SeqReport

final class ReportWriterTests: XCTestCase {
    private var fixtures: [SyntheticCatalog] = []
    private var folders: [URL] = []

    override func tearDown() {
        fixtures.forEach { $0.remove() }
        folders.forEach { try? FileManager.default.removeItem(at: $0) }
    }

    private func make(_ build: () throws -> SyntheticCatalog) rethrows -> SyntheticCatalog {
        let f = try build()
        fixtures.append(f)
        return f
    }

    private func tempFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqreport-extra-\(UUID().uuidString)")
        folders.append(url)
        return url
    }

    private func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    func testEveryPageIsBalancedTitledAndReferencesOnlyExistingFiles() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 2, tracksPerVideo: 4, facesPerTrack: 20) }
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        XCTAssertEqual(summary.index, out.appendingPathComponent("index.html").standardizedFileURL)
        XCTAssertEqual(summary.videoPages, 2, "one page per ok video; the failed one has none")
        XCTAssertEqual(summary.missingCrops, 0)
        XCTAssertEqual(summary.faces, 2 * 4 * 20)
        for page in summary.pages {
            let html = try read(page)
            XCTAssertEqual(HTMLInspector.balanceProblems(html), [], page.lastPathComponent)
            XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
            let head = try XCTUnwrap(html.components(separatedBy: "</head>").first)
            XCTAssertEqual(HTMLInspector.count("<title>", in: head), 1, "one page title")
            XCTAssertFalse(head.contains("<title></title>"))
            XCTAssertTrue(html.contains("<main>") && html.contains("</main>"))
            XCTAssertEqual(try HTMLInspector.missingFiles(page: page), [], page.lastPathComponent)
            XCTAssertFalse(html.contains("http://") && html.contains("<script src"), "no external scripts")
            XCTAssertFalse(html.contains("<link rel=\"stylesheet\""), "style is inline")
        }
        let index = try read(summary.index)
        XCTAssertEqual(HTMLInspector.count("<svg", in: index), 7, "seven histograms")
        for heading in ["Faces per sequence", "Sequence duration", "Face size", "Sharpness", "Detection score", "Pose: yaw", "Pose: roll"] {
            XCTAssertTrue(index.contains("<title>\(heading)</title>"), heading)
        }
        XCTAssertTrue(index.contains("href=\"videos/video-1.html\""))
        XCTAssertTrue(index.contains("failed: not a video"))
        XCTAssertTrue(index.contains("mtcnn"))
        XCTAssertTrue(index.contains("<code>min_faces=5</code>"), "ingest parameters are listed")
        XCTAssertTrue(index.contains("&lt;b&gt;x&lt;/b&gt;"), "parameter values are escaped")
        XCTAssertFalse(index.contains("<b>x</b>"))
        XCTAssertFalse(index.contains("<img"), "no per-face content on the index")
        for reason in ["kept", "blurry", "duplicate", "too_few"] { XCTAssertTrue(index.contains("<td>\(reason)</td>"), reason) }
    }

    func testVideoPageShowsTimelineKeptCropsAndGreyedDroppedFaces() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 1, tracksPerVideo: 4, facesPerTrack: 20, failedVideo: false) }
        let out = fx.folder.appendingPathComponent("report")
        try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        let page = try read(out.appendingPathComponent("videos/video-1.html"))
        XCTAssertTrue(page.contains("<title>Shots and tracks"), "timeline")
        XCTAssertEqual(HTMLInspector.count("<section class=\"sequence\"", in: page), 3, "tracks 0-2 give sequences, track 3 does not")
        // Kept crops are linked relative to the page: report/videos -> ../../crops/...
        XCTAssertTrue(page.contains("<a href=\"../../crops/v1/t0/f0.png\"><img src=\"../../crops/v1/t0/f0.png\""))
        // Each sequence: its 8 kept crops and the 6 of its 12 dropped faces ingest kept a
        // thumbnail of (a dropped face without one is not shown as a blank tile).
        XCTAssertEqual(HTMLInspector.count("<img", in: page), 3 * (8 + 6))
        XCTAssertEqual(HTMLInspector.count("class=\"tile dropped\"", in: page), 3 * 6)
        XCTAssertTrue(page.contains("showing 6 of 12: those ingest kept a thumbnail of"))
        XCTAssertTrue(page.contains("<div class=\"why\">blurry</div>"))
        XCTAssertTrue(page.contains("Tracks without a sequence (1)"))
        XCTAssertTrue(page.contains("too_few 20"))
        XCTAssertTrue(page.contains("href=\"video-1.html#seq-1\""), "timeline links to the sequence")
        XCTAssertTrue(page.contains("data-reason=\"kept\""), "reason filter")
    }

    func testExclusionsAreShownOnTheIndexAndTheVideoPage() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 1, tracksPerVideo: 1, facesPerTrack: 8, failedVideo: false) }
        let face = try XCTUnwrap(try fx.catalog.faces(videoID: 1).first { $0.kept })
        _ = try fx.catalog.addExclusions([
            ExclusionRecord(target: .video(1), reason: "name <Aaron> in lfw protocol", protocolName: "lfw", source: "pairs.txt"),
            ExclusionRecord(target: .face(face.id!), reason: "near-duplicate of a.jpg", protocolName: "images", source: "/test/images"),
        ])
        let out = fx.folder.appendingPathComponent("report")
        try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        let index = try read(out.appendingPathComponent("index.html"))
        XCTAssertTrue(index.contains("Exclusions (2)"))
        XCTAssertTrue(index.contains("name &lt;Aaron&gt; in lfw protocol"))
        XCTAssertTrue(index.contains("class=\"badge excluded\""))
        let page = try read(out.appendingPathComponent("videos/video-1.html"))
        XCTAssertTrue(page.contains("<span class=\"badge excluded\">name &lt;Aaron&gt; in lfw protocol</span>"))
        XCTAssertEqual(HTMLInspector.count("class=\"tile excluded\"", in: page), 1)
        XCTAssertTrue(page.contains("excluded: near-duplicate of a.jpg"))
    }

    func testManySequencesAreSplitOverPagesAndTimelineLinksFindThem() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 1, tracksPerVideo: 12, facesPerTrack: 10, failedVideo: false) }
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out, sequencesPerPage: 4, droppedTilesPerSequence: 1))
        // 12 tracks, every fourth without a sequence: 9 sequences, 4 per page.
        XCTAssertEqual(summary.videoPages, 3)
        let names = summary.pages.map(\.lastPathComponent)
        XCTAssertEqual(Array(names.dropFirst()), ["video-1.html", "video-1-p2.html", "video-1-p3.html", "sequences.html", "identities.html"])
        let first = try read(out.appendingPathComponent("videos/video-1.html"))
        XCTAssertTrue(first.contains("href=\"video-1-p3.html#seq-9\""))
        XCTAssertTrue(first.contains("showing 1 of"))
        // Dropped tiles are chosen among the faces ingest kept a thumbnail of: none is blank.
        XCTAssertEqual(HTMLInspector.count("<div class=\"ph\">f", in: first), 0)
        let last = try read(out.appendingPathComponent("videos/video-1-p3.html"))
        XCTAssertEqual(HTMLInspector.count("<section class=\"sequence\"", in: last), 1)
        XCTAssertTrue(last.contains("Tracks without a sequence (3)"))
        let index = try read(out.appendingPathComponent("index.html"))
        XCTAssertTrue(index.contains("href=\"videos/video-1-p2.html\""))
        for page in summary.pages { XCTAssertEqual(try HTMLInspector.missingFiles(page: page), []) }
    }

    func testHostileNamesAreEscapedAndMissingCropsArePlaceholders() throws {
        let fx = try make {
            try SyntheticCatalog.make(videos: 1, tracksPerVideo: 1, facesPerTrack: 8, names: ["<script>alert(1)</script> & \"q\".mp4"], failedVideo: false)
        }
        try FileManager.default.removeItem(at: fx.folder.appendingPathComponent("crops/v1/t0/f0.png"))
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        XCTAssertEqual(summary.missingCrops, 1)
        for page in summary.pages {
            let html = try read(page)
            XCTAssertFalse(html.contains("<script>alert"), page.lastPathComponent)
            XCTAssertEqual(HTMLInspector.balanceProblems(html), [])
            XCTAssertEqual(try HTMLInspector.missingFiles(page: page), [])
        }
        let video = try read(out.appendingPathComponent("videos/video-1.html"))
        XCTAssertTrue(video.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;.mp4"))
        XCTAssertTrue(video.contains("<div class=\"ph\">missing</div>"))
        XCTAssertTrue(try read(summary.index).contains("1 kept faces have no crop file"))
    }

    /// `compared_rocs` of results.json (eval --compare-roc): drawn dashed beside the evaluation's
    /// curve, once however many evaluations compared it, and named in the evaluation's section.
    func testComparedCurvesOnTheEvaluationPage() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 1, tracksPerVideo: 1, facesPerTrack: 8, failedVideo: false) }
        var folders: [URL] = []
        for name in ["lfw-a", "lfw-b"] {
            let eval = tempFolder().appendingPathComponent(name)
            try FileManager.default.createDirectory(at: eval, withIntermediateDirectories: true)
            try "1.000000 1.000000\n0.900000 0.010000\n0.000000 0.000000\n".write(to: eval.appendingPathComponent("roc.txt"), atomically: true, encoding: .utf8)
            try """
                {"pairs": 6000, "best_threshold_accuracy": 0.99, "benchmark": "lfw",
                 "compared_rocs": [{"label": "roc<27>", "file": "/d/LFW/roc_27.txt", "sha256": "ab",
                                    "tpr": [1.0, 0.999, 0.5, 0.0], "fpr": [1.0, 0.01, 0.0, 0.0]},
                                   {"label": "broken", "file": "/x", "sha256": "cd", "tpr": [1.0], "fpr": []}]}
                """.write(to: eval.appendingPathComponent("results.json"), atomically: true, encoding: .utf8)
            folders.append(eval)
        }
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out, evaluationFolders: folders))
        let evaluation = try read(out.appendingPathComponent("evaluation.html"))
        // Two ROC charts, each with one dashed compared curve (the diagonal is dashed too).
        XCTAssertEqual(evaluation.components(separatedBy: "stroke-dasharray=\"5 3\"").count - 1, 2, evaluation)
        XCTAssertTrue(evaluation.contains("roc&lt;27&gt; (lfw, compared)"))
        XCTAssertTrue(evaluation.contains("Compared with: <b>roc&lt;27&gt;</b> (<code>/d/LFW/roc_27.txt</code>, 4 points)"))
        XCTAssertTrue(evaluation.contains("compared curve &#39;broken&#39; has no matching tpr and fpr lists")
                      || evaluation.contains("compared curve 'broken' has no matching tpr and fpr lists"), evaluation)
        for page in summary.pages { XCTAssertEqual(HTMLInspector.balanceProblems(try read(page)), [], page.lastPathComponent) }
    }

    func testTrainingRunsAndEvaluationsAreOptionalAndRobust() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 1, tracksPerVideo: 1, facesPerTrack: 8, failedVideo: false) }
        let run = tempFolder().appendingPathComponent("run-small")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        var metrics = ""
        for i in stride(from: 10, through: 3000, by: 10) {
            metrics += #"{"iter":\#(i),"lr":\#(i < 1500 ? 0.01 : 0.001),"loss_lsro":\#(5.0 / Double(i).squareRoot()),"loss_dsa":\#(1.0 / Double(i)),"images_per_s":55.5}"# + "\n"
        }
        metrics += "{\"iter\": 3010, \"loss_lsro\": 0.1\n" // cut short by a crash
        try metrics.write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
        try #"{"network":"resnet<20>","batch":32,"heads":["lsro","dsa"]}"#.write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let emptyRun = tempFolder()
        try FileManager.default.createDirectory(at: emptyRun, withIntermediateDirectories: true)

        let eval = tempFolder().appendingPathComponent("lfw")
        try FileManager.default.createDirectory(at: eval.appendingPathComponent("Aaron"), withIntermediateDirectories: true)
        try SyntheticCatalog.png.write(to: eval.appendingPathComponent("Aaron/Aaron_0001.png"))
        try "0.000000 0.000000\n0.500000 0.001000\n0.900000 0.010000\n1.000000 1.000000\n".write(to: eval.appendingPathComponent("roc.txt"),
                                                                                               atomically: true, encoding: .utf8)
        let results = """
            {"pairs": 6000, "best_threshold_accuracy": 0.9812, "best_threshold": 0.41, "kfold_mean": 0.98, "kfold_std": 0.004,
             "auc": 0.997, "eer": 0.02, "tar_at_far": {"0.001": 0.9, "0.01": 0.95}, "benchmark": "lfw",
             "worst_false_accepts": [{"similarity": 0.7, "first": "Aaron/Aaron_0001.png", "second": "Nobody/none.png", "same": false}],
             "worst_false_rejects": [{"similarity": 0.1, "first": "<x>.png", "second": "Aaron/Aaron_0001.png", "same": true}]}
            """
        try results.write(to: eval.appendingPathComponent("results.json"), atomically: true, encoding: .utf8)
        let brokenEval = tempFolder()
        try FileManager.default.createDirectory(at: brokenEval, withIntermediateDirectories: true)
        try "not json".write(to: brokenEval.appendingPathComponent("results.json"), atomically: true, encoding: .utf8)

        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(
            outDirectory: out, runFolders: [run, emptyRun], evaluationFolders: [eval, brokenEval, tempFolder()]))
        XCTAssertTrue(summary.warnings.contains { $0.contains("no metrics.jsonl") })
        XCTAssertTrue(summary.warnings.contains { $0.contains("1 unreadable lines") })
        XCTAssertTrue(summary.warnings.contains { $0.contains("no roc.txt") })

        let training = try read(out.appendingPathComponent("training.html"))
        XCTAssertTrue(training.contains("<title>Loss terms</title>"))
        XCTAssertTrue(training.contains("<title>Learning rate</title>"))
        XCTAssertTrue(training.contains("<title>images_per_s</title>"))
        XCTAssertTrue(training.contains("<title>loss_lsro</title>") && training.contains("<title>loss_dsa</title>"), "one line per term")
        XCTAssertTrue(training.contains("resnet&lt;20&gt;"), "settings are shown, escaped")
        XCTAssertTrue(training.contains("1 unreadable lines skipped"))

        let evaluation = try read(out.appendingPathComponent("evaluation.html"))
        XCTAssertTrue(evaluation.contains("<title>ROC</title>"))
        XCTAssertTrue(evaluation.contains("<td>98.12 % (threshold 0.4100)</td>"), "percentages, not raw keys")
        XCTAssertTrue(evaluation.contains("<td>0.001</td><td>90.00 %</td>"), "TAR at FAR 0.001")
        XCTAssertEqual(HTMLInspector.count("<img", in: evaluation), 2, "only the pair images that exist")
        XCTAssertTrue(evaluation.contains("&lt;x&gt;.png"))
        XCTAssertTrue(evaluation.contains("no results JSON"))
        let index = try read(out.appendingPathComponent("index.html"))
        XCTAssertTrue(index.contains("href=\"training.html#run-1\""))
        XCTAssertTrue(index.contains("href=\"evaluation.html#eval-1\""))
        for page in summary.pages {
            let html = try read(page)
            XCTAssertEqual(HTMLInspector.balanceProblems(html), [], page.lastPathComponent)
            XCTAssertEqual(try HTMLInspector.missingFiles(page: page), [], page.lastPathComponent)
        }
    }

    func testAReportReplacesAnEarlierOneButNotOtherFolders() throws {
        let fx = try make { try SyntheticCatalog.make(videos: 1, tracksPerVideo: 1, facesPerTrack: 8, failedVideo: false) }
        let out = fx.folder.appendingPathComponent("report")
        try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out, sequencesPerPage: 1))
        try "stale".write(to: out.appendingPathComponent("videos/video-99.html"), atomically: true, encoding: .utf8)
        try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("videos/video-99.html").path), "the old report is replaced")
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))

        let other = fx.folder.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try "mine".write(to: other.appendingPathComponent("todo.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: other))) { error in
            XCTAssertTrue("\(error)".contains("--force"))
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: other.appendingPathComponent("todo.txt").path))
        // Not even --force replaces the folder that holds the catalog (and its crops).
        XCTAssertThrowsError(try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: fx.folder, force: true))) { error in
            XCTAssertTrue("\(error)".contains("holds the catalog"), "\(error)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: fx.catalog.url.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fx.folder.path).filter { $0.contains(".tmp-") }, [],
                       "no staging folder is left behind")
    }

    func testEmptyCatalogGivesAValidReport() throws {
        let folder = tempFolder()
        let catalog = try Catalog.open(at: folder.appendingPathComponent("seqcurate.db"))
        defer { catalog.close() }
        let summary = try ReportWriter.write(catalog: catalog, options: ReportOptions(outDirectory: folder.appendingPathComponent("r")))
        let index = try read(summary.index)
        XCTAssertEqual(HTMLInspector.balanceProblems(index), [])
        XCTAssertTrue(index.contains("No video in the catalog."))
        XCTAssertEqual(HTMLInspector.count("no data", in: index), 7)
    }
}
