import Foundation

/// `training.html`: per run, loss curves per term, the learning rate, other logged metrics
/// and the run's settings.
struct TrainingPage {
    var title: String
    var runs: [TrainingRunLog]

    func render() -> String {
        var body = ""
        for (i, run) in runs.enumerated() {
            body += "<section id=\"run-\(i + 1)\"><h2>Run \(HTML.escape(run.name))</h2>"
            body += "<p class=\"muted\"><code>\(HTML.escape(run.folder.path))</code> · \(run.lineCount) lines"
            if run.badLines > 0 { body += ", <span class=\"warn\">\(run.badLines) unreadable lines skipped</span>" }
            body += "</p>"
            if let p = run.problem { body += "<p class=\"warn\">\(HTML.escape(p))</p>" }
            var charts: [String] = []
            let x = run.xKey == "line" ? "line of metrics.jsonl" : run.xKey
            if !run.lossKeys.isEmpty {
                let losses = run.lossKeys.map { LineChart.Series(name: $0, points: run.series[$0]!) }
                charts.append(LineChart(title: "Loss terms", xLabel: x, yLabel: "loss", series: losses).svg())
                // Terms of very different size (LSRO vs DSA) are easier to compare on a log axis.
                if losses.allSatisfy({ $0.points.allSatisfy { $0.y > 0 } }) {
                    charts.append(LineChart(title: "Loss terms (log scale)", xLabel: x, yLabel: "loss (log)", series: losses, yScale: .log10).svg())
                }
            }
            if !run.learningRateKeys.isEmpty {
                charts.append(LineChart(title: "Learning rate", xLabel: x, yLabel: "learning rate",
                                        series: run.learningRateKeys.map { .init(name: $0, points: run.series[$0]!) }).svg())
            }
            for key in run.otherKeys {
                charts.append(LineChart(title: key, xLabel: x, yLabel: key, series: [.init(name: key, points: run.series[key]!)]).svg())
            }
            if !charts.isEmpty { body += "<div class=\"charts\">\(charts.joined(separator: "\n"))</div>" }
            let last = run.series.keys.sorted().compactMap { k in run.series[k]!.last.map { (k, $0) } }
            if !last.isEmpty {
                body += "<h3>Last values</h3>" + PageTemplate.table(header: ["metric", run.xKey, "value"], rows: last.map {
                    [HTML.escape($0.0), HTML.number($0.1.x), HTML.number($0.1.y, digits: 6)]
                })
            }
            if !run.settings.isEmpty {
                body += "<h3>Settings</h3>" + PageTemplate.table(header: ["file", "key", "value"], rows: run.settings.map {
                    [HTML.escape($0.file), HTML.escape($0.key), HTML.escape($0.value)]
                })
            }
            body += "</section>\n"
        }
        return PageTemplate.document(title: "Training – \(title)", nav: [("index.html", "Overview")], body: body)
    }
}
