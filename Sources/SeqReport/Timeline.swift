import Foundation

/// Horizontal lanes of spans over a common axis (shots and tracks of a video), as inline SVG.
public struct Timeline: Sendable {
    public struct Span: Sendable, Equatable {
        public var start: Double
        public var end: Double
        /// The tooltip.
        public var label: String
        /// Drawn inside the bar when it fits.
        public var text: String?
        public var color: String
        /// A link target (`#seq-12`, `video-3-p2.html#seq-40`).
        public var link: String?
        /// A mark drawn at the span's right end (why a track ended): its colour and tooltip.
        public var endMark: (color: String, label: String)?
        public init(start: Double, end: Double, label: String, text: String? = nil, color: String = "#1f77b4", link: String? = nil,
                    endMark: (color: String, label: String)? = nil) {
            self.start = start; self.end = end; self.label = label; self.text = text; self.color = color; self.link = link
            self.endMark = endMark
        }

        public static func == (a: Span, b: Span) -> Bool {
            a.start == b.start && a.end == b.end && a.label == b.label && a.text == b.text && a.color == b.color && a.link == b.link
                && a.endMark?.color == b.endMark?.color && a.endMark?.label == b.endMark?.label
        }
    }

    public struct Lane: Sendable {
        public var label: String
        public var spans: [Span]
        public init(label: String, spans: [Span]) { self.label = label; self.spans = spans }
    }

    public var title: String
    public var xLabel: String
    public var domain: ClosedRange<Double>
    public var lanes: [Lane]
    public var laneHeight: Double

    public init(title: String, xLabel: String, domain: ClosedRange<Double>, lanes: [Lane], laneHeight: Double = 16) {
        self.title = title; self.xLabel = xLabel; self.domain = domain; self.lanes = lanes; self.laneHeight = laneHeight
    }

    /// Packs spans into as few rows as possible so that spans in one row do not overlap
    /// (first fit, in order of start).
    public static func pack(_ spans: [Span]) -> [[Span]] {
        var rows: [[Span]] = []
        var ends: [Double] = []
        for s in spans.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            if let r = ends.firstIndex(where: { $0 < s.start }) {
                rows[r].append(s); ends[r] = s.end
            } else {
                rows.append([s]); ends.append(s.end)
            }
        }
        return rows
    }

    /// The timeline as an `<svg>` element; its height grows with the lanes.
    public func svg(width: Double = 960) -> String {
        let gap = 3.0
        let height = 30 + Double(max(1, lanes.count)) * (laneHeight + gap) + 40
        var canvas = SVGCanvas(width: width, height: height, left: 80, top: 28, right: 16, bottom: 40)
        let x = ChartScale(lower: domain.lowerBound, upper: domain.upperBound, start: canvas.left, end: canvas.right)
        for t in x.ticks(count: 8) {
            let px = x.map(t)
            canvas.line(px, canvas.top, px, canvas.bottom, stroke: "#eee")
            canvas.line(px, canvas.bottom, px, canvas.bottom + 4)
            canvas.text(ChartScale.label(t), x: px, y: canvas.bottom + 15, size: 10)
        }
        canvas.line(canvas.left, canvas.bottom, canvas.right, canvas.bottom)
        canvas.text(xLabel, x: (canvas.left + canvas.right) / 2, y: height - 15)
        for (i, lane) in lanes.enumerated() {
            let top = canvas.top + Double(i) * (laneHeight + gap)
            canvas.text(lane.label, x: canvas.left - 6, y: top + laneHeight - 4, anchor: "end", size: 10)
            for s in lane.spans {
                let x0 = x.map(s.start), x1 = max(x0 + 1.5, x.map(s.end))
                var bar = "<rect x=\"\(SVGCanvas.f(x0))\" y=\"\(SVGCanvas.f(top))\" width=\"\(SVGCanvas.f(x1 - x0))\" height=\"\(SVGCanvas.f(laneHeight))\" "
                bar += "fill=\"\(s.color)\" stroke=\"#fff\" stroke-width=\"0.5\"><title>\(HTML.escape(s.label))</title></rect>"
                if let text = s.text, Double(text.count) * 6 + 4 < x1 - x0 {
                    bar += "<text x=\"\(SVGCanvas.f(x0 + 3))\" y=\"\(SVGCanvas.f(top + laneHeight - 4))\" font-size=\"10\" fill=\"#fff\" "
                    bar += "pointer-events=\"none\">\(HTML.escape(text))</text>"
                }
                if let link = s.link {
                    canvas.append("<a href=\"\(HTML.escape(link))\">\(bar)</a>")
                } else {
                    canvas.append(bar)
                }
                if let mark = s.endMark {
                    // A notch taller than the bar at its last frame, in the reason's colour.
                    canvas.append("<rect class=\"end-mark\" x=\"\(SVGCanvas.f(x1 - 3))\" y=\"\(SVGCanvas.f(top - 1.5))\" width=\"3\" "
                                  + "height=\"\(SVGCanvas.f(laneHeight + 3))\" fill=\"\(mark.color)\"><title>\(HTML.escape(mark.label))</title></rect>")
                }
            }
        }
        return canvas.svg(title: title)
    }
}
