import Foundation

/// Maps data values onto pixels along one axis, linearly or by log10, and chooses the ticks.
public struct ChartScale: Sendable {
    public enum Kind: Sendable { case linear, log10 }

    public var kind: Kind
    /// Data values at the two ends of the axis; for `log10` both are positive.
    public var lower: Double
    public var upper: Double
    /// Pixels of `lower` and `upper` (for a y axis, `start` is the bottom).
    public var start: Double
    public var end: Double

    /// A scale over `lower...upper`; a degenerate or non-finite domain is widened so that
    /// mapping never divides by zero.
    public init(kind: Kind = .linear, lower: Double, upper: Double, start: Double, end: Double) {
        var lo = lower.isFinite ? lower : 0
        var hi = upper.isFinite ? upper : 1
        if kind == .log10 {
            lo = lo > 0 ? lo : 1e-6
            hi = hi > lo ? hi : lo * 10
        } else if hi <= lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        self.kind = kind; self.lower = lo; self.upper = hi; self.start = start; self.end = end
    }

    /// Pixel position of `v` (values outside the domain map outside the range).
    public func map(_ v: Double) -> Double {
        switch kind {
        case .linear:
            return start + (v - lower) / (upper - lower) * (end - start)
        case .log10:
            let t = (Foundation.log10(max(v, lower * 1e-3)) - Foundation.log10(lower)) / (Foundation.log10(upper) - Foundation.log10(lower))
            return start + t * (end - start)
        }
    }

    /// About `count` round tick values inside the domain: steps of 1, 2 or 5 times a power
    /// of ten, or the powers of ten for a log scale.
    public func ticks(count: Int = 5) -> [Double] {
        switch kind {
        case .log10:
            let first = Int(Foundation.log10(lower).rounded(.up)), last = Int(Foundation.log10(upper).rounded(.down))
            guard first <= last else { return [lower, upper] }
            let stride = max(1, (last - first + 1 + count - 1) / count)
            return Swift.stride(from: first, through: last, by: stride).map { pow(10, Double($0)) }
        case .linear:
            let step = Self.niceStep((upper - lower) / Double(max(1, count)))
            var t = (lower / step).rounded(.up) * step
            var out: [Double] = []
            while t <= upper + step * 1e-9 && out.count < 50 {
                out.append(abs(t) < step * 1e-9 ? 0 : t)
                t += step
            }
            return out
        }
    }

    /// The round number (1, 2 or 5 times a power of ten) nearest above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(Foundation.log10(raw)))
        let f = raw / magnitude
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// A domain widened to round numbers, for axes that should start and end on a tick.
    public static func niceDomain(_ lo: Double, _ hi: Double, count: Int = 5) -> (Double, Double) {
        guard lo.isFinite, hi.isFinite else { return (0, 1) }
        if hi <= lo { return lo == 0 ? (0, 1) : (min(0, lo * 2), max(0, lo * 2)) }
        let step = niceStep((hi - lo) / Double(count))
        return ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
    }

    /// A tick label: short, without trailing zeros.
    public static func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.0e", v).replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e-0", with: "e-") }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
