import Foundation

/// A histogram of one or more series, drawn as stacked bars in inline SVG.
///
/// Bins are equal-width over `range`, by default from the smallest value to the 99.5th
/// percentile, so that a few outliers (very sharp crops, huge faces) do not squash the rest;
/// values outside the range are counted in the first or last bin and the chart says so.
/// With `integerBins`, each integer value gets its own bin (faces per sequence).
public struct Histogram: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        /// A CSS colour; nil picks from the palette.
        public var color: String?
        public init(name: String, values: [Double], color: String? = nil) {
            self.name = name; self.values = values; self.color = color
        }
    }

    /// The counted bins: `edges` has one more element than each row of `counts`.
    public struct Bins: Sendable, Equatable {
        public var edges: [Double]
        /// counts[series][bin]
        public var counts: [[Int]]
        /// Values below the first edge or above the last, counted in the edge bins.
        public var clipped: Int
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var binCount: Int
    public var range: ClosedRange<Double>?
    public var integerBins: Bool

    public init(title: String, xLabel: String, yLabel: String = "count", series: [Series], binCount: Int = 30,
                range: ClosedRange<Double>? = nil, integerBins: Bool = false) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.series = series
        self.binCount = max(1, binCount); self.range = range; self.integerBins = integerBins
    }

    /// Counts the finite values of every series into common bins; nil when there are none.
    public func bins() -> Bins? {
        let finite = series.map { $0.values.filter(\.isFinite) }
        let all = finite.flatMap { $0 }.sorted()
        guard let first = all.first, let last = all.last else { return nil }
        var edges: [Double]
        if integerBins {
            let lo = (range?.lowerBound ?? first).rounded(.down), hi = (range?.upperBound ?? last).rounded(.down)
            let n = Int(hi - lo) + 1
            if n <= 200 {
                // At least 5 bins, so that one value does not fill the whole chart.
                let pad = max(0, 5 - n)
                let start = max(lo - Double(pad / 2), min(lo, 0))
                edges = (0...(n + pad)).map { start - 0.5 + Double($0) }
            } else {
                edges = Self.equalEdges(lo: lo - 0.5, hi: hi + 0.5, count: binCount)
            }
        } else {
            let lo = range?.lowerBound ?? first
            var hi = range?.upperBound ?? all[min(all.count - 1, Int((Double(all.count - 1) * 0.995).rounded()))]
            var low = lo
            if hi <= lo {
                hi = max(last, lo)
                if hi <= lo {
                    // One value: centre it in a range of ±10 % (±1 around zero).
                    let pad = lo == 0 ? 1 : abs(lo) * 0.1
                    low = lo - pad; hi = lo + pad
                }
            }
            edges = Self.equalEdges(lo: low, hi: hi, count: binCount)
        }
        let n = edges.count - 1
        let lo = edges[0], hi = edges[n], width = (hi - lo) / Double(n)
        var clipped = 0
        let counts: [[Int]] = finite.map { values in
            var c = [Int](repeating: 0, count: n)
            for v in values {
                if v < lo || v > hi { clipped += 1 }
                let i = min(n - 1, max(0, Int(((v - lo) / width).rounded(.down))))
                c[i] += 1
            }
            return c
        }
        return Bins(edges: edges, counts: counts, clipped: clipped)
    }

    private static func equalEdges(lo: Double, hi: Double, count: Int) -> [Double] {
        (0...count).map { lo + (hi - lo) * Double($0) / Double(count) }
    }

    /// The chart as an `<svg>` element.
    public func svg(width: Double = 520, height: Double = 240) -> String {
        guard let bins = bins() else { return SVGCanvas.empty(title: title, width: width, height: height) }
        let n = bins.edges.count - 1
        var totals = [Int](repeating: 0, count: n)
        for row in bins.counts { for i in 0..<n { totals[i] += row[i] } }
        var canvas = SVGCanvas(width: width, height: height, top: series.count > 1 ? SVGCanvas.legendTop : 30)
        let x = ChartScale(lower: bins.edges[0], upper: bins.edges[n], start: canvas.left, end: canvas.right)
        let yTop = ChartScale.niceDomain(0, Double(totals.max() ?? 1)).1
        let y = ChartScale(lower: 0, upper: max(1, yTop), start: canvas.bottom, end: canvas.top)
        var xTicks: [Double]? = nil
        if integerBins && n <= 40 {
            let step = max(1, n / 12)
            xTicks = stride(from: 0, to: n, by: step).map { (bins.edges[$0] + bins.edges[$0 + 1]) / 2 }
        }
        canvas.axes(x: x, y: y, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks)
        let colors = series.enumerated().map { $0.element.color ?? SVGCanvas.palette[$0.offset % SVGCanvas.palette.count] }
        for i in 0..<n where totals[i] > 0 {
            let x0 = x.map(bins.edges[i]), x1 = x.map(bins.edges[i + 1])
            var base = 0
            var tip = "\(ChartScale.label(bins.edges[i]))–\(ChartScale.label(bins.edges[i + 1])):"
            for (s, row) in bins.counts.enumerated() where row[i] > 0 {
                let y0 = y.map(Double(base)), y1 = y.map(Double(base + row[i]))
                canvas.append("<rect x=\"\(SVGCanvas.f(x0 + 0.5))\" y=\"\(SVGCanvas.f(y1))\" width=\"\(SVGCanvas.f(max(0.5, x1 - x0 - 1)))\" "
                              + "height=\"\(SVGCanvas.f(y0 - y1))\" fill=\"\(colors[s])\"/>")
                base += row[i]
                tip += " \(series[s].name) \(row[i])"
            }
            // An invisible full-height bar carries the tooltip for the whole bin.
            canvas.append("<rect x=\"\(SVGCanvas.f(x0))\" y=\"\(SVGCanvas.f(canvas.top))\" width=\"\(SVGCanvas.f(x1 - x0))\" "
                          + "height=\"\(SVGCanvas.f(canvas.bottom - canvas.top))\" fill=\"transparent\"><title>\(HTML.escape(tip))</title></rect>")
        }
        canvas.legend(zip(series, colors).map { ($0.name, $1) })
        let total = bins.counts.reduce(0) { $0 + $1.reduce(0, +) }
        var note = "n = \(total)"
        if bins.clipped > 0 { note += ", \(bins.clipped) outside the range counted in the edge bins" }
        return canvas.svg(title: title, note: note)
    }
}
