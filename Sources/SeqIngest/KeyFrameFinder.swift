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
/// - a refinement failed on the previous frame (a face was lost or two faces merged: the
///   picture is uncertain, so it is checked by full detection at once).
///
/// It runs in frame order on one thread: each frame's refinement needs the faces of the frame
/// before. Full detection parallelises inside MTCNN (`MTCNNOptions.parallelPyramid`).
struct KeyFrameFinder {
    private struct Followed {
        var detection: FaceDetection
        /// Movement of the box centre per frame (pixels), from the face's last two frames.
        var velocity = Point2(0, 0)
    }

    let detector: MTCNN
    let keyFrameInterval: Int
    private var followed: [Followed] = []
    private var lastKeyFrame: Int?
    private var uncertain = false
    /// Key frames run so far, and faces refined.
    private(set) var keyFrames = 0
    private(set) var refinedFaces = 0

    init(detector: MTCNN, keyFrameInterval: Int) {
        precondition(keyFrameInterval >= 1, "key frame interval must be at least 1")
        self.detector = detector
        self.keyFrameInterval = keyFrameInterval
    }

    /// The faces of the next frame (frames in decoding order, every one of them); `cut` is true
    /// when a new shot starts at it (`VideoAnalysis.cut(at:)`).
    mutating func faces(in frame: VideoFrame, cut: Bool) -> [FoundFace] {
        if isKeyFrame(frame.index, cut: cut) {
            lastKeyFrame = frame.index
            keyFrames += 1
            uncertain = false
            let found = detector.detect(frame.image)
            followed = found.map { Followed(detection: $0) }
            return found.map { FoundFace(detection: $0, source: .detected) }
        }
        let predicted = followed.map { f in Self.shifted(f.detection.box, by: f.velocity) }
        let refined = detector.refine(frame.image, around: predicted)
        var next: [Followed] = []
        for (f, r) in zip(followed, refined) {
            guard let r else { continue }
            // Two followed faces that settled on the same face are one: keep the better one.
            if let k = next.firstIndex(where: { $0.detection.box.iou(r.box) > 0.5 }) {
                if r.score > next[k].detection.score { next[k] = Self.follow(f, to: r) }
                continue
            }
            next.append(Self.follow(f, to: r))
        }
        uncertain = next.count < followed.count
        followed = next
        refinedFaces += next.count
        return next.map { FoundFace(detection: $0.detection, source: .refined) }
    }

    private func isKeyFrame(_ index: Int, cut: Bool) -> Bool {
        guard let last = lastKeyFrame else { return true }
        return cut || uncertain || index - last >= keyFrameInterval
    }

    /// The face followed into its new place; the velocity is smoothed over frames (half the
    /// last step, half the earlier velocity), as the tracker predicts.
    private static func follow(_ f: Followed, to d: FaceDetection) -> Followed {
        let step = Point2(d.box.center.x - f.detection.box.center.x, d.box.center.y - f.detection.box.center.y)
        return Followed(detection: d, velocity: Point2(0.5 * step.x + 0.5 * f.velocity.x, 0.5 * step.y + 0.5 * f.velocity.y))
    }

    private static func shifted(_ b: FaceBox, by v: Point2) -> FaceBox {
        FaceBox(x1: b.x1 + v.x, y1: b.y1 + v.y, x2: b.x2 + v.x, y2: b.y2 + v.y)
    }
}
