import SeqDetect

/// Which frames' faces the default ingest (key frames and refinement) embeds for identity
/// decisions. Embeddings are what identity needs and the largest cost identity adds, so they
/// are spent where a track's person can change or is not known yet:
///
/// - **dense** (`every`, `IngestOptions.embedEvery`, default 10): the first measured frame of
///   each block of `every` frames is embedded while a face on it is new (no face of the last
///   embedded frame at IoU 0.3, or a shot was cut since) or two faces on it are near each other
///   (centres closer than the sum of their widths: they may cross, and the tracker's identity
///   guard needs an embedding on both sides then);
/// - **settled** (`settledEvery`, `IngestOptions.embedSettledEvery`, default 30): otherwise, a
///   block's frame is embedded only when that many frames have passed since the last embedded
///   one. A lone face that stays in place is still checked once a second at 30 fps, so a person
///   who changes without a cut (a missed cut, a box that slides to someone else) is split at
///   most that late.
///
/// `settledEvery <= every` embeds every block's frame (the rule before this schedule). Frames
/// are taken in order, one call each, on the thread that finds the faces.
struct EmbeddingSchedule {
    let every: Int
    let settledEvery: Int
    /// A face is new until it has been embedded this many times (at `every`): a track's person
    /// (the mean of its embeddings) is first learnt from samples close in time, so that the
    /// sparse samples after it are compared with a mean that has seen the face move.
    static let newFaceSamples = 2
    /// The last embedded frame (nil: none in this shot).
    private var lastEmbedded: Int?
    /// The faces embedded there, with how many times each had been embedded (itself included).
    private var lastFaces: [(box: FaceBox, samples: Int)] = []
    /// Frames embedded so far.
    private(set) var embeddedFrames = 0

    init(every: Int, settledEvery: Int) {
        self.every = max(every, 1)
        self.settledEvery = max(settledEvery, 1)
    }

    /// Whether to embed the faces `boxes` of frame `index`; `candidate`: the frame is measured
    /// and starts a block of `every` frames; `cut`: a shot starts at it.
    mutating func embeds(frame index: Int, boxes: [FaceBox], candidate: Bool, cut: Bool) -> Bool {
        if cut {
            lastEmbedded = nil
            lastFaces = []
        }
        guard candidate, !boxes.isEmpty else { return false }
        // Each face's samples so far: those of the embedded face it overlaps at IoU 0.3 (0: new).
        let samples = boxes.map { b in lastFaces.filter { $0.box.iou(b) >= 0.3 }.map(\.samples).max() ?? 0 }
        let due = lastEmbedded.map { index - $0 >= settledEvery } ?? true
        let young = samples.contains { $0 < Self.newFaceSamples }
        guard due || young || Self.hasNearFaces(boxes) else { return false }
        lastEmbedded = index
        lastFaces = zip(boxes, samples).map { ($0, $1 + 1) }
        embeddedFrames += 1
        return true
    }

    /// True when two faces' centres lie closer than the sum of their widths.
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
