import Foundation
import SeqCatalog
import SeqDetect
import SeqMedia
import SeqTrack

/// A face of a frame and how it was found.
struct FoundFace {
    var detection: FaceDetection
    var source: FaceSource
}

/// The default ingest's face finder: full MTCNN (the P-Net pyramid) only on key frames, and on
/// the frames between a per-face refinement (`MTCNN.refine`: R-Net and O-Net on the box
/// predicted from the face's last two frames), which costs a small, fixed amount per face
/// instead of a pass over the whole frame. See docs/ingest.md.
///
/// A frame is a key frame when
/// - it is the first frame, or `keyFrameInterval` frames have passed since the last key frame
///   (new faces are found at most that late);
/// - a shot cut starts at it (the faces of the last shot say nothing about the new one);
/// - a face was lost (its refinement failed, or two faces merged) within the last
///   `keyFrameInterval` frames and full detection has not found as many faces again: the
///   picture is uncertain, so every second frame (`searchStep`) is detected until the face is
///   back or the interval has passed; the lost faces' last places are refined on every frame
///   meanwhile, so a face missed for a few frames is found on the frame it returns.
///
/// Periodic key frames (the interval has passed, nothing else asks for one) are full only
/// every `fullKeyFrameEvery`-th time. The others are **light**: the followed faces are refined
/// as on any frame, and full MTCNN looks only for new faces of at least `lightMinFaceSize`
/// pixels (a pyramid starting at a smaller scale: at twice the smallest face, about a quarter
/// of the work). So a new face is found at most `keyFrameInterval` frames late when it is that
/// large, and `keyFrameInterval * fullKeyFrameEvery` frames late when it is smaller. A light key
/// frame whose refinement fails is detected in full at once.
///
/// Searches after a loss, and the detection that replaces a failed refinement, look for the
/// faces the finder knows of (followed or lost): MTCNN runs from half the smallest of those
/// faces up (`knownFacesMinSize`, never under the detector's minimum), not from the smallest
/// face it could find. On the 720p Megamind clip these were 23 of 33 full detections.
///
/// It runs in frame order on one thread: each frame's refinement needs the faces of the frame
/// before. Full detection parallelises inside MTCNN (`MTCNNOptions.parallelPyramid`).
struct KeyFrameFinder {
    private struct Followed {
        var detection: FaceDetection
        /// The frame the face was last seen on.
        var frame: Int
        /// Movement of the box centre per frame (pixels), from the face's last two frames.
        var velocity = Point2(0, 0)
    }

    let detector: MTCNN
    let keyFrameInterval: Int
    /// Every this many periodic key frames, one is full; the others are light (see above).
    let fullKeyFrameEvery: Int
    /// The smallest new face light key frames look for.
    let lightMinFaceSize: Float
    /// Periodic key frames so far (full or light).
    private var periodicKeyFrames = 0
    private var followed: [Followed] = []
    private var lastKeyFrame: Int?
    /// The frame before the one being found (-1: none yet); the decoder may have dropped frames between.
    private var previousFrame = -1
    /// After a loss: detect every `searchStep`-th frame up to this one, unless the faces are found again.
    private var searchUntil: Int?
    /// How many faces were followed before the loss.
    private var facesBeforeLoss = 0
    /// Faces lost in this shot, refined again at their last place until frame `until`
    /// (`2 * keyFrameInterval` frames): a face hidden or blurred for a while comes back there,
    /// often after the search by full detection has ended.
    private var lost: [(box: FaceBox, until: Int)] = []
    /// Key frames run so far (full and light), light ones among them, and faces refined.
    private(set) var keyFrames = 0
    private(set) var lightKeyFrames = 0
    private(set) var refinedFaces = 0

    /// - Parameters:
    ///   - fullKeyFrameEvery: 1 makes every key frame full.
    ///   - lightMinFaceSize: nil: twice the detector's minimum face size.
    init(detector: MTCNN, keyFrameInterval: Int, fullKeyFrameEvery: Int = 1, lightMinFaceSize: Float? = nil) {
        precondition(keyFrameInterval >= 1, "key frame interval must be at least 1")
        precondition(fullKeyFrameEvery >= 1, "full key frames must come at least every key frame")
        self.detector = detector
        self.keyFrameInterval = keyFrameInterval
        self.fullKeyFrameEvery = fullKeyFrameEvery
        self.lightMinFaceSize = lightMinFaceSize ?? 2 * detector.options.minFaceSize
    }

    /// The faces of the next frame (frames in order, each one decoded; the decoder may have
    /// dropped frames between, see `IngestOptions.skipNonReferenceFrames`); `cut` is true
    /// when a new shot starts at it (`VideoAnalysis.cut(at:)`).
    mutating func faces(in frame: VideoFrame, cut: Bool) -> [FoundFace] {
        defer { previousFrame = frame.index }
        switch kind(of: frame.index, cut: cut) {
        case .full: return keyFrame(frame, cut: cut)
        case .search: return keyFrame(frame, cut: false, minFaceSize: knownFacesMinSize)
        case .light: return lightKeyFrame(frame) ?? keyFrame(frame, cut: false)
        case .refined: return refined(frame) ?? keyFrame(frame, cut: false, minFaceSize: knownFacesMinSize)
        }
    }

    /// A light key frame: the followed faces refined, and new faces of at least
    /// `lightMinFaceSize` added from full MTCNN with that minimum; nil when a refinement failed.
    private mutating func lightKeyFrame(_ frame: VideoFrame) -> [FoundFace]? {
        guard let followedFaces = refined(frame) else { return nil }
        lastKeyFrame = frame.index
        keyFrames += 1
        lightKeyFrames += 1
        // Only new faces are wanted: R-Net and O-Net skip the candidates on the faces followed.
        let new = detector.detect(frame.image, minFaceSize: lightMinFaceSize,
                                  excluding: followedFaces.map(\.detection.box), overlap: 0.3,
                                  pnetThreshold: Self.surePNetThreshold)
        lost.removeAll { l in new.contains { $0.box.iou(l.box) > 0.3 } }
        followed += new.map { Followed(detection: $0, frame: frame.index) }
        return followedFaces + new.map { FoundFace(detection: $0, source: .detected) }
    }

    /// Full detection on `frame`.
    private mutating func keyFrame(_ frame: VideoFrame, cut: Bool, minFaceSize: Float? = nil) -> [FoundFace] {
        lastKeyFrame = frame.index
            keyFrames += 1
            if cut {  // a new shot: the faces lost before do not matter
                searchUntil = nil
                lost.removeAll()
                // Which periodic key frames are full restarts with each shot, so that a video
                // resumed at a cut (after a killed run) finds the same faces as one that never stopped.
                periodicKeyFrames = 0
            }
            // Searches for known faces (a minimum size given) take P-Net's surer proposals only.
            let found = detector.detect(frame.image, minFaceSize: minFaceSize ?? detector.options.minFaceSize, excluding: [],
                                        pnetThreshold: minFaceSize == nil ? nil : Self.surePNetThreshold)
            if let until = searchUntil, found.count >= facesBeforeLoss || frame.index >= until { searchUntil = nil }
            lost.removeAll { l in l.until < frame.index || found.contains { $0.box.iou(l.box) > 0.3 } }
            // Faces followed until now that full detection does not find are lost as well.
            let missing = cut ? [] : followed.filter { f in !found.contains { $0.box.iou(f.detection.box) > 0.3 } }
            if !missing.isEmpty { noteLoss(at: frame.index, of: missing.map(\.detection.box), among: followed.count) }
            followed = found.map { Followed(detection: $0, frame: frame.index) }
            return found.map { FoundFace(detection: $0, source: .detected) }
    }

    /// The followed faces refined on `frame`, or nil when a refinement failed or jumped (its
    /// box overlaps the predicted one by less than `jumpIoU`): the frame is then detected in
    /// full instead, so a face is never missing, or jittering, on a frame that full detection
    /// would give. (Measured on carphone at 720p: refined boxes of a 330-pixel face could grow
    /// by 100 pixels in a frame, which split its track.)
    private mutating func refined(_ frame: VideoFrame) -> [FoundFace]? {
        lost.removeAll { $0.until < frame.index }
        let predicted = followed.map { f in Self.shifted(f.detection.box, by: f.velocity, frames: frame.index - f.frame) } + lost.map(\.box)
        let refined = detector.refine(frame.image, around: predicted)
        var next: [Followed] = []
        var failed: [FaceBox] = []
        var foundAgain = Set<Int>()
        for (i, r) in refined.enumerated() {
            let isFollowed = i < followed.count
            guard let r else {
                if isFollowed { return nil }
                continue
            }
            if isFollowed && r.box.iou(predicted[i]) < Self.jumpIoU { return nil }
            if !isFollowed { foundAgain.insert(i - followed.count) }
            let face = isFollowed ? Self.follow(followed[i], to: r, at: frame.index) : Followed(detection: r, frame: frame.index)
            // Two faces that settled on the same face are one: keep the better one.
            if let k = next.firstIndex(where: { $0.detection.box.iou(r.box) > 0.5 }) {
                if isFollowed { failed.append(followed[i].detection.box) }
                if r.score > next[k].detection.score { next[k] = face }
                continue
            }
            next.append(face)
        }
        lost = lost.enumerated().filter { !foundAgain.contains($0.offset) }.map(\.element)
        if !failed.isEmpty { noteLoss(at: frame.index, of: failed, among: followed.count) }
        followed = next
        refinedFaces += next.count
        return next.map { FoundFace(detection: $0.detection, source: .refined) }
    }

    /// Faces were lost at `frame` (`boxes`, of `count` followed): full detection runs on every
    /// frame for `keyFrameInterval` frames, and their last places are refined again for twice that.
    private mutating func noteLoss(at frame: Int, of boxes: [FaceBox], among count: Int) {
        if searchUntil == nil { facesBeforeLoss = count }
        searchUntil = frame + keyFrameInterval
        lost += boxes.map { ($0, frame + 2 * keyFrameInterval) }
    }

    private enum FrameKind { case full, search, light, refined }

    /// The smallest face a key frame must look for to find the faces it knows of again (those
    /// followed and those lost): half the smallest of them, but not under the detector's own
    /// minimum. Searches after a loss and the full detection after a failed refinement look for
    /// those faces; new faces of every size are found by the next full periodic key frame.
    private var knownFacesMinSize: Float {
        let sides = followed.map { min($0.detection.box.width, $0.detection.box.height) } + lost.map { min($0.box.width, $0.box.height) }
        return max(detector.options.minFaceSize, 0.5 * (sides.min() ?? 0))
    }

    /// What the frame at `index` gets: full detection (first frame, cut, search after a loss,
    /// every `fullKeyFrameEvery`-th periodic key frame), a light key frame, or refinement.
    private mutating func kind(of index: Int, cut: Bool) -> FrameKind {
        guard let last = lastKeyFrame else { return .full }
        if cut { return .full }
        if let until = searchUntil, index <= until {
            // Searching after a loss: full detection on every `searchStep`-th frame (the lost
            // faces' last places are refined on the frames between).
            // (A frame stands in for a search frame the decoder dropped just before it.)
            let searches = (max(previousFrame + 1, index - Self.searchStep + 1)...index).contains { (until - $0) % Self.searchStep == 0 }
            return searches ? .search : .refined
        }
        guard index - last >= keyFrameInterval else { return .refined }
        periodicKeyFrames += 1
        return periodicKeyFrames % fullKeyFrameEvery == 0 ? .full : .light
    }

    /// The face followed into its new place on frame `index`; the velocity (per frame, over
    /// however many frames passed) is smoothed (half the last step, half the earlier velocity),
    /// as the tracker predicts.
    private static func follow(_ f: Followed, to d: FaceDetection, at index: Int) -> Followed {
        let frames = Float(max(index - f.frame, 1))
        let step = Point2((d.box.center.x - f.detection.box.center.x) / frames, (d.box.center.y - f.detection.box.center.y) / frames)
        return Followed(detection: d, frame: index,
                        velocity: Point2(0.5 * step.x + 0.5 * f.velocity.x, 0.5 * step.y + 0.5 * f.velocity.y))
    }

    /// During a search after a loss, every this many frames is detected in full. Measured on
    /// the 720p clips of tools/bench_ingest.sh (docs/performance.md): 2 cut Megamind's key
    /// frames from 74 to 55 with coverage 97.0 % → 96.75 % and the same sequences; 1 is the
    /// earlier every-frame search.
    static let searchStep = 2

    /// P-Net's threshold where the finder looks for large faces (light key frames: new faces of
    /// twice the minimum size) or for faces it knows (searches after a loss, the detection after
    /// a failed refinement), instead of MTCNN's 0.6: such faces score far above it, while at
    /// 720p the 0.6 proposals are about a hundred mostly background windows, each costing an
    /// R-Net pass. Full key frames (first frame, cuts, every `fullKeyFrameEvery`-th periodic one)
    /// keep MTCNN's own threshold, so small and faint new faces are still found there. Measured
    /// on the 720p clips of tools/bench_ingest.sh (docs/performance.md).
    static let surePNetThreshold: Float = 0.8

    /// A refined box overlapping its prediction less than this has jumped (see `refined`).
    static let jumpIoU: Float = 0.6

    private static func shifted(_ b: FaceBox, by v: Point2, frames: Int) -> FaceBox {
        let n = Float(max(frames, 1))
        return FaceBox(x1: b.x1 + n * v.x, y1: b.y1 + n * v.y, x2: b.x2 + n * v.x, y2: b.y2 + n * v.y)
    }
}
