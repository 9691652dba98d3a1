import SeqMedia

/// Why a face of a track was kept in its sequence or left out. The raw values are what the
/// catalog stores.
public enum FaceSelectionReason: String, Sendable, Equatable, Codable, CaseIterable {
    /// In the sequence.
    case kept
    /// Detection score below `minScore`.
    case lowScore = "low_score"
    /// Eye distance below `minEyeDistance`.
    case small
    /// Sharpness below `minSharpness`, or below `minRelativeSharpness` times the track's median.
    case blurry
    /// |yaw| above `maxYaw` or |roll| above `maxRoll`.
    case pose
    /// Filled in between detections and `allowInterpolated` is off.
    case interpolated
    /// Too similar to a face already kept (`duplicateThreshold`).
    case duplicate
    /// Good, but the sequence was full (`maxFaces`) with better-spread faces.
    case notSelected = "not_selected"
    /// Good, but the track did not yield `minFaces` good, distinct faces, so it gives no sequence.
    case trackTooFew = "track_too_few"
}

/// Settings of the Celeb-Seq selection ("each sequence contains 5-10 images; noisy and duplicate
/// images are discarded"). The floors are set for small real video (176x144, eye distances of
/// 20–30 px): they drop clearly bad faces, not merely imperfect ones.
public struct SequenceSelectionOptions: Sendable, Equatable, Codable {
    /// A track must give at least this many faces to make a sequence (default 5).
    public var minFaces: Int = 5
    /// A sequence holds at most this many faces (default 10).
    public var maxFaces: Int = 10
    /// Minimum detection score (default 0.9).
    public var minScore: Float = 0.9
    /// Minimum eye distance in source pixels (default 12).
    public var minEyeDistance: Float = 12
    /// Absolute sharpness floor, in `FaceQuality.sharpness` units (default 30; sharp 176x144 faces
    /// measure about 750–1250, the same blurred by a 5-pixel motion about 220).
    public var minSharpness: Float = 30
    /// Relative sharpness floor: faces below this fraction of the median sharpness of the track's
    /// otherwise good faces count as blurry (default 0.4), which catches motion blur whatever the
    /// source resolution.
    public var minRelativeSharpness: Float = 0.4
    /// Maximum |yaw| in degrees (default 40).
    public var maxYaw: Float = 40
    /// Maximum |roll| in degrees (default 45; alignment levels the eyes, so roll only flags odd
    /// poses: the head tilts of carphone reach 35°).
    public var maxRoll: Float = 45
    /// Whether interpolated faces (`--detect-every N`) may be kept (default false: their landmarks
    /// are guesses, so their crops are less well aligned).
    public var allowInterpolated: Bool = false
    /// A face whose `DuplicateSignature` differs from a kept face's by less than this mean absolute
    /// gray difference is a duplicate (default 3.0 levels; on carphone consecutive frames differ by
    /// a median 3.3, frames 12 apart by at least 6.7).
    public var duplicateThreshold: Float = 3.0

    public init() {}
}

/// One face of a track offered to the selector.
public struct SelectionCandidate: Sendable, Equatable {
    public var frameIndex: Int
    /// Seconds; faces are spread over this.
    public var time: Double
    public var interpolated: Bool
    public var quality: FaceQuality
    public var signature: DuplicateSignature

    public init(frameIndex: Int, time: Double, interpolated: Bool, quality: FaceQuality, signature: DuplicateSignature) {
        self.frameIndex = frameIndex
        self.time = time
        self.interpolated = interpolated
        self.quality = quality
        self.signature = signature
    }
}

/// The outcome for one track.
public struct SequenceSelection: Sendable, Equatable {
    /// One reason per candidate, in the candidates' order.
    public var reasons: [FaceSelectionReason]
    /// Indices of the kept candidates in time order; empty when the track gives no sequence.
    public var kept: [Int]
    /// Whether the track gives a sequence.
    public var isSequence: Bool { !kept.isEmpty }
}

/// Picks a track's sequence, the Celeb-Seq way.
///
/// 1. Quality floors, checked in this order, give a face its first failing reason:
///    interpolated, low_score, small, pose, blurry (absolute floor, then relative to the median
///    sharpness of the faces that passed everything else).
/// 2. If fewer than `minFaces` faces pass, the track gives no sequence (they get `track_too_few`).
/// 3. Spread: the time span of the passing faces is cut into `maxFaces` equal bins; from each
///    bin, in time order, the best-ranked face that is not a duplicate of a kept face is kept.
///    Rank = `score * (1 - 0.5 |yaw| / maxYaw) * min(2, sharpness / median sharpness)`.
/// 4. Fill: while there is room, the remaining face farthest in time from every kept face (ties
///    by rank) is kept unless it is a duplicate.
/// 5. Faces never needed are `not_selected`; faces checked against the kept ones and found too
///    similar are `duplicate`. If fewer than `minFaces` were kept, the track gives no sequence
///    and those get `track_too_few`.
public struct SequenceSelector: Sendable {
    public let options: SequenceSelectionOptions

    public init(options: SequenceSelectionOptions = SequenceSelectionOptions()) {
        precondition(options.minFaces >= 1 && options.maxFaces >= options.minFaces, "need 1 <= minFaces <= maxFaces")
        self.options = options
    }

    public func select(_ candidates: [SelectionCandidate]) -> SequenceSelection {
        var reasons = candidates.map(floorReason)
        let passing = candidates.indices.filter { reasons[$0] == nil }
        let medianSharpness = Self.median(passing.map { candidates[$0].quality.sharpness })
        for i in passing where candidates[i].quality.sharpness < options.minRelativeSharpness * medianSharpness {
            reasons[i] = .blurry
        }
        let eligible = passing.filter { reasons[$0] == nil }
        guard eligible.count >= options.minFaces else {
            for i in eligible { reasons[i] = .trackTooFew }
            return SequenceSelection(reasons: reasons.map { $0! }, kept: [])
        }

        let rank = candidates.map { c -> Float in
            let frontal = 1 - 0.5 * min(1, abs(c.quality.yaw) / max(options.maxYaw, 1e-3))
            let sharp = medianSharpness > 0 ? min(2, c.quality.sharpness / medianSharpness) : 1
            return c.quality.score * frontal * sharp
        }
        var kept: [Int] = []
        func tryKeep(_ i: Int) -> Bool {
            for k in kept where candidates[i].signature.meanAbsoluteDifference(to: candidates[k].signature) < options.duplicateThreshold {
                reasons[i] = .duplicate
                return false
            }
            reasons[i] = .kept
            kept.append(i)
            return true
        }

        // Spread: one face per equal time bin.
        let times = eligible.map { candidates[$0].time }
        let t0 = times.min()!, t1 = times.max()!
        let binCount = options.maxFaces
        var bins = [[Int]](repeating: [], count: binCount)
        for i in eligible {
            let b = t1 > t0 ? Int(Double(binCount) * (candidates[i].time - t0) / (t1 - t0)) : 0
            bins[min(binCount - 1, max(0, b))].append(i)
        }
        for bin in bins {
            for i in bin.sorted(by: { rank[$0] > rank[$1] }) where tryKeep(i) { break }
        }

        // Fill: farthest in time from the kept faces first.
        while kept.count < options.maxFaces {
            var best: (index: Int, gap: Double)?
            for i in eligible where reasons[i] == nil {
                let gap = kept.map { abs(candidates[$0].time - candidates[i].time) }.min() ?? .infinity
                if best == nil || gap > best!.gap || (gap == best!.gap && rank[i] > rank[best!.index]) { best = (i, gap) }
            }
            guard let best else { break }
            _ = tryKeep(best.index)
        }

        for i in eligible where reasons[i] == nil { reasons[i] = .notSelected }
        if kept.count < options.minFaces {
            for i in kept { reasons[i] = .trackTooFew }
            kept = []
        }
        kept.sort { (candidates[$0].time, $0) < (candidates[$1].time, $1) }
        return SequenceSelection(reasons: reasons.map { $0! }, kept: kept)
    }

    /// The first quality floor the candidate fails (nil when it passes them all); the relative
    /// sharpness floor is applied later, against the passing faces.
    private func floorReason(_ c: SelectionCandidate) -> FaceSelectionReason? {
        if c.interpolated && !options.allowInterpolated { return .interpolated }
        if c.quality.score < options.minScore { return .lowScore }
        if c.quality.eyeDistance < options.minEyeDistance { return .small }
        if abs(c.quality.yaw) > options.maxYaw || abs(c.quality.roll) > options.maxRoll { return .pose }
        if c.quality.sharpness < options.minSharpness { return .blurry }
        return nil
    }

    static func median(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
