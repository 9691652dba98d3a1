import Foundation

/// Reports progress of long work on standard error: a redrawn bar with rate and ETA on a
/// terminal, and a plain log line every few seconds otherwise (logs, CI, pipes).
public final class ProgressReporter: @unchecked Sendable {
    public let label: String
    public let total: Int?
    public let unit: String
    private let lock = NSLock()
    private var done = 0
    private var extra: String = ""
    private let start = Date()
    private var lastDraw: Date
    private let interactive: Bool
    private let quiet: Bool
    private let plainInterval: TimeInterval

    /// - Parameters:
    ///   - total: the expected count, or nil when unknown (no ETA then).
    ///   - unit: what is counted, e.g. "frames".
    ///   - quiet: report nothing (for `--json` output and tests).
    public init(_ label: String, total: Int?, unit: String, quiet: Bool = false, plainInterval: TimeInterval = 5) {
        self.label = label
        self.total = total
        self.unit = unit
        self.quiet = quiet
        self.lastDraw = Date.distantPast
        self.interactive = isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.plainInterval = plainInterval
        // Plain logs get their first line after one interval, not a meaningless rate at frame one.
        if !interactive { lastDraw = start }
    }

    /// Adds `n` to the count; `note` replaces the free text shown after the rate (e.g. "faces 12").
    public func advance(by n: Int = 1, note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done += n
        if let note { extra = note }
        let now = Date()
        let interval = interactive ? 0.1 : plainInterval
        if now.timeIntervalSince(lastDraw) >= interval {
            lastDraw = now
            draw(final: false)
        }
    }

    /// Draws the last state and ends the line.
    public func finish(note: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        if let note { extra = note }
        draw(final: true)
    }

    public var count: Int { lock.lock(); defer { lock.unlock() }; return done }

    private func draw(final: Bool) {
        guard !quiet else { return }
        let elapsed = max(Date().timeIntervalSince(start), 1e-6)
        let rate = Double(done) / elapsed
        var eta = ""
        if let total, total > 0, rate > 0, !final {
            eta = " ETA " + Self.formatDuration(Double(max(total - done, 0)) / rate)
        }
        let counts = total.map { "\(done)/\($0)" } ?? "\(done)"
        let rateText = String(format: "%.1f %@/s", rate, unit)
        let tail = extra.isEmpty ? "" : " " + extra
        var line: String
        if interactive {
            var bar = ""
            if let total, total > 0 {
                let width = 24
                let filled = min(width, Int(Double(width) * Double(done) / Double(total)))
                bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            }
            line = "\r\u{1B}[2K\(label) \(bar)\(counts) \(rateText)\(eta)\(tail)"
            if final { line += " in " + Self.formatDuration(elapsed) + "\n" }
        } else {
            line = "\(label): \(counts) \(unit), \(rateText)\(eta)\(tail)" + (final ? " (done in \(Self.formatDuration(elapsed)))" : "") + "\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    public static func formatDuration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) }
        if t >= 60 { return String(format: "%dm%02ds", t / 60, t % 60) }
        return String(format: "%.1fs", s)
    }
}

/// Writes one line to standard error.
public func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
