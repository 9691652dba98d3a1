import Foundation

/// Several series of (x, y) points as polylines in inline SVG, with a legend.
///
/// Long series are thinned to at most `maxPoints` by averaging consecutive points in equal
/// buckets (a training log of 100k iterations still gives a small page). On a log axis,
/// points that are not positive are left out.
public struct LineChart: Sendable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(x: Double, y: Double) { self.x = x; self.y = y }
    }

    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        public var color: String?
        public var dashed: Bool
        public init(name: String, points: [Point], color: String? = nil, dashed: Bool = false) {
            self.name = name; self.points = points; self.color = color; self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var xScale: ChartScale.Kind
    public var yScale: ChartScale.Kind
    /// Fixed axis domains; nil fits the data.
    public var xDomain: ClosedRange<Double>?
    public var yDomain: ClosedRange<Double>?
    public var maxPoints: Int
    /// Draws the y = x diagonal (for ROC curves on linear axes).
    public var diagonal: Bool

    public init(title: String, xLabel: String, yLabel: String, series: [Series], xScale: ChartScale.Kind = .linear,
                yScale: ChartScale.Kind = .linear, xDomain: ClosedRange<Double>? = nil, yDomain: ClosedRange<Double>? = nil,
                maxPoints: Int = 800, diagonal: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.xScale = xScale; self.yScale = yScale; self.xDomain = xDomain; self.yDomain = yDomain
        self.maxPoints = max(2, maxPoints); self.diagonal = diagonal
    }

    /// `points` thinned to at most `limit` bucket means, keeping the first and last point.
    public static func thin(_ points: [Point], to limit: Int) -> [Point] {
        guard points.count > limit, limit >= 2 else { return points }
        let buckets = limit - 2
        var out = [points[0]]
        let inner = points.count - 2
        for b in 0..<buckets {
            let lo = 1 + b * inner / buckets, hi = 1 + (b + 1) * inner / buckets
            guard hi > lo else { continue }
            var sx = 0.0, sy = 0.0
            for p in points[lo..<hi] { sx += p.x; sy += p.y }
            out.append(Point(x: sx / Double(hi - lo), y: sy / Double(hi - lo)))
        }
        out.append(points[points.count - 1])
        return out
    }

    private func usable(_ p: Point) -> Bool {
        p.x.isFinite && p.y.isFinite && (xScale == .linear || p.x > 0) && (yScale == .linear || p.y > 0)
    }

    /// The chart as an `<svg>` element.
    public func svg(width: Double = 520, height: Double = 260) -> String {
        let usablePoints = series.map { $0.points.filter(usable) }
        let cleaned = usablePoints.map { Self.thin($0, to: maxPoints) }
        let all = cleaned.flatMap { $0 }
        guard !all.isEmpty else { return SVGCanvas.empty(title: title, width: width, height: height) }
        var canvas = SVGCanvas(width: width, height: height, top: series.count > 1 ? SVGCanvas.legendTop : 30)
        func domain(_ values: [Double], _ kind: ChartScale.Kind, _ fixed: ClosedRange<Double>?) -> (Double, Double) {
            if let fixed { return (fixed.lowerBound, fixed.upperBound) }
            let lo = values.min()!, hi = values.max()!
            if kind == .log10 {
                return (pow(10, floor(log10(lo))), pow(10, ceil(log10(hi)) + (hi == lo ? 1 : 0)))
            }
            return ChartScale.niceDomain(lo, hi)
        }
        let (x0, x1) = domain(all.map(\.x), xScale, xDomain)
        let (y0, y1) = domain(all.map(\.y), yScale, yDomain)
        let x = ChartScale(kind: xScale, lower: x0, upper: x1, start: canvas.left, end: canvas.right)
        let y = ChartScale(kind: yScale, lower: y0, upper: y1, start: canvas.bottom, end: canvas.top)
        canvas.axes(x: x, y: y, xLabel: xLabel, yLabel: yLabel)
        if diagonal {
            let lo = max(x.lower, y.lower), hi = min(x.upper, y.upper)
            if hi > lo {
                canvas.line(x.map(lo), y.map(lo), x.map(hi), y.map(hi), stroke: "#bbb", extra: " stroke-dasharray=\"4 3\"")
            }
        }
        let colors = series.enumerated().map { $0.element.color ?? SVGCanvas.palette[$0.offset % SVGCanvas.palette.count] }
        for (i, points) in cleaned.enumerated() where !points.isEmpty {
            // Clamp to the plot area so a point outside a fixed domain does not draw over the axes.
            let coords = points.map { p -> String in
                let px = min(canvas.right, max(canvas.left, x.map(p.x)))
                let py = min(canvas.bottom, max(canvas.top, y.map(p.y)))
                return "\(SVGCanvas.f(px)),\(SVGCanvas.f(py))"
            }
            let dash = series[i].dashed ? " stroke-dasharray=\"5 3\"" : ""
            if coords.count == 1 {
                let xy = coords[0].split(separator: ",")
                canvas.append("<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(colors[i])\"><title>\(HTML.escape(series[i].name))</title></circle>")
            } else {
                canvas.append("<polyline fill=\"none\" stroke=\"\(colors[i])\" stroke-width=\"1.5\"\(dash) points=\"\(coords.joined(separator: " "))\">"
                              + "<title>\(HTML.escape(series[i].name))</title></polyline>")
            }
        }
        canvas.legend(zip(series, colors).map { ($0.name, $1) })
        let thinned = zip(usablePoints, cleaned).contains { $0.count > $1.count }
        return canvas.svg(title: title, note: thinned ? "long series averaged to \(maxPoints) points" : nil)
    }
}
