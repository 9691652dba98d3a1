import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// dlib's frontal face detector (`get_frontal_face_detector`: five HOG filters over an image
/// pyramid), scored only on the few boxes around an estimate of a face: dlib's shape predictor
/// answers differently from different start boxes, so dlib's chip of a face needs the box dlib's
/// detector would report, and that is the best-scoring box among its neighbours.
///
/// The filters are dlib's own, saved by dlib-bin and converted by `tools/dlib_hog.py`; the
/// pyramid (`DlibImagePyramid`) and the features (`FHOG`) are computed as dlib computes them,
/// so the scores agree with dlib's detections (tools/dlib_hog.py check).
public struct DlibFrontalDetector: Sendable {
    /// The file name `tools/setup.sh` writes into `assets/`.
    public static let weightsFileName = "dlib_hog.safetensors"

    /// Filters, [detector][row][column][feature], and each detector's threshold.
    let filters: [Float]
    let thresholds: [Float]
    /// Filter side in cells.
    let size: Int
    var detectorCount: Int { thresholds.count }

    /// Loads the converted detector. Throws a `SeqError` naming the file when it is missing or
    /// not a converted detector.
    public init(weights url: URL) throws {
        let hint = "run tools/setup.sh (or python3 tools/dlib_hog.py convert SVM --out \(url.path))"
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw SeqError("dlib HOG face detector not found; \(hint)", file: url.path)
        }
        let t = try SafeTensors.read(from: url)
        guard let f = t["filters"], let th = t["thresholds"], f.rank == 4, th.rank == 1,
              f.shape[0] == th.shape[0], f.shape[1] == FHOG.featureCount, f.shape[2] == f.shape[3], f.shape[2] > 0 else {
            throw SeqError("dlib HOG face detector unusable (tensors filters [D, 31, F, F] and thresholds [D] expected); \(hint)", file: url.path)
        }
        let d = f.shape[0], n = f.shape[2]
        // [D][31][F][F] -> [D][F][F][31], the layout of the feature blocks.
        var out = [Float](repeating: 0, count: f.data.count)
        for k in 0..<d {
            for p in 0..<FHOG.featureCount {
                for r in 0..<n {
                    for c in 0..<n {
                        out[((k * n + r) * n + c) * FHOG.featureCount + p] = f.data[((k * FHOG.featureCount + p) * n + r) * n + c]
                    }
                }
            }
        }
        filters = out
        thresholds = th.data
        size = n
    }

    /// A detector box and what dlib's detector scores it.
    public struct Candidate: Equatable, Sendable {
        public var box: DlibDetectorGrid.Box
        public var level: Int, column: Int, row: Int
        /// The best filter response minus that detector's threshold (dlib reports a face from 0).
        public var score: Float
        /// Which of the filters (0: frontal, then the turned and tilted ones).
        public var detector: Int
    }

    /// The box dlib's detector would keep near an estimate (left, top, right, bottom in pixels)
    /// of a face in an RGB image: among the boxes of the nearest level and `levelSpread` levels
    /// either side, `cellSpread` cells either way of the estimate's centre, the one scoring
    /// highest over all filters (dlib keeps the best of overlapping boxes). Nil when dlib scans
    /// none of them (too near the image's edge, or larger than the image).
    public func best(near estimate: (left: Float, top: Float, right: Float, bottom: Float), in image: Image,
                     levelSpread: Int = 1, cellSpread: Int = 2) -> Candidate? {
        let centre = DlibDetectorGrid.nearestLevel(left: estimate.left, top: estimate.top, right: estimate.right, bottom: estimate.bottom)
        let lo = max(0, centre - levelSpread), hi = centre + levelSpread
        let pyramid = DlibImagePyramid(image: image, levels: hi + 1)
        let cx = Double(estimate.left + estimate.right) / 2, cy = Double(estimate.top + estimate.bottom) / 2
        var best: Candidate?
        for level in lo...hi where pyramid.isScanned(level: level) {
            let (c0, r0) = DlibDetectorGrid.roughCell(level: level, x: cx, y: cy)
            for candidate in scores(pyramid: pyramid, level: level,
                                    columns: (c0 - cellSpread)...(c0 + cellSpread), rows: (r0 - cellSpread)...(r0 + cellSpread))
            where best == nil || candidate.score > best!.score {
                best = candidate
            }
        }
        return best
    }

    /// The score of one box (`DlibDetectorGrid.box(level:column:row:)`), nil where dlib does not scan it.
    public func candidate(level: Int, column: Int, row: Int, in image: Image) -> Candidate? {
        let pyramid = DlibImagePyramid(image: image, levels: level + 1)
        guard pyramid.isScanned(level: level) else { return nil }
        return scores(pyramid: pyramid, level: level, columns: column...column, rows: row...row).first
    }

    /// Scores of every box of `level` at cells `columns` x `rows` that dlib scans.
    func scores(pyramid: DlibImagePyramid, level: Int, columns: ClosedRange<Int>, rows: ClosedRange<Int>) -> [Candidate] {
        let size = pyramid.sizes[level + 1]
        let grid = FHOG.Grid(width: size.width, height: size.height)
        // Saliency (c, r) reads the padded feature image (a zero border of (F - 1) / 2 cells) at
        // rows r - F/2 ..< r - F/2 + F, and dlib scores only where the filter fits inside it.
        // DlibDetectorGrid's cells are saliency cells + 1 (it counts the window as dlib's
        // fhog_to_image does with a 12-cell filter; the boxes are the same).
        let f = self.size, h2 = f / 2, pad = (f - 1) / 2, shift = 1
        let valid = { (c: Int, r: Int) -> Bool in
            r - shift >= h2 && r - shift < grid.featureRows + f - 1 - pad &&
                c - shift >= h2 && c - shift < grid.featureCols + f - 1 - pad
        }
        let first = h2 + pad + shift  // feature cell of filter row 0 is r - first
        let cs = columns.filter { c in rows.contains { valid(c, $0) } }
        let rs = rows.filter { r in columns.contains { valid($0, r) } }
        guard let cMin = cs.first, let cMax = cs.last, let rMin = rs.first, let rMax = rs.last else { return [] }
        let featureCols = (cMin - first)..<(cMax - first + f)
        let featureRows = (rMin - first)..<(rMax - first + f)
        let region = pyramid.region(level: level, rect: grid.pixels(forFeatureRows: featureRows, cols: featureCols))
        let feats = FHOG.features(of: region, grid: grid, rows: featureRows, cols: featureCols)
        let n = FHOG.featureCount, width = featureCols.count
        var out: [Candidate] = []
        for r in rows {
            for c in columns where valid(c, r) {
                let fr = r - first - featureRows.lowerBound, fc = c - first - featureCols.lowerBound
                var bestScore = -Float.infinity, bestDetector = 0
                for k in 0..<detectorCount {
                    var s: Double = 0
                    for m in 0..<f {
                        let frow = ((fr + m) * width + fc) * n
                        let wrow = (k * f + m) * f * n
                        for j in 0..<(f * n) { s += Double(filters[wrow + j]) * Double(feats[frow + j]) }
                    }
                    let score = Float(s - Double(thresholds[k]))
                    if score > bestScore { bestScore = score; bestDetector = k }
                }
                out.append(Candidate(box: DlibDetectorGrid.box(level: level, column: c, row: r), level: level,
                                     column: c, row: r, score: bestScore, detector: bestDetector))
            }
        }
        return out
    }
}
