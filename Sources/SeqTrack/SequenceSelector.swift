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
    /// Found on a frame that ingest does not measure (`ingest --measure-every N`): the face is
    /// in its track, but no crop was cut for it, so it cannot be kept.
    case unmeasured
    /// Too similar to a face already kept (`duplicateThreshold`).
    case duplicate
    /// Its embedding is within `minEmbeddingDistance` of a kept face's: the same look again.
    case duplicateEmbedding = "duplicate_embedding"
    /// Fewer than `minFrameGap` frames from a kept face (adjacent frames), in a track long enough
    /// to give its sequence without it.
    case adjacent
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
    /// Kept faces lie at least this many frames apart (default 2: never adjacent frames),
    /// unless the track is too short to give `minFaces` faces that way.
    public var minFrameGap: Int = 2
    /// Two faces that both have an embedding and lie closer than this are the same look: only
    /// one is kept (default 0.1), unless the track then gives fewer than `minFaces` faces.
    public var minEmbeddingDistance: Float = 0.1

    public init() {}
}

/// One face of a track offered to the selector.
public struct SelectionCandidate: Sendable, Equatable {
    public var frameIndex: Int
    /// Seconds; faces are spread over this.
    public var time: Double
    public var interpolated: Bool
    /// False for a face found but not measured (no crop, no sharpness): never kept.
    public var measured: Bool
    public var quality: FaceQuality
    public var signature: DuplicateSignature
    /// The face's identity embedding, when it was sampled for one.
    public var embedding: [Float]?

    public init(frameIndex: Int, time: Double, interpolated: Bool, quality: FaceQuality, signature: DuplicateSignature,
                embedding: [Float]? = nil, measured: Bool = true) {
        self.frameIndex = frameIndex
        self.time = time
        self.interpolated = interpolated
        self.measured = measured
        self.quality = quality
        self.signature = signature
        self.embedding = embedding
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
///    interpolated, unmeasured, low_score, small, pose, blurry (absolute floor, then relative to the median
///    sharpness of the faces that passed everything else).
/// 2. If fewer than `minFaces` faces pass, the track gives no sequence (they get `track_too_few`).
/// 3. Spread: the time span of the passing faces is cut into `maxFaces` equal bins; from each
///    bin, in time order, the best-ranked face that is not a duplicate of a kept face is kept.
///    Rank = `score * (1 - 0.5 |yaw| / maxYaw) * min(2, sharpness / median sharpness)`.
/// 4. Fill: while there is room, the remaining face farthest in time from every kept face (ties
///    by rank) is kept unless it is a duplicate.
/// 5. Faces never needed are `not_selected`; faces checked against the kept ones and found too
///    similar are `duplicate` (crop signature), `duplicate_embedding` (embedding), or
///    `adjacent` (fewer than `minFrameGap` frames from a kept face). If fewer than `minFaces`
///    were kept, the embedding test and then the frame gap are relaxed (a short track may keep
///    adjacent frames); if still too few, the track gives no sequence and those get
///    `track_too_few`.
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
        // Strictest first; each relaxation only runs when the stricter one kept too few.
        var outcome = (reasons: reasons, kept: [Int]())
        for (gap, byEmbedding) in [(true, true), (true, false), (false, false)] {
            outcome = spread(candidates, eligible: eligible, rank: rank, reasons: reasons, gap: gap, byEmbedding: byEmbedding)
            if outcome.kept.count >= options.minFaces { break }
        }
        reasons = outcome.reasons
        var kept = outcome.kept
        if kept.count < options.minFaces {
            for i in kept { reasons[i] = .trackTooFew }
            kept = []
        }
        kept.sort { (candidates[$0].time, $0) < (candidates[$1].time, $1) }
        return SequenceSelection(reasons: reasons.map { $0! }, kept: kept)
    }

    /// Steps 3 and 4 (spread, then fill) over the eligible faces, with the frame-gap and
    /// embedding tests on or off.
    private func spread(_ candidates: [SelectionCandidate], eligible: [Int], rank: [Float], reasons start: [FaceSelectionReason?],
                        gap: Bool, byEmbedding: Bool) -> (reasons: [FaceSelectionReason?], kept: [Int]) {
        var reasons = start
        var kept: [Int] = []
        func tryKeep(_ i: Int) -> Bool {
            let c = candidates[i]
            // The most telling reason first: the same crop, then the same embedding, then only near in time.
            if kept.contains(where: { c.signature.meanAbsoluteDifference(to: candidates[$0].signature) < options.duplicateThreshold }) {
                reasons[i] = .duplicate
                return false
            }
            if byEmbedding, let a = c.embedding, kept.contains(where: { k in
                candidates[k].embedding.map { EmbeddingMath.distance(a, $0) < options.minEmbeddingDistance } ?? false
            }) {
                reasons[i] = .duplicateEmbedding
                return false
            }
            if gap && kept.contains(where: { abs(c.frameIndex - candidates[$0].frameIndex) < options.minFrameGap }) {
                reasons[i] = .adjacent
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
        return (reasons, kept)
    }

    /// The first quality floor the candidate fails (nil when it passes them all); the relative
    /// sharpness floor is applied later, against the passing faces.
    private func floorReason(_ c: SelectionCandidate) -> FaceSelectionReason? {
        if c.interpolated && !options.allowInterpolated { return .interpolated }
        if !c.measured { return .unmeasured }
        return floorReason(c.quality)
    }

    /// The first absolute quality floor a measured face fails (low_score, small, pose,
    /// blurry), or nil when it passes them all and so may be kept. Ingest embeds only such
    /// faces: one that fails can never enter a sequence, and its embedding is the least reliable.
    public func floorReason(_ q: FaceQuality) -> FaceSelectionReason? {
        if q.score < options.minScore { return .lowScore }
        if q.eyeDistance < options.minEyeDistance { return .small }
        if abs(q.yaw) > options.maxYaw || abs(q.roll) > options.maxRoll { return .pose }
        if q.sharpness < options.minSharpness { return .blurry }
        return nil
    }

    static func median(_ values: [Float]) -> Float {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
