import SeqDetect

/// Which faces the default ingest (key frames and refinement) embeds for identity decisions.
/// Embeddings are what identity needs and the largest cost identity adds, so they are spent
/// where a track's person can change or is not known yet. Candidates are the faces of the first
/// measured frame of each block of `embedEvery` frames (`IngestOptions.embedEvery`, default 10); a
/// candidate face is embedded when
///
/// - it is **new**: it overlaps no face of the last candidate frame at IoU 0.3 (or a shot was
///   cut since: the same place may show another person), or it has been embedded fewer than
///   `newFaceSamples` times: a track's person (the mean of its embeddings) is first learnt from
///   samples close in time;
/// - faces on its frame are **near** each other (centres closer than 0.75 times the sum of
///   their widths, about half a face between them): people who may cross, where the tracker's
///   identity guard needs an embedding on both sides;
/// - otherwise, when `settledEvery` frames (`IngestOptions.embedSettledEvery`, default 30) have
///   passed since it was last embedded: a face that stays is checked once a second at 30 fps,
///   so a person who changes without a cut is split at most that late.
///
/// `settledEvery <= embedEvery` embeds every candidate (the rule before this schedule). Frames are
/// taken in order, one call each, on the thread that finds the faces. `VideoIngestor` further
/// skips faces that fail a quality floor, except on frames with faces near each other.
struct EmbeddingSchedule {
    let settledEvery: Int
    /// A face counts as new until it has been embedded this many times.
    static let newFaceSamples = 2

    /// A face of the last candidate frame.
    private struct Known {
        var box: FaceBox
        /// How many times it was embedded.
        var samples = 0
        /// The frame it was last embedded on.
        var lastEmbedded: Int?
    }
    private var known: [Known] = []
    /// Faces embedded so far.
    private(set) var embeddedFaces = 0

    init(settledEvery: Int) {
        self.settledEvery = max(settledEvery, 1)
    }

    /// Which of the faces `boxes` of frame `index` to embed; `candidate`: the frame is measured
    /// and starts a block of `embedEvery` frames; `cut`: a shot starts at it.
    mutating func embeds(frame index: Int, boxes: [FaceBox], candidate: Bool, cut: Bool) -> [Bool] {
        if cut { known = [] }
        guard candidate, !boxes.isEmpty else { return Array(repeating: false, count: boxes.count) }
        let near = Self.hasNearFaces(boxes)
        var faces: [Known] = []
        var out: [Bool] = []
        for box in boxes {
            // The face it continues: the most sampled one it overlaps (none: new).
            let earlier = known.filter { $0.box.iou(box) >= 0.3 }.max { $0.samples < $1.samples }
            var face = Known(box: box, samples: earlier?.samples ?? 0, lastEmbedded: earlier?.lastEmbedded)
            let due = face.lastEmbedded.map { index - $0 >= settledEvery } ?? true
            let embed = near || face.samples < Self.newFaceSamples || due
            if embed {
                face.samples += 1
                face.lastEmbedded = index
                embeddedFaces += 1
            }
            faces.append(face)
            out.append(embed)
        }
        known = faces
        return out
    }

    /// True when two faces' centres lie closer than 0.75 times the sum of their widths.
    static func hasNearFaces(_ boxes: [FaceBox]) -> Bool {
        for i in boxes.indices {
            for j in boxes.indices where j > i {
                let a = boxes[i].center, b = boxes[j].center
                let dx = a.x - b.x, dy = a.y - b.y
                let reach = 0.75 * (boxes[i].width + boxes[j].width)
                if dx * dx + dy * dy < reach * reach { return true }
            }
        }
        return false
    }
}
