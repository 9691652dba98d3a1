import Foundation

/// A box the cascade is still considering: corners, score, the regression offsets the
/// network predicted for it, and (after O-Net) its landmarks.
struct Candidate {
    var x1: Float, y1: Float, x2: Float, y2: Float
    var score: Float
    /// Offsets of the four corners in units of the box size (P-Net: width/height without +1).
    var reg: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var landmarks: [Point2] = []
}

/// How two boxes' overlap is measured.
enum OverlapMeasure {
    /// Intersection over union with continuous areas, as torchvision's `nms`
    /// (used by the reference after P-Net and R-Net).
    case union
    /// Intersection over the smaller area, pixel-inclusive (+1) sides, as the original
    /// MTCNN's "Min" NMS after O-Net.
    case minimum
}

/// Greedy non-maximum suppression: visit boxes from the highest score down (ties keep their
/// input order) and drop every later box whose overlap with a kept one exceeds `threshold`.
/// Returns the kept indices, highest score first.
func nonMaximumSuppression(_ boxes: [Candidate], threshold: Float, measure: OverlapMeasure) -> [Int] {
    let n = boxes.count
    if n == 0 { return [] }
    let order = (0..<n).sorted { a, b in
        boxes[a].score != boxes[b].score ? boxes[a].score > boxes[b].score : a < b
    }
    let plus: Float = measure == .minimum ? 1 : 0
    var x1 = [Float](), y1 = [Float](), x2 = [Float](), y2 = [Float](), area = [Float]()
    x1.reserveCapacity(n); y1.reserveCapacity(n); x2.reserveCapacity(n); y2.reserveCapacity(n); area.reserveCapacity(n)
    for i in order {
        let b = boxes[i]
        x1.append(b.x1); y1.append(b.y1); x2.append(b.x2); y2.append(b.y2)
        area.append((b.x2 - b.x1 + plus) * (b.y2 - b.y1 + plus))
    }
    var suppressed = [Bool](repeating: false, count: n)
    var keep: [Int] = []
    for p in 0..<n where !suppressed[p] {
        keep.append(order[p])
        let ax1 = x1[p], ay1 = y1[p], ax2 = x2[p], ay2 = y2[p], aa = area[p]
        for q in (p + 1)..<n where !suppressed[q] {
            let w = max(0, min(ax2, x2[q]) - max(ax1, x1[q]) + plus)
            let h = max(0, min(ay2, y2[q]) - max(ay1, y1[q]) + plus)
            let inter = w * h
            let overlap: Float
            switch measure {
            case .union: overlap = inter / (aa + area[q] - inter)
            case .minimum: overlap = inter / min(aa, area[q])
            }
            if overlap > threshold { suppressed[q] = true }
        }
    }
    return keep
}
