import Foundation
import SeqMedia

/// `evaluation.html`: ROC curves of every evaluation (linear and log false-positive axis),
/// each evaluation's figures, and its worst false accepts and rejects as image pairs when
/// the pair keys resolve to image files.
struct EvaluationPage {
    var title: String
    var evaluations: [EvaluationResult]
    /// The folder the page is written to, for relative image references.
    var pageFolder: URL

    func render() -> String {
        var curves = evaluations.enumerated().compactMap { i, e -> LineChart.Series? in
            guard !e.roc.isEmpty else { return nil }
            let name = e.benchmark.map { "\(e.name) (\($0))" } ?? e.name
            return .init(name: name, points: e.roc.map { LineChart.Point(x: $0.fpr, y: $0.tpr) })
        }
        // Published curves the evaluations were compared with (eval --compare-roc), dashed;
        // one curve compared by several evaluations is drawn once.
        var drawn = Set<String>()
        for e in evaluations {
            for c in e.compared where drawn.insert(c.sha256.isEmpty ? "\(c.label)\u{0}\(c.file)" : "\(c.label)\u{0}\(c.sha256)").inserted {
                let name = e.benchmark.map { "\(c.label) (\($0), compared)" } ?? "\(c.label) (compared)"
                curves.append(.init(name: name, points: c.roc.map { LineChart.Point(x: $0.fpr, y: $0.tpr) }, dashed: true))
            }
        }
        var body = "<section id=\"roc\"><h2>ROC</h2><div class=\"charts\">"
        // ROC curves are steps; keep enough points that thinning does not round the corners.
        body += LineChart(title: "ROC", xLabel: "false positive rate", yLabel: "true positive rate", series: curves,
                          xDomain: 0...1, yDomain: 0...1, maxPoints: 3000, diagonal: true).svg(width: 440, height: 400)
        body += LineChart(title: "ROC, log false positive rate", xLabel: "false positive rate (log)", yLabel: "true positive rate",
                          series: curves, xScale: .log10, yDomain: 0...1, maxPoints: 3000).svg(width: 440, height: 400)
        body += "</div></section>\n"
        let linker = CropLinker(catalogFolder: pageFolder, pageFolder: pageFolder)
        for (i, e) in evaluations.enumerated() {
            body += "<section id=\"eval-\(i + 1)\"><h2>Evaluation \(HTML.escape(e.name))</h2>"
            body += "<p class=\"muted\"><code>\(HTML.escape(e.folder.path))</code></p>"
            for p in e.problems { body += "<p class=\"warn\">\(HTML.escape(p))</p>" }
            if !e.compared.isEmpty {
                body += "<p>Compared with: " + e.compared.map { c in
                    "<b>\(HTML.escape(c.label))</b> (<code>\(HTML.escape(c.file))</code>, \(c.roc.count) points)"
                }.joined(separator: ", ") + "</p>"
            }
            if !e.figures.isEmpty {
                body += PageTemplate.facts(e.figures.map { ($0.key, HTML.escape($0.value)) })
            }
            body += pairs("Worst false accepts (different people, most similar)", e.worstFalseAccepts, linker: linker)
            body += pairs("Worst false rejects (same person, least similar)", e.worstFalseRejects, linker: linker)
            body += "</section>\n"
        }
        return PageTemplate.document(title: "Evaluation – \(title)", nav: [("index.html", "Overview")], body: body)
    }

    private func pairs(_ heading: String, _ list: [EvaluationResult.Pair], linker: CropLinker) -> String {
        guard !list.isEmpty else { return "" }
        var out = "<h3>\(HTML.escape(heading))</h3><div>"
        // Without any image the pairs read better as a list.
        let images = list.contains { p in [p.firstFile, p.secondFile].contains { $0.map(ImageIO.isImageFile) ?? false } }
        for p in list {
            out += images ? "<div class=\"pair\">" : "<div>"
            for file in [p.firstFile, p.secondFile] {
                if let file, ImageIO.isImageFile(file), let href = linker.href(forFile: file) {
                    out += "<a href=\"\(href)\"><img src=\"\(href)\" loading=\"lazy\" alt=\"\(HTML.escape(file.lastPathComponent))\"></a>"
                }
            }
            let sim = p.similarity.map { String(format: "%.4f", $0) } ?? "?"
            out += "<div><code>\(sim)</code> \(HTML.escape(p.first)) · \(HTML.escape(p.second))</div></div>"
        }
        return out + "</div>"
    }
}
