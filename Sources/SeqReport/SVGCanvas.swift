import Foundation

/// Writes one inline SVG chart: the frame, the axes with ticks and labels, and whatever the
/// chart draws in between. Coordinates are rounded to 0.1 px to keep the markup small.
struct SVGCanvas {
    let width: Double
    let height: Double
    /// The plot area inside the margins.
    let left: Double, top: Double, right: Double, bottom: Double
    private(set) var body = ""

    init(width: Double, height: Double, left: Double = 56, top: Double = 30, right: Double = 16, bottom: Double = 44) {
        self.width = width; self.height = height
        self.left = left; self.top = top; self.right = width - right; self.bottom = height - bottom
    }

    /// Colours of successive series; chosen to stay distinguishable in print and for most
    /// colour-blind readers.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static let legendTop = 46.0

    static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    mutating func append(_ s: String) { body += s }

    mutating func text(_ s: String, x: Double, y: Double, anchor: String = "middle", size: Int = 11, extra: String = "") {
        body += "<text x=\"\(Self.f(x))\" y=\"\(Self.f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\"\(extra)>\(HTML.escape(s))</text>"
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333", extra: String = "") {
        body += "<line x1=\"\(Self.f(x1))\" y1=\"\(Self.f(y1))\" x2=\"\(Self.f(x2))\" y2=\"\(Self.f(y2))\" stroke=\"\(stroke)\"\(extra)/>"
    }

    /// Axes with ticks, grid lines and labels.
    mutating func axes(x: ChartScale, y: ChartScale, xLabel: String, yLabel: String, xTicks: [Double]? = nil) {
        for t in y.ticks(count: 5) {
            let py = y.map(t)
            guard py >= top - 0.5 && py <= bottom + 0.5 else { continue }
            line(left, py, right, py, stroke: "#e4e4e4")
            text(ChartScale.label(t), x: left - 5, y: py + 4, anchor: "end", size: 10)
        }
        for t in xTicks ?? x.ticks(count: 6) {
            let px = x.map(t)
            guard px >= left - 0.5 && px <= right + 0.5 else { continue }
            line(px, bottom, px, bottom + 4)
            text(ChartScale.label(t), x: px, y: bottom + 15, size: 10)
        }
        line(left, bottom, right, bottom)
        line(left, top, left, bottom)
        text(xLabel, x: (left + right) / 2, y: height - 15)
        text(yLabel, x: 12, y: (top + bottom) / 2, extra: " transform=\"rotate(-90 12 \(Self.f((top + bottom) / 2)))\"")
    }

    /// A legend of coloured swatches along the top right, below the title (charts with a
    /// legend use a top margin of `legendTop`).
    mutating func legend(_ entries: [(name: String, color: String)]) {
        guard entries.count > 1 else { return }
        var x = right
        for e in entries.reversed() {
            let w = Double(e.name.count) * 6.2 + 18
            x -= w
            body += "<rect x=\"\(Self.f(x))\" y=\"\(Self.f(top - 18))\" width=\"10\" height=\"10\" fill=\"\(e.color)\"/>"
            text(e.name, x: x + 13, y: top - 9, anchor: "start", size: 10)
        }
    }

    /// The finished `<svg>` element, with `title` as its accessible name and heading.
    func svg(title: String, note: String? = nil) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(Self.f(width)) \(Self.f(height))\" "
        out += "width=\"\(Self.f(width))\" height=\"\(Self.f(height))\" role=\"img\" font-family=\"sans-serif\">"
        out += "<title>\(HTML.escape(title))</title>"
        out += "<text x=\"\(Self.f(left))\" y=\"14\" font-size=\"13\" font-weight=\"bold\">\(HTML.escape(title))</text>"
        out += body
        if let note {
            out += "<text x=\"\(Self.f(right))\" y=\"\(Self.f(height - 2))\" text-anchor=\"end\" font-size=\"9\" fill=\"#666\">\(HTML.escape(note))</text>"
        }
        out += "</svg>"
        return out
    }

    /// A chart frame that only says there is nothing to draw.
    static func empty(title: String, width: Double, height: Double, message: String = "no data") -> String {
        var c = SVGCanvas(width: width, height: height)
        c.text(message, x: width / 2, y: height / 2, extra: " fill=\"#888\"")
        return c.svg(title: title)
    }
}
