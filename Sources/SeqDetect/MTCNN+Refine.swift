import Foundation
import SeqMedia

extension MTCNN {
    /// Re-finds known faces without the P-Net pyramid: for each box (where a face is expected in
    /// `image`, e.g. a track's predicted box), R-Net scores and regresses the square around it and
    /// O-Net scores the result, regresses it again and places the five landmarks, as the last two
    /// stages of `detect` do for P-Net's proposals.
    ///
    /// Returns one entry per box, in order: the face found there, or nil when R-Net or O-Net
    /// scores it below its threshold (the face is gone, turned away or covered). Boxes are
    /// not suppressed against each other; callers that refine several tracks drop duplicates.
    /// Costs two small network passes per box, independent of the image size (only the region
    /// around the boxes is read). `options.maxSide` does not apply: crops come from `image` itself.
    public func refine(_ image: Image, around boxes: [FaceBox]) -> [FaceDetection?] {
        var result = [FaceDetection?](repeating: nil, count: boxes.count)
        guard image.width > 0, image.height > 0, !boxes.isEmpty else { return result }
        // The squares R-Net looks at, and the image region that holds them all (clipped).
        let squares = boxes.map { b in squared(Candidate(x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, score: 0)) }
        let margin: Float = 2
        let rx0 = max(0, Int((squares.map(\.x1).min()! - margin).rounded(.down)))
        let ry0 = max(0, Int((squares.map(\.y1).min()! - margin).rounded(.down)))
        let rx1 = min(image.width, Int((squares.map(\.x2).max()! + margin).rounded(.up)))
        let ry1 = min(image.height, Int((squares.map(\.y2).max()! + margin).rounded(.up)))
        guard rx1 > rx0, ry1 > ry0 else { return result }
        let region = RGBRegion(image, x0: rx0, y0: ry0, width: rx1 - rx0, height: ry1 - ry0)
        let dx = Float(rx0), dy = Float(ry0)
        // Candidates in region coordinates; crops clip them to the region as detect clips to the frame.
        let local = squares.map { s in Candidate(x1: s.x1 - dx, y1: s.y1 - dy, x2: s.x2 - dx, y2: s.y2 - dy, score: 0) }

        // R-Net: keep, regress and square each box that still holds a face.
        let (rInput, rValid) = crops(region, local, side: 24)
        guard !rValid.isEmpty else { return result }
        let rOut = withNetworks { $0.rnet(rInput) }
        var stage2: [(index: Int, box: Candidate)] = []
        for (k, i) in rValid.enumerated() where rOut.probability[k] > options.thresholds.rnet {
            var b = local[i]
            b.score = rOut.probability[k]
            b.reg = (rOut.offsets[4 * k], rOut.offsets[4 * k + 1], rOut.offsets[4 * k + 2], rOut.offsets[4 * k + 3])
            stage2.append((i, squared(regressed(b))))
        }
        guard !stage2.isEmpty else { return result }

        // O-Net: final score, landmarks and box.
        let (oInput, oValid) = crops(region, stage2.map(\.box), side: 48)
        guard !oValid.isEmpty else { return result }
        let oOut = withNetworks { $0.onet(oInput) }
        for (k, j) in oValid.enumerated() where oOut.probability[k] > options.thresholds.onet {
            var b = stage2[j].box
            b.score = oOut.probability[k]
            b.reg = (oOut.offsets[4 * k], oOut.offsets[4 * k + 1], oOut.offsets[4 * k + 2], oOut.offsets[4 * k + 3])
            // As in detect: landmarks relative to the box O-Net saw, pixel-inclusive, one-based.
            let w = b.x2 - b.x1 + 1, h = b.y2 - b.y1 + 1
            let landmarks = (0..<5).map { p in
                Point2(w * oOut.landmarks[10 * k + p] + b.x1 - 1 + dx, h * oOut.landmarks[10 * k + 5 + p] + b.y1 - 1 + dy)
            }
            let r = regressed(b)
            result[stage2[j].index] = FaceDetection(box: FaceBox(x1: r.x1 + dx, y1: r.y1 + dy, x2: r.x2 + dx, y2: r.y2 + dy),
                                                    score: r.score, landmarks: landmarks)
        }
        return result
    }
}
