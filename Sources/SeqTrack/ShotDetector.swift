import SeqMedia

/// Settings of the shot (cut) detector. The defaults suit ordinary 24–30 fps video.
public struct ShotDetectorOptions: Sendable, Equatable, Codable {
    /// Frames are box-averaged down to this size before their histogram is taken (default 64x36).
    public var thumbnailWidth: Int = 64
    public var thumbnailHeight: Int = 36
    /// Bins per RGB channel of the joint colour histogram (default 16, so 4096 bins). Fine bins
    /// separate cuts between shots of a similar palette (measured on Megamind.avi: cuts 0.43–0.46,
    /// within-shot differences at most 0.07; carphone at most 0.12).
    public var binsPerChannel: Int = 16
    /// How many recent within-shot frame differences feed the adaptive threshold (default 30).
    public var window: Int = 30
    /// The threshold is `median + madFactor * 1.4826 * MAD` of the recent differences (default 6),
    /// clamped to `minThreshold...maxThreshold`.
    public var madFactor: Float = 6
    /// Hard minimum: a difference below this is never a cut, however static the shot (default 0.25;
    /// differences are half-L1 histogram distances in 0...1).
    public var minThreshold: Float = 0.25
    /// Hard maximum: a difference above this is always a cut, however busy the shot (default 0.6).
    public var maxThreshold: Float = 0.6
    /// A cut closer than this many frames to the previous one is ignored, so a flash or a single
    /// odd frame does not make a one-frame shot (default 4).
    public var minShotLength: Int = 4

    public init() {}
}

/// Streaming cut detector: feed it every decoded frame in order; it compares the colour histogram
/// of each frame with the previous one and calls a cut where the difference stands out against
/// the recent differences of the current shot (a running median plus k MADs, within hard bounds).
public struct ShotDetector: Sendable {
    public let options: ShotDetectorOptions
    /// Frame indices where a new shot starts (excluding the first frame).
    public private(set) var cuts: [Int] = []
    /// The histogram difference between the last two frames fed (nil before the second frame).
    public private(set) var lastDifference: Float?
    /// The threshold the last difference was compared with (nil before the second frame).
    public private(set) var lastThreshold: Float?

    private var previous: ColorHistogram?
    private var firstFrame: Int?
    private var lastFrame: Int?
    private var shotStart = 0
    private var recent: [Float] = []

    public init(options: ShotDetectorOptions = ShotDetectorOptions()) {
        precondition(options.window >= 1 && options.thumbnailWidth >= 1 && options.thumbnailHeight >= 1,
                     "invalid shot detector options")
        self.options = options
    }

    /// Takes the next frame (any size, RGB or gray) and returns true when a new shot starts at it.
    /// Frame indices must increase; the first frame fed starts the first shot and returns false.
    ///
    /// `forceCut` starts a new shot at this frame whatever its difference (ingest ends a shot
    /// that runs too long there, see `IngestOptions.maxShotSeconds`); it is ignored on the
    /// first frame.
    public mutating func feed(frameIndex: Int, image: Image, forceCut: Bool = false) -> Bool {
        if let last = lastFrame { precondition(frameIndex > last, "frames must be fed in increasing order") }
        let histogram = ColorHistogram(of: image, thumbnailWidth: options.thumbnailWidth,
                                       thumbnailHeight: options.thumbnailHeight,
                                       binsPerChannel: options.binsPerChannel)
        defer { previous = histogram; lastFrame = frameIndex }
        guard let prev = previous else {
            firstFrame = frameIndex
            shotStart = frameIndex
            return false
        }
        let d = histogram.distance(to: prev)
        let threshold = currentThreshold()
        lastDifference = d
        lastThreshold = threshold
        if forceCut || (d > threshold && frameIndex - shotStart >= options.minShotLength) {
            cuts.append(frameIndex)
            shotStart = frameIndex
            return true
        }
        // Differences suppressed by minShotLength stay in the window: at the start of a busy shot
        // they are all the detector knows, and one flash barely moves a median and a MAD.
        recent.append(d)
        if recent.count > options.window { recent.removeFirst(recent.count - options.window) }
        return false
    }

    /// The shots so far as frame ranges: every closed shot, then the current one up to the last
    /// frame fed. Empty before the first frame.
    public var shots: [Range<Int>] {
        guard let first = firstFrame, let last = lastFrame else { return [] }
        var out: [Range<Int>] = []
        var start = first
        for cut in cuts { out.append(start..<cut); start = cut }
        out.append(start..<(last + 1))
        return out
    }

    /// The threshold for the next difference: median + k * 1.4826 * MAD of the recent
    /// differences, within the hard bounds (just the hard minimum until two differences are known).
    private func currentThreshold() -> Float {
        guard recent.count >= 2 else { return options.minThreshold }
        let med = Self.median(recent)
        let mad = Self.median(recent.map { abs($0 - med) })
        let adaptive = med + options.madFactor * 1.4826 * mad
        return min(options.maxThreshold, max(options.minThreshold, adaptive))
    }

    static func median(_ values: [Float]) -> Float {
        let s = values.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}
