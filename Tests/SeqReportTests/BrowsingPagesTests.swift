import Foundation
import SeqCatalog
import SeqCore
import XCTest
@testable import SeqReport

/// The pages of issue #17's "A report worth browsing" and #11's "See it": track end reasons on
/// the timeline, the sequence browser, the identity datasets page, the evaluation figures, and
/// each video's identity and exclusion section.
final class BrowsingPagesTests: XCTestCase {
    private var fixtures: [SyntheticCatalog] = []
    private var folders: [URL] = []

    override func tearDown() {
        fixtures.forEach { $0.remove() }
        folders.forEach { try? FileManager.default.removeItem(at: $0) }
    }

    private func make(videos: Int = 2, tracks: Int = 5) throws -> SyntheticCatalog {
        let f = try SyntheticCatalog.make(videos: videos, tracksPerVideo: tracks, facesPerTrack: 20)
        fixtures.append(f)
        return f
    }

    private func tempFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqreport-browse-\(UUID().uuidString)")
        folders.append(url)
        return url
    }

    private func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    private func checkPages(_ summary: ReportSummary) throws {
        for page in summary.pages {
            let html = try read(page)
            XCTAssertEqual(HTMLInspector.balanceProblems(html), [], page.lastPathComponent)
            XCTAssertEqual(try HTMLInspector.missingFiles(page: page), [], page.lastPathComponent)
        }
    }

    func testTimelineMarksWhyEachTrackEndedWithALegend() throws {
        let fx = try make(videos: 1)
        let out = fx.folder.appendingPathComponent("report")
        try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        let page = try read(out.appendingPathComponent("videos/video-1.html"))
        // Five tracks, one per reason (SyntheticCatalog cycles through them).
        XCTAssertEqual(HTMLInspector.count("class=\"end-mark\"", in: page), 5)
        for reason in TrackEnd.allCases {
            let track = TrackEnd.allCases.firstIndex(of: reason)!
            XCTAssertTrue(page.contains("<title>track \(track) ended: \(reason.summary)</title>"), reason.rawValue)
            XCTAssertTrue(page.contains("data-end=\"\(reason.rawValue)\""), reason.rawValue)
            XCTAssertTrue(page.contains("\(reason.summary) (1)</span>"), reason.rawValue)
        }
        XCTAssertTrue(page.contains("ended: split by identity"))
    }

    func testSequenceBrowserCarriesEverySequenceWithCropsThatExist() throws {
        let fx = try make(videos: 2, tracks: 5)
        let videoID = try XCTUnwrap(fx.catalog.videos().first?.id)
        _ = try fx.catalog.addExclusions([ExclusionRecord(target: .video(videoID), reason: "name video_0 in lfw protocol", protocolName: "lfw", source: "pairs.txt")])
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        try checkPages(summary)
        let html = try read(out.appendingPathComponent("sequences.html"))
        let index = try read(out.appendingPathComponent("index.html"))
        XCTAssertTrue(index.contains("href=\"sequences.html\""), "linked from the index")
        let start = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"seq-data\">"))
        let end = try XCTUnwrap(html[start.upperBound...].range(of: "</script>"))
        let data = try JSONValue.parse(Data(html[start.upperBound..<end.lowerBound].replacingOccurrences(of: "<\\/", with: "</").utf8))
        let rows = try XCTUnwrap(data.array)
        let listings = try fx.catalog.sequenceListing()
        XCTAssertEqual(rows.count, listings.count)
        XCTAssertEqual(rows.count, 2 * 4, "tracks 0-2 and 4 of each video give sequences")
        XCTAssertEqual(rows.compactMap { $0["id"]?.int }, listings.map { Int($0.id) })
        XCTAssertEqual(rows.filter { $0["kind"]?.string == "excluded" }.count, 4, "the excluded video's sequences")
        XCTAssertEqual(rows.first?["status"]?.string, "excluded:name video_0 in lfw protocol")
        var crops = 0
        for row in rows {
            let base = try XCTUnwrap(row["b"]?.string)
            for face in try XCTUnwrap(row["faces"]?.array) {
                let rest = try XCTUnwrap(face.array?[2].string)
                let path = (base + rest).removingPercentEncoding!
                XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(path).standardizedFileURL.path), path)
                crops += 1
            }
            // The heading links to the sequence on its video page.
            let page = try XCTUnwrap(row["page"]?.string)
            XCTAssertTrue(page.hasPrefix("videos/video-") && page.contains("#seq-\(row["id"]!.int!)"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(String(page.split(separator: "#")[0])).path))
        }
        XCTAssertEqual(crops, listings.reduce(0) { $0 + $1.faces.count })
        XCTAssertEqual(rows.first?["dup"]?.int, listings.first?.dropped["duplicate"])
        // Filters and sorting the page offers.
        for control in ["data-f=\"status\"", "data-f=\"dup\"", "data-f=\"score\"", "data-f=\"sharp\"", "data-f=\"sort\"", "value=\"identity\"", "value=\"excluded\""] {
            XCTAssertTrue(html.contains(control), control)
        }
        XCTAssertFalse(html.contains("<img"), "images are drawn a page at a time by the script, not all in the HTML")
    }

    func testVideoPageListsExclusionsAndSaysWhenThereIsNoIdentityData() throws {
        let fx = try make(videos: 1, tracks: 3)
        let listings = try fx.catalog.sequenceListing()
        let target = try XCTUnwrap(listings.first)
        _ = try fx.catalog.addExclusions(target.faces.map {
            ExclusionRecord(target: .face($0.id), reason: "near-duplicate of <lfw>.jpg", protocolName: "images", source: "dir")
        })
        let out = fx.folder.appendingPathComponent("report")
        try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        let page = try read(out.appendingPathComponent("videos/video-1.html"))
        XCTAssertTrue(page.contains("id=\"no-identity-data\""), "no identity data yet, and the page says so")
        XCTAssertTrue(page.contains("id=\"exclusions-relabellings\""))
        XCTAssertTrue(page.contains("<a href=\"video-1.html#seq-\(target.id)\">\(target.id)</a>"))
        XCTAssertTrue(page.contains("near-duplicate of &lt;lfw&gt;.jpg"), "reason shown, escaped")
        XCTAssertTrue(page.contains("<span class=\"badge status-excluded\">excluded:near-duplicate of &lt;lfw&gt;.jpg</span>"),
                      "the sequence's heading carries its status")
    }

    func testIdentitiesPageShowsSamplesAndFailedImagesWithReasons() throws {
        let fx = try make(videos: 1, tracks: 1)
        let images = fx.folder.appendingPathComponent("faces")
        let alice = try fx.catalog.upsertIdentity(dataset: "casia", name: "Alice <A>")
        var records: [IdentityImageRecord] = []
        for i in 0..<9 {
            let file = images.appendingPathComponent("Alice/\(i).png")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try SyntheticCatalog.png.write(to: file)
            records.append(IdentityImageRecord(identityID: alice, sourcePath: file.path, cropPath: nil, aligned: true))
        }
        let noFace = images.appendingPathComponent("Alice/blank.png")
        try SyntheticCatalog.png.write(to: noFace)
        records.append(IdentityImageRecord(identityID: alice, sourcePath: noFace.path, cropPath: nil, aligned: false, status: .failed, reason: "no_face"))
        let broken = images.appendingPathComponent("Alice/broken.jpg")
        try Data("not an image".utf8).write(to: broken)
        records.append(IdentityImageRecord(identityID: alice, sourcePath: broken.path, cropPath: nil, aligned: false, status: .failed, reason: "unreadable"))
        try fx.catalog.insertIdentityImages(records)
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out))
        try checkPages(summary)
        let page = try read(out.appendingPathComponent("identities.html"))
        XCTAssertTrue(page.contains("Alice &lt;A&gt; · 9 images, 2 failed"))
        XCTAssertEqual(HTMLInspector.count("<div class=\"tile\"", in: page), 6, "six samples of nine")
        XCTAssertTrue(page.contains("Failed images (2)"))
        XCTAssertTrue(page.contains("<b>no_face</b>") && page.contains("<b>unreadable</b>"))
        XCTAssertTrue(page.contains("<img src=\"../faces/Alice/blank.png\"") || page.contains("src=\"../faces/Alice/blank.png\""),
                      "an image without a face is shown")
        XCTAssertFalse(page.contains("src=\"../faces/Alice/broken.jpg\""), "an unreadable one is only linked")
        XCTAssertTrue(page.contains("href=\"../faces/Alice/broken.jpg\""))
    }

    func testEvaluationPageFormatsFiguresAndMarksUnreliableTARs() throws {
        let fx = try make(videos: 1, tracks: 1)
        let eval = tempFolder().appendingPathComponent("lfw")
        try FileManager.default.createDirectory(at: eval, withIntermediateDirectories: true)
        try "0 0\n0.6 0.0033\n0.9 0.05\n1 1\n".write(to: eval.appendingPathComponent("roc.txt"), atomically: true, encoding: .utf8)
        let results = EvaluationResults(pairs: 600, bestThresholdAccuracy: 0.9912, bestThreshold: 0.4231, kfoldMean: 0.9905, kfoldStd: 0.0031,
                                        auc: 0.9987, eer: 0.0093, tarAtFAR: .init([("0.1", 0.99), ("0.01", 0.97), ("0.001", 0.8)]),
                                        benchmark: "lfw", layout: "lfw", pairsFile: "/d/pairs.txt", positives: 300, negatives: 300,
                                        skippedPairs: 0, similarity: "cosine", bestThresholdCorrect: 595, folds: nil,
                                        worstFalseAccepts: [], worstFalseRejects: [])
        try results.serialized().write(to: eval.appendingPathComponent(EvaluationResults.fileName), atomically: true, encoding: .utf8)
        let out = fx.folder.appendingPathComponent("report")
        let summary = try ReportWriter.write(catalog: fx.catalog, options: ReportOptions(outDirectory: out, evaluationFolders: [eval]))
        try checkPages(summary)
        let page = try read(out.appendingPathComponent("evaluation.html"))
        XCTAssertTrue(page.contains("<td>99.12 % (threshold 0.4231)</td>"))
        XCTAssertTrue(page.contains("<td>99.05 % ± 0.31 %</td>"))
        XCTAssertTrue(page.contains("<td>99.87 %</td>") && page.contains("<td>0.93 %</td>"))
        XCTAssertTrue(page.contains("<td>600 (300 same person, 300 different)</td>"))
        XCTAssertFalse(page.contains(">best_threshold_accuracy<"), "no raw JSON keys")
        // 300 negatives: FAR 0.1 needs 100 (reliable), 0.01 needs 1000 and 0.001 needs 10000 (unreliable).
        XCTAssertTrue(page.contains("<tr><td>0.1</td><td>99.00 %</td><td>100</td><td>yes</td></tr>"), page)
        XCTAssertTrue(page.contains("<b>unreliable</b>: 300 negative pairs, fewer than 10/FAR = 1000"))
        XCTAssertTrue(page.contains("<b>unreliable</b>: 300 negative pairs, fewer than 10/FAR = 10000"))
        // The log axis reaches 1/300 (its decade, 1e-3) and the FAR = 0 point is drawn there.
        XCTAssertTrue(page.contains("one false accept among the negative pairs (0.00333)"), page)
    }
}

/// What the pages show once identity matching records matches and person groups: the listing
/// hook (`Catalog.sequenceIdentities`) is empty until then, so these tests fill the listings in.
final class IdentityDataPagesTests: XCTestCase {
    func testSamePersonGroupsAndRelabellingsAreShownWhenIdentityDataExists() throws {
        let fx = try SyntheticCatalog.make(videos: 1, tracksPerVideo: 3, facesPerTrack: 20, failedVideo: false)
        defer { fx.remove() }
        var listings = try fx.catalog.sequenceListing()
        XCTAssertEqual(listings.count, 3)
        let match = SequenceListing.IdentityMatch(identityID: 7, dataset: "casia", name: "Ada <L>", distance: 0.412)
        listings[0].identity = .init(match: match, person: listings[0].id)
        listings[0].status = .identity(name: match.name)
        listings[1].identity = .init(match: nil, person: listings[0].id)
        let video = try XCTUnwrap(fx.catalog.videos().first)
        let pages = VideoPages(video: video, shots: try fx.catalog.shots(videoID: video.id!), tracks: try fx.catalog.tracks(videoID: video.id!),
                               sequences: try fx.catalog.sequences(videoID: video.id!),
                               facesByTrack: Dictionary(grouping: try fx.catalog.faces(videoID: video.id!), by: \.trackID),
                               videoExclusions: [], faceExclusions: [:], listings: listings,
                               options: ReportOptions(outDirectory: fx.folder.appendingPathComponent("r")), reportTitle: "t")
        var linker = CropLinker(catalogFolder: fx.folder, pageFolder: fx.folder.appendingPathComponent("r/videos"))
        let html = try XCTUnwrap(pages.render(linker: &linker).first?.html)
        XCTAssertEqual(HTMLInspector.balanceProblems(html), [])
        XCTAssertFalse(html.contains("no-identity-data"))
        let a = listings[0].id, b = listings[1].id
        XCTAssertTrue(html.contains("<tr><td>person \(a)</td><td><a href=\"video-1.html#seq-\(a)\">\(a)</a>, <a href=\"video-1.html#seq-\(b)\">\(b)</a></td><td>casia/Ada &lt;L&gt;</td></tr>"), html)
        XCTAssertTrue(html.contains("1 other sequences have no identity data."))
        XCTAssertTrue(html.contains("faces match the imported identity Ada &lt;L&gt; (casia), distance 0.412"))
        XCTAssertTrue(html.contains("<span class=\"badge status-identity\">identity:Ada &lt;L&gt;</span>"))

        let browser = SequenceBrowserPage(title: "t", entries: listings.map { .init(listing: $0, videoPage: "videos/video-1.html#seq-\($0.id)", crops: $0.faces.map { _ in nil }) },
                                          videoNames: [video.id!: "v.mp4"])
        let rows = try XCTUnwrap(browser.data().array)
        XCTAssertEqual(rows.map { $0["kind"]?.string }, ["identity", "sequence", "sequence"])
        XCTAssertEqual(rows.map { $0["person"]?.int }, [Int(a), Int(a), nil])
    }
}
