/// Settings of `TrackJoiner`.
public struct TrackJoinOptions: Sendable, Equatable, Codable {
    /// Two fragments are one person when the mean embeddings of their faces are closer than
    /// this (Euclidean; default 0.5: a mean against a mean; see docs/ingest.md).
    public var threshold: Float = 0.5
    /// Fragments further apart than this many frames (last face of one to first of the next)
    /// are not joined, whatever their faces; nil: any gap inside the shot (default 150, 5 s
    /// at 30 fps: ingest holds a track until no later fragment can join it any more, so this
    /// bounds what a long shot keeps in memory).
    public var maxGap: Int? = 150

    public init() {}
}

/// Joins the fragments of one person inside one shot: tracks broken by missed detections or a
/// bad box are linked back into one track when their faces match.
///
/// The tracks given must all lie in one shot. In order of first frame, each track is appended
/// to the earlier chain that ended before it starts and whose person (mean embedding of all
/// the chain's faces) is nearest to its own, when that distance is under `threshold`. Tracks
/// without any embedding are never joined. A chain keeps the id of its first track and the end
/// reason of its last. Frames between two joined fragments stay empty (no face was seen there).
public struct TrackJoiner: Sendable {
    public let options: TrackJoinOptions

    public init(options: TrackJoinOptions = TrackJoinOptions()) {
        self.options = options
    }

    /// One joining of fragments: the track that ended first and the one appended to it.
    public struct Join: Sendable, Equatable {
        public var earlierID: Int
        public var laterID: Int
        public var distance: Float
    }

    /// The tracks of one shot joined into chains, ordered by first frame then id, and the joins made.
    public func join(_ tracks: [FaceTrack]) -> (tracks: [FaceTrack], joins: [Join]) {
        let ordered = tracks.sorted { ($0.firstFrame, $0.id) < ($1.firstFrame, $1.id) }
        var chains: [FaceTrack] = []
        var sums: [[Float]?] = []
        var counts: [Int] = []
        var joins: [Join] = []
        for track in ordered {
            let own = track.embeddings
            let person = EmbeddingMath.mean(own)
            var best: (chain: Int, distance: Float)?
            if let person {
                for (c, chain) in chains.enumerated() where chain.lastFrame < track.firstFrame {
                    guard let sum = sums[c] else { continue }
                    if let maxGap = options.maxGap, track.firstFrame - chain.lastFrame - 1 > maxGap { continue }
                    let d = EmbeddingMath.distance(sum.map { $0 / Float(counts[c]) }, person)
                    if d < options.threshold, d < (best?.distance ?? .infinity) { best = (c, d) }
                }
            }
            if let best {
                joins.append(Join(earlierID: chains[best.chain].id, laterID: track.id, distance: best.distance))
                chains[best.chain].observations += track.observations
                chains[best.chain].endReason = track.endReason
                var sum = sums[best.chain]!
                for e in own where e.count == sum.count { for i in e.indices { sum[i] += e[i] } }
                sums[best.chain] = sum
                counts[best.chain] += own.count
            } else {
                chains.append(track)
                var sum: [Float]?
                if let first = own.first {
                    var s = [Float](repeating: 0, count: first.count)
                    for e in own where e.count == s.count { for i in e.indices { s[i] += e[i] } }
                    sum = s
                }
                sums.append(sum)
                counts.append(own.count)
            }
        }
        return (chains.sorted { ($0.firstFrame, $0.id) < ($1.firstFrame, $1.id) }, joins)
    }
}
