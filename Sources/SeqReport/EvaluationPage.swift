import Foundation
import SeqCore
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
                          series: logCurves(curves), xScale: .log10, xDomain: logDomain, yDomain: 0...1, maxPoints: 3000).svg(width: 440, height: 400)
        body += "</div>"
        if let lowest = lowestFAR {
            body += "<p class=\"muted\">The log chart reaches down to the lowest false positive rate the pairs can measure, "
                + "one false accept among the negative pairs (\(Self.rate(lowest))); below it an evaluation's curve is drawn at its "
                + "true positive rate for no false accept.</p>"
        }
        body += "</section>\n"
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
            if !e.values.isEmpty {
                body += figuresTable(e)
                body += tarTable(e)
            } else if !e.figures.isEmpty {
                body += PageTemplate.facts(e.figures.map { ($0.key, HTML.escape($0.value)) })
            }
            body += pairs("Worst false accepts (different people, most similar)", e.worstFalseAccepts, linker: linker)
            body += pairs("Worst false rejects (same person, least similar)", e.worstFalseRejects, linker: linker)
            body += "</section>\n"
        }
        return PageTemplate.document(title: "Evaluation – \(title)", nav: [("index.html", "Overview")], body: body)
    }

    /// The lowest FAR any evaluation's pairs can measure (1/negatives), if known.
    private var lowestFAR: Double? { evaluations.compactMap(\.lowestMeasurableFAR).min() }

    /// The log chart's axis: from the decade below 1/negatives to 1, when the negatives are known.
    private var logDomain: ClosedRange<Double>? {
        lowestFAR.map { pow(10, floor(log10($0))) ... 1 }
    }

    /// On the log axis a false positive rate of 0 cannot be drawn: such points move to the
    /// lowest measurable FAR, so each curve starts where its pairs stop measuring.
    private func logCurves(_ curves: [LineChart.Series]) -> [LineChart.Series] {
        guard let lowest = lowestFAR else { return curves }
        return curves.map { c in
            var c = c
            c.points = c.points.map { $0.x > 0 ? $0 : LineChart.Point(x: lowest, y: $0.y) }
            return c
        }
    }

    /// A rate as a percentage with enough digits for small values (`0.0333 %`).
    static func percent(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        let p = v * 100
        if p == 0 || p >= 1 { return String(format: "%.2f %%", p) }
        return String(format: "%.3g %%", p)
    }

    /// A FAR as the plain number it is given as (`0.001`, `0.0333`), as `eval` prints it.
    static func rate(_ v: Double) -> String { String(format: "%.3g", v) }

    /// The headline figures with labels and percentages, then the other scalar members of the file.
    private func figuresTable(_ e: EvaluationResult) -> String {
        typealias K = EvaluationResults.CodingKeys
        func number(_ k: K) -> Double? { e.values[k.stringValue]?.number }
        func count(_ k: K) -> String? { number(k).map { HTML.count(Int($0)) } }
        var rows: [(String, String)] = []
        if let b = e.values[K.benchmark.stringValue]?.string { rows.append(("Benchmark", HTML.escape(b))) }
        if let pairs = count(.pairs) {
            var text = pairs
            if let p = count(.positives), let n = count(.negatives) { text += " (\(p) same person, \(n) different)" }
            if let skipped = number(.skippedPairs), skipped > 0 { text += ", \(HTML.count(Int(skipped))) skipped" }
            rows.append(("Pairs", text))
        }
        if let acc = number(.bestThresholdAccuracy) {
            rows.append(("Accuracy at the best threshold", Self.percent(acc) + (number(.bestThreshold).map { String(format: " (threshold %.4f)", $0) } ?? "")))
        }
        if let mean = number(.kfoldMean) {
            rows.append(("k-fold accuracy", Self.percent(mean) + (number(.kfoldStd).map { " ± " + Self.percent($0) } ?? "")))
        }
        if let auc = number(.auc) { rows.append(("Area under the ROC", Self.percent(auc))) }
        if let eer = number(.eer) { rows.append(("Equal error rate", Self.percent(eer))) }
        let labels: [String: String] = [K.layout.stringValue: "Pairs layout", K.pairsFile.stringValue: "Pairs file",
                                        K.similarity.stringValue: "Similarity", K.bestThresholdCorrect.stringValue: "Correct at the best threshold"]
        let shown: Set<String> = Set(([.benchmark, .pairs, .positives, .negatives, .skippedPairs, .bestThresholdAccuracy, .bestThreshold,
                                       .kfoldMean, .kfoldStd, .auc, .eer] as [K]).map(\.stringValue))
        for m in e.values.sorted(by: { $0.key < $1.key }) where !shown.contains(m.key) {
            switch m.value {
            case .int, .double, .fixed, .string, .bool: rows.append((labels[m.key] ?? m.key.replacingOccurrences(of: "_", with: " "), HTML.escape(m.value.display)))
            default: continue
            }
        }
        return PageTemplate.facts(rows)
    }

    /// TAR at each FAR, marked unreliable where fewer than 10/FAR negative pairs back it.
    private func tarTable(_ e: EvaluationResult) -> String {
        guard !e.tarAtFAR.isEmpty else { return "" }
        let rows = e.tarAtFAR.map { entry -> [String] in
            let far = Double(entry.far)
            let farText = far.map(Self.rate) ?? HTML.escape(entry.far)
            let needed = far.map { String(Int(EvaluationResult.negativesNeeded(far: $0))) } ?? "?"
            let reliable = far.flatMap { e.isReliable(far: $0) }
            let verdict: String
            switch reliable {
            case .some(true): verdict = "yes"
            case .some(false): verdict = "<b>unreliable</b>: \(HTML.count(e.negatives ?? 0)) negative pairs, fewer than 10/FAR = \(needed)"
            case .none: verdict = "unknown (negatives not recorded)"
            }
            return [farText, Self.percent(entry.tar), needed, verdict]
        }
        var out = "<table class=\"tar\"><thead><tr><th>FAR</th><th>TAR</th><th>negative pairs needed (10/FAR)</th><th>reliable</th></tr></thead><tbody>"
        for (r, entry) in zip(rows, e.tarAtFAR) {
            let unreliable = Double(entry.far).flatMap { e.isReliable(far: $0) } == false
            out += "<tr\(unreliable ? " class=\"unreliable\"" : "")>" + r.enumerated().map { i, c in
                "<td\(unreliable && i == 3 ? " class=\"unreliable\"" : "")>\(c)</td>" }.joined() + "</tr>"
        }
        out += "</tbody></table><p class=\"muted\">A TAR at a FAR rests on FAR × negatives false accepts; with fewer than 10 "
            + "(fewer than 10/FAR negative pairs) it is marked unreliable.</p>"
        return out
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
