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
    /// none of them (too near the image's edge, or larger than the image) or the estimate is not
    /// finite.
    public func best(near estimate: (left: Float, top: Float, right: Float, bottom: Float), in image: Image,
                     levelSpread: Int = 1, cellSpread: Int = 2) -> Candidate? {
        guard [estimate.left, estimate.top, estimate.right, estimate.bottom].allSatisfy({ $0.isFinite && abs($0) < 1e7 }),
              image.width > 0, image.height > 0 else { return nil }
        let centre = DlibDetectorGrid.nearestLevel(left: estimate.left, top: estimate.top, right: estimate.right, bottom: estimate.bottom)
        let lo = max(0, centre - levelSpread), hi = centre + levelSpread
        let pyramid = DlibImagePyramid(image: image, levels: hi + 1)
        let cx = Double(estimate.left + estimate.right) / 2, cy = Double(estimate.top + estimate.bottom) / 2
        let plans = (lo...hi).compactMap { level -> Plan? in
            let (c0, r0) = DlibDetectorGrid.roughCell(level: level, x: cx, y: cy)
            return plan(pyramid: pyramid, level: level,
                        columns: (c0 - cellSpread)...(c0 + cellSpread), rows: (r0 - cellSpread)...(r0 + cellSpread))
        }
        // The levels share one pass through the pyramid.
        let regions = pyramid.regions(Dictionary(uniqueKeysWithValues: plans.map { ($0.level, $0.pixels) }))
        var best: Candidate?
        for p in plans {
            for candidate in scores(p, region: regions[p.level]!) where best == nil || candidate.score > best!.score {
                best = candidate
            }
        }
        return best
    }

    /// The score of one box (`DlibDetectorGrid.box(level:column:row:)`), nil where dlib does not scan it.
    public func candidate(level: Int, column: Int, row: Int, in image: Image) -> Candidate? {
        let pyramid = DlibImagePyramid(image: image, levels: level + 1)
        guard let p = plan(pyramid: pyramid, level: level, columns: column...column, rows: row...row) else { return nil }
        return scores(p, region: pyramid.region(level: level, rect: p.pixels)).first
    }

    /// What scoring some boxes of one level needs: the boxes dlib scans among them, the feature
    /// cells their filters read and the pixels those features depend on.
    struct Plan {
        var level: Int
        var grid: FHOG.Grid
        var boxes: [(column: Int, row: Int)]
        var featureRows: Range<Int>, featureCols: Range<Int>
        var pixels: DlibImagePyramid.Rect
    }

    /// DlibDetectorGrid's cells are dlib's filter-response cells + 1 (it counts the window as
    /// dlib's fhog_to_image does with a 12-cell filter; the boxes are the same).
    private static let gridShift = 1

    /// The feature cell under filter row (column) 0 for the box at grid row (column) r: the
    /// response at r reads the padded feature image (a zero border of (F - 1) / 2 cells) from
    /// r - F / 2.
    private var firstCellOffset: Int { size / 2 + (size - 1) / 2 + Self.gridShift }

    func plan(pyramid: DlibImagePyramid, level: Int, columns: ClosedRange<Int>, rows: ClosedRange<Int>) -> Plan? {
        guard pyramid.isScanned(level: level) else { return nil }
        let size = pyramid.sizes[level + 1]
        let grid = FHOG.Grid(width: size.width, height: size.height)
        // dlib scores only where the filter fits inside the padded feature image.
        let f = self.size, h2 = f / 2, pad = (f - 1) / 2, shift = Self.gridShift
        var boxes: [(column: Int, row: Int)] = []
        for r in rows where r - shift >= h2 && r - shift < grid.featureRows + f - 1 - pad {
            for c in columns where c - shift >= h2 && c - shift < grid.featureCols + f - 1 - pad {
                boxes.append((column: c, row: r))
            }
        }
        guard let firstBox = boxes.first, let lastBox = boxes.last else { return nil }
        // Row-major over a rectangle of cells: the first and last box are its corners.
        let cMin = firstBox.column, cMax = lastBox.column, rMin = firstBox.row, rMax = lastBox.row
        let first = firstCellOffset
        let featureCols = (cMin - first)..<(cMax - first + f), featureRows = (rMin - first)..<(rMax - first + f)
        return Plan(level: level, grid: grid, boxes: boxes, featureRows: featureRows, featureCols: featureCols,
                    pixels: grid.pixels(forFeatureRows: featureRows, cols: featureCols))
    }

    /// The planned boxes' scores from the level's pixels (a region covering `plan.pixels`).
    func scores(_ plan: Plan, region: DlibImagePyramid.Region) -> [Candidate] {
        let feats = FHOG.features(of: region, grid: plan.grid, rows: plan.featureRows, cols: plan.featureCols)
        let n = FHOG.featureCount, width = plan.featureCols.count, f = size, first = firstCellOffset
        return plan.boxes.map { b in
            let fr = b.row - first - plan.featureRows.lowerBound, fc = b.column - first - plan.featureCols.lowerBound
            var bestScore = -Float.infinity, bestDetector = 0
            filters.withUnsafeBufferPointer { w in
                feats.withUnsafeBufferPointer { x in
                    for k in 0..<detectorCount {
                        var s: Double = 0
                        for m in 0..<f {
                            let frow = ((fr + m) * width + fc) * n, wrow = (k * f + m) * f * n
                            for j in 0..<(f * n) { s += Double(w[wrow + j]) * Double(x[frow + j]) }
                        }
                        let score = Float(s - Double(thresholds[k]))
                        if score > bestScore { bestScore = score; bestDetector = k }
                    }
                }
            }
            return Candidate(box: DlibDetectorGrid.box(level: plan.level, column: b.column, row: b.row), level: plan.level,
                             column: b.column, row: b.row, score: bestScore, detector: bestDetector)
        }
    }
}
