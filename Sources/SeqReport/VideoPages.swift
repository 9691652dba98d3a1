import Foundation
import SeqCatalog

/// The pages of one video: a timeline of shots and tracks, then per sequence a contact sheet
/// of its kept faces with the track's dropped faces greyed and labelled by reason. A video
/// with more than `sequencesPerPage` sequences is split over several pages; tracks that gave
/// no sequence are listed on the last one.
struct VideoPages {
    let video: VideoRecord
    let shots: [ShotRecord]
    let tracks: [TrackRecord]
    let sequences: [SequenceRecord]
    /// Faces by track id, in frame order.
    let facesByTrack: [Int64: [FaceRecord]]
    /// Exclusion reasons of the video itself and of single faces.
    let videoExclusions: [String]
    let faceExclusions: [Int64: [String]]
    /// The video's sequences as `Catalog.sequenceListing` gives them (status, identity, exclusions).
    let listings: [SequenceListing]
    let options: ReportOptions
    let reportTitle: String

    static func fileName(videoID: Int64, page: Int) -> String {
        page == 0 ? "video-\(videoID).html" : "video-\(videoID)-p\(page + 1).html"
    }

    var pageCount: Int { max(1, (sequences.count + options.sequencesPerPage - 1) / options.sequencesPerPage) }

    var displayName: String { URL(fileURLWithPath: video.path).lastPathComponent }

    /// The page (file name) that shows sequence `id`.
    private func page(ofSequenceAt index: Int) -> Int { index / options.sequencesPerPage }

    /// (file name, HTML) of every page, in order.
    func render(linker: inout CropLinker) -> [(name: String, html: String)] {
        let seqIndex = Dictionary(sequences.enumerated().map { ($0.element.trackID, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let trackByID = Dictionary(tracks.map { ($0.id!, $0) }, uniquingKeysWith: { a, _ in a })
        let timeline = timelineSVG(sequencePage: { trackID in seqIndex[trackID].map { page(ofSequenceAt: $0) } })
        var pages: [(name: String, html: String)] = []
        for p in 0..<pageCount {
            let chunk = sequences.enumerated().filter { page(ofSequenceAt: $0.offset) == p }.map(\.element)
            var body = header(page: p)
            body += "<section id=\"timeline\"><h2>Timeline</h2>\(timeline)</section>\n"
            if p == 0 {
                body += identitySection { q in
                    let target = seqIndex[q.trackID].map { Self.fileName(videoID: video.id!, page: page(ofSequenceAt: $0)) } ?? ""
                    return target + "#seq-\(q.id)"
                }
            }
            body += reasonFilters(for: chunk)
            body += "<section id=\"sequences\"><h2>Sequences\(pageCount > 1 ? " (page \(p + 1) of \(pageCount))" : "")</h2>\n"
            if chunk.isEmpty { body += "<p class=\"muted\">No sequence in this video.</p>" }
            for q in chunk { body += sequenceSection(q, track: trackByID[q.trackID], linker: &linker) }
            body += "</section>\n"
            if p == pageCount - 1 { body += tracksWithoutSequence() }
            body += pager(current: p)
            let title = "\(displayName) – \(reportTitle)" + (pageCount > 1 ? " (page \(p + 1))" : "")
            pages.append((Self.fileName(videoID: video.id!, page: p),
                          PageTemplate.document(title: title, nav: [("../index.html", "Overview"), ("../index.html#videos", "All videos")], body: body)))
        }
        return pages
    }

    private func header(page: Int) -> String {
        var facts: [(String, String)] = [("Path", "<code>\(HTML.escape(video.path))</code>")]
        facts.append(("Video id", String(video.id!)))
        if let d = video.duration { facts.append(("Duration", String(format: "%.2f s", d))) }
        if let fps = video.fps { facts.append(("Frame rate", String(format: "%.3g fps", fps))) }
        if let w = video.width, let h = video.height { facts.append(("Size", "\(w) × \(h)")) }
        if let n = video.frameCount { facts.append(("Frames", HTML.count(n))) }
        facts.append(("Shots / tracks / sequences", "\(shots.count) / \(tracks.count) / \(sequences.count)"))
        let faces = facesByTrack.values.reduce(0) { $0 + $1.count }
        let kept = facesByTrack.values.reduce(0) { $0 + $1.filter(\.kept).count }
        facts.append(("Faces", "\(HTML.count(faces)) (\(HTML.count(kept)) kept, \(HTML.count(faces - kept)) dropped)"))
        facts.append(("Content SHA-256", "<code>\(HTML.escape(video.contentHash))</code>"))
        if !videoExclusions.isEmpty {
            facts.append(("Excluded", videoExclusions.map { "<span class=\"badge excluded\">\(HTML.escape($0))</span>" }.joined(separator: " ")))
        }
        return "<section id=\"video\"><h2>\(HTML.escape(displayName))</h2>\(PageTemplate.facts(facts))\(pager(current: page))</section>\n"
    }

    private func pager(current: Int) -> String {
        guard pageCount > 1 else { return "" }
        let links = (0..<pageCount).map { p in
            p == current ? "<strong>\(p + 1)</strong>" : "<a href=\"\(Self.fileName(videoID: video.id!, page: p))\">\(p + 1)</a>"
        }
        return "<p class=\"pager\">Pages: \(links.joined(separator: " "))</p>"
    }

    private func timelineSVG(sequencePage: (Int64) -> Int?) -> String {
        let lastFrame = max(video.frameCount.map { $0 - 1 } ?? 0, shots.map(\.lastFrame).max() ?? 0, tracks.map(\.lastFrame).max() ?? 0, 1)
        let fps = video.fps.flatMap { $0 > 0 ? $0 : nil }
        func seconds(_ f: Int) -> String { fps.map { String(format: " (%.2f s)", Double(f) / $0) } ?? "" }
        let shotSpans = shots.map { s in
            Timeline.Span(start: Double(s.firstFrame), end: Double(s.lastFrame + 1),
                          label: "shot \(s.index): frames \(s.firstFrame)–\(s.lastFrame)\(seconds(s.firstFrame))",
                          text: "shot \(s.index)", color: s.index % 2 == 0 ? "#78909c" : "#b0bec5")
        }
        let sequenceByTrack = Dictionary(sequences.map { ($0.trackID, $0) }, uniquingKeysWith: { a, _ in a })
        let trackSpans = tracks.map { t -> Timeline.Span in
            var label = "track \(t.index): frames \(t.firstFrame)–\(t.lastFrame)\(seconds(t.firstFrame)), \(t.faceCount) faces"
            var link: String? = nil
            if let q = sequenceByTrack[t.id!], let p = sequencePage(t.id!) {
                label += ", sequence \(q.id!) (\(q.faceCount) kept)"
                link = Self.fileName(videoID: video.id!, page: p) + "#seq-\(q.id!)"
            } else {
                label += ", no sequence"
            }
            label += ", ended: " + (t.endReason?.summary ?? "not recorded")
            return Timeline.Span(start: Double(t.firstFrame), end: Double(t.lastFrame + 1), label: label, text: "t\(t.index)",
                                 color: link == nil ? "#bdbdbd" : "#2e7d32", link: link,
                                 endMark: t.endReason.map { (Self.endColor($0), "track \(t.index) ended: \($0.summary)") })
        }
        var lanes = [Timeline.Lane(label: "shots", spans: shotSpans)]
        for (i, row) in Timeline.pack(trackSpans).enumerated() {
            lanes.append(Timeline.Lane(label: i == 0 ? "tracks" : "", spans: row))
        }
        let chart = Timeline(title: "Shots and tracks (green: gave a sequence; click to jump)", xLabel: "frame",
                             domain: 0...Double(lastFrame + 1), lanes: lanes)
        return chart.svg() + endLegend()
    }

    /// The colour of the mark at the end of a track, by why it ended.
    static func endColor(_ reason: TrackEnd) -> String {
        switch reason {
        case .cut: return "#1565c0"
        case .lost: return "#ef6c00"
        case .split: return "#8e24aa"
        case .identity: return "#d81b60"
        case .end: return "#212121"
        }
    }

    /// The legend of the end marks, with how many tracks ended each way.
    private func endLegend() -> String {
        var counts: [TrackEnd: Int] = [:]
        for t in tracks { if let r = t.endReason { counts[r, default: 0] += 1 } }
        let unknown = tracks.filter { $0.endReason == nil }.count
        var items = TrackEnd.allCases.map { r in
            "<span class=\"legend-item\" data-end=\"\(r.rawValue)\"><span class=\"swatch\" style=\"background:\(Self.endColor(r))\"></span>"
                + "\(HTML.escape(r.summary)) (\(counts[r] ?? 0))</span>"
        }
        if unknown > 0 { items.append("<span class=\"legend-item\">not recorded (\(unknown); ingested before the catalog kept it)</span>") }
        return "<p class=\"legend\" id=\"track-ends\">Track ended (mark at its last frame): \(items.joined(separator: " "))</p>"
    }

    private func reasonFilters(for chunk: [SequenceRecord]) -> String {
        var counts: [String: Int] = [:]
        for q in chunk { for f in facesByTrack[q.trackID] ?? [] { counts[f.reason.rawValue, default: 0] += 1 } }
        guard !counts.isEmpty else { return "" }
        let boxes = counts.keys.sorted { ($0 == "kept" ? "" : $0) < ($1 == "kept" ? "" : $1) }.map { r in
            "<label><input type=\"checkbox\" checked data-reason=\"\(HTML.escape(r))\"> \(HTML.escape(r)) (\(counts[r]!))</label>"
        }
        return "<p class=\"filters\">Show faces: \(boxes.joined())</p>\n"
    }

    private func sequenceSection(_ q: SequenceRecord, track: TrackRecord?, linker: inout CropLinker) -> String {
        let faces = facesByTrack[q.trackID] ?? []
        let kept = faces.filter(\.kept)
        let dropped = faces.filter { !$0.kept }
        var heading = "Sequence \(q.id!)"
        if let track { heading += " · track \(track.index)" }
        heading += " · frames \(q.firstFrame)–\(q.lastFrame)"
        if let fps = video.fps, fps > 0 { heading += String(format: " (%.2f s)", Double(q.lastFrame - q.firstFrame + 1) / fps) }
        heading += " · \(kept.count) kept, \(dropped.count) dropped"
        var out = "<section class=\"sequence\" id=\"seq-\(q.id!)\"><h3>\(HTML.escape(heading))"
        if let status = listings.first(where: { $0.id == q.id })?.status {
            let kind: String
            switch status { case .sequence: kind = "sequence"; case .identity: kind = "identity"; case .excluded: kind = "excluded" }
            out += " <span class=\"badge status-\(kind)\">\(HTML.escape(status.text))</span>"
        }
        out += "</h3>"
        // Ingest keeps thumbnails for a bounded sample of each track's dropped faces
        // (docs/ingest.md): the tiles are chosen among those, so that none is blank.
        let pictured = dropped.filter { $0.cropPath != nil }
        let shownDropped = Self.spread(pictured, limit: options.droppedTilesPerSequence)
        if !dropped.isEmpty {
            var byReason: [String: Int] = [:]
            for f in dropped { byReason[f.reason.rawValue, default: 0] += 1 }
            let parts = byReason.keys.sorted().map { "\(HTML.escape($0)) \(byReason[$0]!)" }
            out += "<p class=\"muted\">Dropped: \(parts.joined(separator: ", "))"
            if shownDropped.count < dropped.count {
                out += " (showing \(shownDropped.count) of \(dropped.count)"
                    + (pictured.count > shownDropped.count ? ", spread over the track" : ": those ingest kept a thumbnail of") + ")"
            }
            out += "</p>"
        }
        let shown = (kept + shownDropped).sorted { ($0.frameIndex, $0.id ?? 0) < ($1.frameIndex, $1.id ?? 0) }
        out += "<div class=\"sheet\">"
        for f in shown { out += tile(f, linker: &linker) }
        out += "</div></section>\n"
        return out
    }

    /// At most `limit` items, evenly spaced.
    static func spread<T>(_ items: [T], limit: Int) -> [T] {
        guard items.count > limit else { return items }
        guard limit > 0 else { return [] }
        return (0..<limit).map { items[$0 * items.count / limit] }
    }

    private func tile(_ f: FaceRecord, linker: inout CropLinker) -> String {
        var details = "frame \(f.frameIndex), \(String(format: "%.2f", f.time)) s, score \(String(format: "%.3f", f.score)), "
        details += "eye distance \(String(format: "%.1f", f.eyeDistance)) px"
        if let s = f.sharpness { details += ", sharpness \(String(format: "%.1f", s))" }
        if let y = f.yaw { details += ", yaw \(String(format: "%.1f", y))" }
        if let r = f.roll { details += ", roll \(String(format: "%.1f", r))" }
        if f.interpolated { details += ", interpolated" }
        details += ", \(f.reason.rawValue)"
        let excluded = f.id.flatMap { faceExclusions[$0] } ?? []
        if !excluded.isEmpty { details += ", excluded: " + excluded.joined(separator: "; ") }
        var cls = f.kept ? "tile" : "tile dropped"
        if !excluded.isEmpty { cls += " excluded" }
        var out = "<div class=\"\(cls)\" data-reason=\"\(HTML.escape(f.reason.rawValue))\" title=\"\(HTML.escape(details))\">"
        if let stored = f.cropPath, let href = linker.href(for: stored) {
            out += "<a href=\"\(href)\"><img src=\"\(href)\" loading=\"lazy\" width=\"72\" height=\"72\" alt=\"frame \(f.frameIndex)\"></a>"
        } else {
            out += "<div class=\"ph\">\(f.cropPath == nil ? "f\(f.frameIndex)" : "missing")</div>"
        }
        out += "<div>f\(f.frameIndex) · \(String(format: "%.2f", f.score))</div>"
        if !f.kept { out += "<div class=\"why\">\(HTML.escape(f.reason.rawValue))</div>" }
        out += "</div>"
        return out
    }

    private func tracksWithoutSequence() -> String {
        let withSequence = Set(sequences.map(\.trackID))
        let rest = tracks.filter { !withSequence.contains($0.id!) }
        guard !rest.isEmpty else { return "" }
        let rows = rest.map { t -> [String] in
            var byReason: [String: Int] = [:]
            for f in facesByTrack[t.id!] ?? [] { byReason[f.reason.rawValue, default: 0] += 1 }
            let reasons = byReason.keys.sorted().map { "\(HTML.escape($0)) \(byReason[$0]!)" }.joined(separator: ", ")
            return [String(t.index), "\(t.firstFrame)–\(t.lastFrame)", String(t.faceCount),
                    String(format: "%.0f × %.0f", t.meanBoxWidth, t.meanBoxHeight), String(format: "%.3f", t.meanScore), reasons]
        }
        return "<section id=\"other-tracks\"><h2>Tracks without a sequence (\(rest.count))</h2>"
            + PageTemplate.table(header: ["track", "frames", "faces", "mean box", "mean score", "faces by reason"], rows: rows)
            + "</section>\n"
    }
}
