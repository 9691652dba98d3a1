import XCTest
@testable import SeqReport

final class ChartTests: XCTestCase {
    func testLinearTicksAreRoundAndInsideTheDomain() {
        let scale = ChartScale(lower: 0, upper: 97, start: 0, end: 100)
        XCTAssertEqual(scale.ticks(count: 5), [0, 20, 40, 60, 80])
        XCTAssertEqual(ChartScale(lower: 0.001, upper: 0.0042, start: 0, end: 1).ticks(count: 4), [0.001, 0.002, 0.003, 0.004])
        XCTAssertEqual(scale.map(0), 0)
        XCTAssertEqual(scale.map(97), 100, accuracy: 1e-9)
    }

    func testLogTicksArePowersOfTen() {
        let scale = ChartScale(kind: .log10, lower: 1e-4, upper: 1, start: 0, end: 400)
        XCTAssertEqual(scale.ticks(count: 5), [1e-4, 1e-3, 1e-2, 1e-1, 1])
        XCTAssertEqual(scale.map(1e-2), 200, accuracy: 1e-9)
    }

    func testDegenerateDomainDoesNotDivideByZero() {
        let scale = ChartScale(lower: 5, upper: 5, start: 0, end: 100)
        XCTAssertTrue(scale.map(5).isFinite)
        XCTAssertFalse(scale.ticks().isEmpty)
    }

    func testTickLabelsAreShort() {
        XCTAssertEqual(ChartScale.label(0.5), "0.5")
        XCTAssertEqual(ChartScale.label(20), "20")
        XCTAssertEqual(ChartScale.label(1e-4), "1e-4")
        XCTAssertEqual(ChartScale.label(250000), "2e5")
    }

    func testHistogramCountsEveryValueOnce() throws {
        let h = Histogram(title: "t", xLabel: "x", series: [.init(name: "a", values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
                                                           .init(name: "b", values: [9, 9, .nan])], binCount: 5, range: 0...10)
        let bins = try XCTUnwrap(h.bins())
        XCTAssertEqual(bins.edges, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(bins.counts[0], [2, 2, 2, 2, 2])
        XCTAssertEqual(bins.counts[1], [0, 0, 0, 0, 2])
        XCTAssertEqual(bins.clipped, 0)
    }

    func testHistogramClampsOutliersIntoTheEdgeBinsAndSaysSo() throws {
        let values = (0..<1000).map { Double($0 % 10) } + [1_000_000]
        let h = Histogram(title: "sharpness", xLabel: "x", series: [.init(name: "all", values: values)], binCount: 10)
        let bins = try XCTUnwrap(h.bins())
        XCTAssertLessThan(bins.edges.last!, 100, "the 99.5th percentile bounds the range, not the outlier")
        XCTAssertEqual(bins.counts[0].reduce(0, +), 1001)
        XCTAssertEqual(bins.clipped, 1)
        XCTAssertTrue(h.svg().contains("outside the range"))
    }

    func testIntegerHistogramHasOneBinPerValue() throws {
        let h = Histogram(title: "faces", xLabel: "n", series: [.init(name: "s", values: [5, 5, 6, 8, 10])], integerBins: true)
        let bins = try XCTUnwrap(h.bins())
        XCTAssertEqual(bins.edges.count, 7) // 5, 6, 7, 8, 9, 10
        XCTAssertEqual(bins.counts[0], [2, 1, 0, 1, 0, 1])
    }

    func testSingleValueIsCentredInARange() throws {
        let ints = try XCTUnwrap(Histogram(title: "f", xLabel: "n", series: [.init(name: "s", values: [8, 8])], integerBins: true).bins())
        XCTAssertEqual(ints.edges, [5.5, 6.5, 7.5, 8.5, 9.5, 10.5])
        XCTAssertEqual(ints.counts[0], [0, 0, 2, 0, 0])
        let reals = try XCTUnwrap(Histogram(title: "d", xLabel: "s", series: [.init(name: "s", values: [0.8])], binCount: 4).bins())
        XCTAssertEqual(reals.edges.first!, 0.72, accuracy: 1e-9)
        XCTAssertEqual(reals.edges.last!, 0.88, accuracy: 1e-9)
        XCTAssertEqual(reals.counts[0], [0, 0, 1, 0])
    }

    func testEmptyHistogramStillDrawsAFrame() {
        let svg = Histogram(title: "nothing", xLabel: "x", series: [.init(name: "a", values: [])]).svg()
        XCTAssertTrue(svg.contains("no data"))
        XCTAssertEqual(HTMLInspector.balanceProblems(svg), [])
    }

    func testHistogramSVGIsBalancedAndHasAxesAndLegend() {
        let svg = Histogram(title: "Score", xLabel: "score", series: [.init(name: "kept", values: [0.9, 0.95, 0.99]),
                                                                      .init(name: "dropped", values: [0.5, 0.7])]).svg()
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertEqual(HTMLInspector.balanceProblems(svg), [])
        XCTAssertTrue(svg.contains(">kept</text>"))
        XCTAssertTrue(svg.contains(">dropped</text>"))
        XCTAssertTrue(svg.contains("<title>Score</title>"))
        XCTAssertTrue(svg.contains(">score</text>"), "x axis label")
        XCTAssertTrue(svg.contains(">count</text>"), "y axis label")
    }

    func testLineChartThinsLongSeriesKeepingTheEnds() {
        let points = (0..<10_000).map { LineChart.Point(x: Double($0), y: Double($0 % 7)) }
        let thin = LineChart.thin(points, to: 100)
        XCTAssertEqual(thin.count, 100)
        XCTAssertEqual(thin.first, points.first)
        XCTAssertEqual(thin.last, points.last)
        let svg = LineChart(title: "loss", xLabel: "iter", yLabel: "loss", series: [.init(name: "loss", points: points)], maxPoints: 100).svg()
        XCTAssertLessThan(svg.utf8.count, 10_000)
        XCTAssertTrue(svg.contains("averaged"))
        XCTAssertEqual(HTMLInspector.balanceProblems(svg), [])
    }

    func testLogLineChartLeavesOutNonPositivePoints() {
        let series = LineChart.Series(name: "roc", points: [.init(x: 0, y: 0), .init(x: 0.001, y: 0.5), .init(x: 1, y: 1)])
        let svg = LineChart(title: "ROC", xLabel: "fpr", yLabel: "tpr", series: [series], xScale: .log10).svg()
        XCTAssertEqual(HTMLInspector.count("<polyline", in: svg), 1)
        XCTAssertFalse(svg.contains("nan"))
        XCTAssertTrue(svg.contains(">0.001</text>"))
        XCTAssertFalse(svg.contains("averaged"), "leaving out points is not thinning")
    }

    func testTimelinePackKeepsOverlappingSpansApart() {
        let spans = [Timeline.Span(start: 0, end: 10, label: "a"), Timeline.Span(start: 5, end: 15, label: "b"),
                     Timeline.Span(start: 11, end: 20, label: "c"), Timeline.Span(start: 16, end: 30, label: "d")]
        let rows = Timeline.pack(spans)
        XCTAssertEqual(rows.map { $0.map(\.label) }, [["a", "c"], ["b", "d"]])
        for row in rows { for (p, q) in zip(row, row.dropFirst()) { XCTAssertLessThan(p.end, q.start) } }
    }

    func testTimelineLinksAndEscapes() {
        let lane = Timeline.Lane(label: "tracks", spans: [.init(start: 0, end: 50, label: "track <1> & co", text: "t1", link: "page.html#seq-1")])
        let svg = Timeline(title: "T", xLabel: "frame", domain: 0...100, lanes: [lane]).svg()
        XCTAssertTrue(svg.contains("<a href=\"page.html#seq-1\">"))
        XCTAssertTrue(svg.contains("track &lt;1&gt; &amp; co"))
        XCTAssertFalse(svg.contains("<1>"))
        XCTAssertEqual(HTMLInspector.balanceProblems(svg), [])
    }
}
