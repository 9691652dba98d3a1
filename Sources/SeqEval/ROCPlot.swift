import Foundation
import SeqCore

/// Draws the ROC as a standalone SVG: false accept rate on a log axis (where face verifiers
/// differ), true accept rate linear.
public enum ROCPlot {
    public static func svg(for report: EvalReport) -> String {
        let width = 640.0, height = 480.0
        let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0
        let plotW = width - left - right, plotH = height - top - bottom
        // The smallest nonzero FAR the pairs can show is 1/negatives; start one decade at or below it.
        let minDecade = -max(1, Int(ceil(log10(Double(max(report.negatives, 10))))))
        let xMin = Double(minDecade)
        func x(_ fpr: Double) -> Double {
            let lx = fpr > 0 ? max(log10(fpr), xMin) : xMin
            return left + (lx - xMin) / (0 - xMin) * plotW
        }
        func y(_ tpr: Double) -> Double { top + (1 - tpr) * plotH }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>

        """
        // Grid and axis labels.
        for decade in minDecade...0 {
            let gx = x(pow(10, Double(decade)))
            s += "<line x1=\"\(f(gx))\" y1=\"\(f(top))\" x2=\"\(f(gx))\" y2=\"\(f(top + plotH))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(gx))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">1e\(decade)</text>\n"
        }
        for step in 0...10 {
            let t = Double(step) / 10
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y(t)))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(y(t) + 4))\" text-anchor=\"end\">\(String(format: "%.1f", t))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"black\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">false accept rate (log scale; 0 drawn at the left edge)</text>\n"
        s += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">true accept rate</text>\n"

        // Compared curves (--compare-roc) first, dashed, so this evaluation's curve stays on top.
        for (i, c) in report.compared.enumerated() {
            var path = ""
            for (j, p) in c.pointsByFPR.enumerated() { path += (j == 0 ? "M" : " L") + "\(f(x(p.fpr))) \(f(y(p.tpr)))" }
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(comparedColors[i % comparedColors.count])\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\"/>\n"
        }

        // The curve, from the strictest threshold to the loosest.
        var path = ""
        for (i, p) in report.roc.points.reversed().enumerated() {
            path += (i == 0 ? "M" : " L") + "\(f(x(p.fpr))) \(f(y(p.tpr)))"
        }
        if !path.isEmpty {
            s += "<path d=\"\(path)\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\"/>\n"
        }
        if let eer = report.eer, eer > 0 {
            s += "<circle cx=\"\(f(x(eer)))\" cy=\"\(f(y(1 - eer)))\" r=\"4\" fill=\"#d04020\"/>\n"
        }
        var title = "\(report.benchmark.displayName) ROC, \(report.pairs) pairs"
        if let auc = report.auc { title += String(format: ", AUC %.4f", auc) }
        if let eer = report.eer { title += String(format: ", EER %.2f%% (dot)", eer * 100) }
        s += "<text x=\"\(f(left))\" y=\"24\" font-size=\"14\">\(escape(title))</text>\n"
        if !report.compared.isEmpty {
            // Legend, bottom right inside the plot (where a ROC leaves room).
            let entries = [("this evaluation", "#1f5fbf", "")] + report.compared.enumerated().map { i, c in
                (PrintableName.escaped(c.label) + String(format: " (AUC %.4f)", c.auc), comparedColors[i % comparedColors.count], " stroke-dasharray=\"6 3\"")
            }
            var ly = top + plotH - 12 - 16 * Double(entries.count - 1)
            let lx = left + plotW - 250
            for (name, color, dash) in entries {
                s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
                s += "<text x=\"\(f(lx + 30))\" y=\"\(f(ly))\">\(escape(name))</text>\n"
                ly += 16
            }
        }
        s += "</svg>\n"
        return s
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Colours of compared curves, in order.
    static let comparedColors = ["#d04020", "#2a9d3a", "#8e44ad", "#c08000", "#555555"]
}
