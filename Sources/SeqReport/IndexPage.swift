import Foundation
import SeqCore
import SeqCatalog

/// One row of the index's video table.
struct VideoRow {
    var video: VideoRecord
    var shots = 0
    var tracks = 0
    var sequences = 0
    var kept = 0
    var dropped = 0
    var excluded: [String] = []
    /// Page file names under `videos/`; empty for a failed video.
    var pages: [String] = []
}

/// Values collected over every video for the index histograms. Only numbers are kept, so
/// the index does not grow with the faces: it holds counts, charts and one row per video.
struct ReportDistributions {
    var facesPerSequence: [Double] = []
    var sequenceSeconds: [Double] = []
    var keptEyeDistance: [Double] = [], droppedEyeDistance: [Double] = []
    var keptSharpness: [Double] = [], droppedSharpness: [Double] = []
    var keptScore: [Double] = [], droppedScore: [Double] = []
    var keptYaw: [Double] = [], droppedYaw: [Double] = []
    var keptRoll: [Double] = [], droppedRoll: [Double] = []

    mutating func add(_ f: FaceRecord) {
        if f.kept {
            keptEyeDistance.append(Double(f.eyeDistance)); keptScore.append(Double(f.score))
            if let s = f.sharpness { keptSharpness.append(Double(s)) }
            if let y = f.yaw { keptYaw.append(Double(y)) }
            if let r = f.roll { keptRoll.append(Double(r)) }
        } else {
            droppedEyeDistance.append(Double(f.eyeDistance)); droppedScore.append(Double(f.score))
            if let s = f.sharpness { droppedSharpness.append(Double(s)) }
            if let y = f.yaw { droppedYaw.append(Double(y)) }
            if let r = f.roll { droppedRoll.append(Double(r)) }
        }
    }
}

/// The report's `index.html`: overview, histograms, the video table, ingest runs, exclusions,
/// identities, exports, and links to the training and evaluation pages.
struct IndexPage {
    var title: String
    var catalogPath: String
    var stats: CatalogStats
    var videos: [VideoRow]
    var distributions: ReportDistributions
    var ingestRuns: [IngestRunRecord]
    var exclusions: [ExclusionRecord]
    var identitiesByDataset: [(dataset: String, count: Int)]
    var exports: [ExportRecord]
    var runs: [TrainingRunLog]
    var evaluations: [EvaluationResult]
    var missingCrops: Int

    static let keptColor = "#2e7d32"
    static let droppedColor = "#9e9e9e"

    func render() -> String {
        var nav: [(href: String, label: String)] = [("#overview", "Overview"), ("#histograms", "Histograms"), ("#videos", "Videos"),
                                                    ("sequences.html", "Sequence browser"), ("identities.html", "Identity datasets"),
                                                    ("#runs", "Ingest runs"), ("#exclusions", "Exclusions")]
        if !runs.isEmpty { nav.append(("training.html", "Training")) }
        if !evaluations.isEmpty { nav.append(("evaluation.html", "Evaluation")) }
        var body = overview()
        body += histograms()
        body += videoTable()
        body += ingestRunTable()
        body += exclusionSection()
        body += identitySection()
        body += exportSection()
        body += linksSection()
        return PageTemplate.document(title: title, nav: nav, body: body)
    }

    private func overview() -> String {
        let s = stats
        var rows: [(String, String)] = [
            ("Catalog", "<code>\(HTML.escape(catalogPath))</code> (schema v\(s.schemaVersion))"),
            ("Generated", HTML.escape(CatalogTime.now())),
            ("Videos", "\(HTML.count(s.videos)) (\(HTML.count(s.videos - s.videosFailed)) ok, \(HTML.count(s.videosFailed)) failed)"),
            ("Shots", HTML.count(s.shots)),
            ("Tracks", HTML.count(s.tracks)),
            ("Sequences", HTML.count(s.sequences)),
            ("Faces", "\(HTML.count(s.faces)) (\(HTML.count(s.facesKept)) kept, \(HTML.count(s.faces - s.facesKept)) dropped)"),
            ("Faces per sequence", "\(HTML.escape(s.facesPerSequence.summary)) (min/mean/max)"),
            ("Sequences per video", "\(HTML.escape(s.sequencesPerVideo.summary)) (min/mean/max)"),
            ("Identities", "\(HTML.count(s.identities)) (\(HTML.count(s.identityImages)) images)"),
            ("Exclusions", s.exclusions.isEmpty ? "none" : s.exclusions.map { "\(HTML.count($0.count)) \(HTML.escape($0.kind))" }.joined(separator: ", ")),
            ("Training labels", "F = \(HTML.count(s.faceidNum)) identities, S = \(HTML.count(s.seqidNum)) sequences"),
            ("Ingest runs / exports", "\(s.ingestRuns) / \(s.exports)"),
        ]
        if missingCrops > 0 {
            rows.append(("Missing crops", "<span class=\"warn\">\(HTML.count(missingCrops)) kept faces have no crop file (shown as placeholders)</span>"))
        }
        var out = "<section id=\"overview\"><h2>Overview</h2>\(PageTemplate.facts(rows))"
        if s.faces > 0 {
            var reasonRows = [["kept", "<td class=\"num\">\(HTML.count(s.facesKept))</td>"]]
            reasonRows += s.facesDropped.map { [HTML.escape($0.reason.rawValue), "<td class=\"num\">\(HTML.count($0.count))</td>"] }
            out += "<h3>Faces by selection reason</h3><table><thead><tr><th>reason</th><th class=\"num\">faces</th></tr></thead><tbody>"
            out += reasonRows.map { "<tr><td>\($0[0])</td>\($0[1])</tr>" }.joined() + "</tbody></table>"
        }
        if !s.failures.isEmpty {
            out += "<h3>Failed videos</h3>" + PageTemplate.table(header: ["path", "reason"],
                                                                    rows: s.failures.map { [HTML.escape($0.path), HTML.escape($0.reason)] })
        }
        return out + "</section>\n"
    }

    private func histograms() -> String {
        let d = distributions
        func kd(_ kept: [Double], _ dropped: [Double]) -> [Histogram.Series] {
            [Histogram.Series(name: "kept", values: kept, color: Self.keptColor),
             Histogram.Series(name: "dropped", values: dropped, color: Self.droppedColor)]
        }
        let charts = [
            Histogram(title: "Faces per sequence", xLabel: "kept faces", yLabel: "sequences",
                      series: [.init(name: "sequences", values: d.facesPerSequence, color: Self.keptColor)], integerBins: true),
            Histogram(title: "Sequence duration", xLabel: "seconds (first to last frame)", yLabel: "sequences",
                      series: [.init(name: "sequences", values: d.sequenceSeconds, color: Self.keptColor)]),
            Histogram(title: "Face size", xLabel: "eye distance (px)", yLabel: "faces", series: kd(d.keptEyeDistance, d.droppedEyeDistance)),
            Histogram(title: "Sharpness", xLabel: "variance of the Laplacian", yLabel: "faces", series: kd(d.keptSharpness, d.droppedSharpness)),
            Histogram(title: "Detection score", xLabel: "score", yLabel: "faces", series: kd(d.keptScore, d.droppedScore)),
            Histogram(title: "Pose: yaw", xLabel: "yaw (degrees)", yLabel: "faces", series: kd(d.keptYaw, d.droppedYaw)),
            Histogram(title: "Pose: roll", xLabel: "roll (degrees)", yLabel: "faces", series: kd(d.keptRoll, d.droppedRoll)),
        ]
        return "<section id=\"histograms\"><h2>Histograms</h2><div class=\"charts\">\(charts.map { $0.svg() }.joined(separator: "\n"))</div></section>\n"
    }

    /// Videos listed on the index itself; a catalog with more gets list pages under `videos/`,
    /// so the index stays small however many videos there are.
    static let indexVideoRows = 200
    /// Videos per list page.
    static let listPageRows = 500

    static let videoHeader = ["id", "video", "duration", "fps", "size", "status", "shots", "tracks", "sequences", "kept", "dropped"]

    /// The list pages (file name under `videos/`, HTML), empty when the index holds every video.
    func videoListPages() -> [(name: String, html: String)] {
        guard videos.count > Self.indexVideoRows else { return [] }
        let chunks = stride(from: 0, to: videos.count, by: Self.listPageRows).map { Array(videos[$0..<min($0 + Self.listPageRows, videos.count)]) }
        return chunks.enumerated().map { i, chunk in
            let name = "list-\(i + 1).html"
            let pager = (0..<chunks.count).map { $0 == i ? "<b>\($0 + 1)</b>" : "<a href=\"list-\($0 + 1).html\">\($0 + 1)</a>" }.joined(separator: " ")
            var body = "<section id=\"videos\"><h2>Videos \(i * Self.listPageRows + 1)–\(i * Self.listPageRows + chunk.count) of \(videos.count)</h2>"
            body += "<p>pages \(pager)</p>"
            body += "<p class=\"filters\"><input type=\"search\" placeholder=\"filter videos\" data-filter=\"#video-table tbody tr\"></p>"
            body += PageTemplate.table(header: Self.videoHeader, rows: chunk.map { videoRow($0, pagePrefix: "") }, id: "video-table")
            body += "</section>"
            return (name, PageTemplate.document(title: "\(title) – videos", nav: [("../index.html", "Overview")], body: body))
        }
    }

    private func videoTable() -> String {
        var out = "<section id=\"videos\"><h2>Videos (\(videos.count))</h2>"
        guard !videos.isEmpty else { return out + "<p class=\"muted\">No video in the catalog.</p></section>\n" }
        let shown = videos.prefix(Self.indexVideoRows)
        if shown.count < videos.count {
            let pages = (videos.count + Self.listPageRows - 1) / Self.listPageRows
            out += "<p>The first \(shown.count) of \(videos.count) videos; all of them on "
                + (1...pages).map { "<a href=\"videos/list-\($0).html\">list page \($0)</a>" }.joined(separator: ", ") + ".</p>"
        }
        out += "<p class=\"filters\"><input type=\"search\" placeholder=\"filter videos\" data-filter=\"#video-table tbody tr\"></p>"
        out += PageTemplate.table(header: Self.videoHeader, rows: shown.map { videoRow($0, pagePrefix: "videos/") }, id: "video-table")
        return out + "</section>\n"
    }

    /// One row of a video table; `pagePrefix` leads from the table's page to the video pages.
    private func videoRow(_ r: VideoRow, pagePrefix: String) -> [String] {
        let v = r.video
        let name = HTML.escape(URL(fileURLWithPath: v.path).lastPathComponent)
        var link = r.pages.isEmpty ? name : "<a href=\"\(pagePrefix)\(HTML.href(path: r.pages[0]))\">\(name)</a>"
        if r.pages.count > 1 {
            link += " <span class=\"muted\">pages " + r.pages.enumerated().map { "<a href=\"\(pagePrefix)\(HTML.href(path: $0.element))\">\($0.offset + 1)</a>" }
                .joined(separator: " ") + "</span>"
        }
        if !r.excluded.isEmpty { link += " <span class=\"badge excluded\" title=\"\(HTML.escape(r.excluded.joined(separator: "; ")))\">excluded</span>" }
        let status = v.status == .ok ? "ok" : "<span class=\"warn\">failed: \(HTML.escape(v.failureReason ?? ""))</span>"
        return [String(v.id!), link, v.duration.map { String(format: "%.1f s", $0) } ?? "–", v.fps.map { String(format: "%.3g", $0) } ?? "–",
                (v.width.map(String.init) ?? "?") + "×" + (v.height.map(String.init) ?? "?"), status,
                String(r.shots), String(r.tracks), String(r.sequences), HTML.count(r.kept), HTML.count(r.dropped)]
    }

    private func ingestRunTable() -> String {
        var out = "<section id=\"runs\"><h2>Ingest runs (\(ingestRuns.count))</h2>"
        guard !ingestRuns.isEmpty else { return out + "<p class=\"muted\">None recorded.</p></section>\n" }
        let rows = ingestRuns.map { r -> [String] in
            let params: String
            if let json = JSONValue.parseForReport(Data(r.parametersJSON.utf8)), !json.members.isEmpty {
                params = json.sortedMembers.map { "<code>\(HTML.escape($0.key))=\(HTML.escape($0.value.display))</code>" }.joined(separator: " ")
            } else {
                params = "<code>\(HTML.escape(r.parametersJSON))</code>"
            }
            return [String(r.id!), HTML.escape(r.command), HTML.escape(r.detector), HTML.escape(r.weightsSHA256.map { String($0.prefix(12)) } ?? "–"),
                    HTML.escape(r.seqcurateVersion), HTML.escape(r.startedAt), HTML.escape(r.endedAt ?? "–"),
                    // A read-only report cannot mark a dead run; it says so instead of "running".
                    r.isAbandoned ? "<span class=\"warn\">running, but its process is gone (interrupted)</span>" : HTML.escape(r.status.rawValue),
                    params]
        }
        out += PageTemplate.table(header: ["id", "command", "detector", "weights", "version", "started", "ended", "status", "parameters"], rows: rows)
        return out + "</section>\n"
    }

    /// Exclusions grouped by kind, protocol and source (a face-level exclusion may have
    /// thousands of rows; the index shows the groups and one example reason each).
    private func exclusionSection() -> String {
        var out = "<section id=\"exclusions\"><h2>Exclusions (\(HTML.count(exclusions.count)))</h2>"
        guard !exclusions.isEmpty else { return out + "<p class=\"muted\">None.</p></section>\n" }
        struct Key: Hashable { var kind: String; var proto: String; var source: String }
        var groups: [Key: (count: Int, example: String)] = [:]
        var order: [Key] = []
        for e in exclusions {
            let k = Key(kind: e.target.kind, proto: e.protocolName, source: e.source)
            if let g = groups[k] { groups[k] = (g.count + 1, g.example) } else { groups[k] = (1, e.reason); order.append(k) }
        }
        let shown = order.prefix(200)
        out += PageTemplate.table(header: ["kind", "protocol", "source", "rows", "example reason"], rows: shown.map { k in
            [HTML.escape(k.kind), HTML.escape(k.proto), HTML.escape(k.source), HTML.count(groups[k]!.count), HTML.escape(groups[k]!.example)]
        })
        if order.count > shown.count { out += "<p class=\"muted\">\(order.count - shown.count) more groups not shown.</p>" }
        return out + "</section>\n"
    }

    private func identitySection() -> String {
        guard !identitiesByDataset.isEmpty else { return "" }
        return "<section id=\"identities\"><h2>Identity datasets</h2>"
            + "<p><a href=\"identities.html\">Sample images per identity, and the images that failed to import with their reasons</a></p>"
            + PageTemplate.table(header: ["dataset", "identities"], rows: identitiesByDataset.map { [HTML.escape($0.dataset), HTML.count($0.count)] })
            + "</section>\n"
    }

    private func exportSection() -> String {
        guard !exports.isEmpty else { return "" }
        return "<section id=\"exports\"><h2>Exports (\(exports.count))</h2>"
            + PageTemplate.table(header: ["id", "created", "folder", "F", "S", "identity images", "sequence faces"], rows: exports.map { e in
                [String(e.id!), HTML.escape(e.createdAt), "<code>\(HTML.escape(e.outDir))</code>", HTML.count(e.faceidNum), HTML.count(e.seqidNum),
                 HTML.count(e.identityImages), HTML.count(e.sequenceFaces)]
            }) + "</section>\n"
    }

    private func linksSection() -> String {
        var out = ""
        if !runs.isEmpty {
            out += "<section id=\"training\"><h2>Training runs</h2><ul>"
            for (i, r) in runs.enumerated() {
                let iters = r.series.values.map { $0.count }.max() ?? 0
                out += "<li><a href=\"training.html#run-\(i + 1)\">\(HTML.escape(r.name))</a> – \(iters) logged points"
                if let p = r.problem { out += " <span class=\"warn\">\(HTML.escape(p))</span>" }
                out += "</li>"
            }
            out += "</ul></section>\n"
        }
        if !evaluations.isEmpty {
            out += "<section id=\"evaluations\"><h2>Evaluations</h2><ul>"
            for (i, e) in evaluations.enumerated() {
                out += "<li><a href=\"evaluation.html#eval-\(i + 1)\">\(HTML.escape(e.name))</a>"
                if let acc = e.values[EvaluationResults.CodingKeys.bestThresholdAccuracy.stringValue]?.number {
                    out += " – accuracy at the best threshold \(EvaluationPage.percent(acc))"
                }
                out += "</li>"
            }
            out += "</ul></section>\n"
        }
        return out
    }
}

