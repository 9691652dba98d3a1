import Foundation

/// The boxes dlib's frontal face detector (`get_frontal_face_detector`, run with one
/// upsampling as dlib's Python examples and tools/chip_template.py run it) can report: it slides
/// an 80x80-pixel window over the 8-pixel HOG cells of every level of a `pyramid_down<6>`
/// pyramid of the image upsampled twice, so its boxes form a discrete set, a level per size
/// (sizes in the ratio 6/5) and on each level a grid of positions a cell apart.
///
/// `box(level:column:row:)` follows dlib's own coordinate maps (`fhog_to_image` for cell
/// (column, row), counted as if the filter had 12 cells: these cells are dlib's filter-response
/// cells + 1, which `DlibFrontalDetector` accounts for; `pyramid_down<6>::rect_up` level times,
/// then `pyramid_down<2>::rect_down` for the upsampling, each rounded to whole pixels as dlib
/// does); `tools/chip_template.py grid` finds every box dlib reports on the sample media in this
/// set. `nearest(left:top:right:bottom:)` snaps an estimate of dlib's box onto it: where the
/// estimate is within half a step of dlib's box, the shape predictor then starts exactly where
/// dlib's starts.
public enum DlibDetectorGrid {
    /// A box as dlib reports it: whole pixels, right and bottom inclusive.
    public struct Box: Equatable, Sendable {
        public var left: Int, top: Int, right: Int, bottom: Int
        public init(left: Int, top: Int, right: Int, bottom: Int) {
            self.left = left; self.top = top; self.right = right; self.bottom = bottom
        }
        /// Width in pixels as dlib counts it (right and left both inside).
        public var width: Int { right - left + 1 }
    }

    /// Pyramid levels considered: level 24 boxes are about 3,600 pixels wide.
    public static let levels = 25

    /// The detector's box for HOG cell (column, row) of pyramid level `level`.
    public static func box(level: Int, column: Int, row: Int) -> Box {
        // The 80-pixel window is 10 cells; the filter with its one-cell padding 12, so
        // fhog_to_image shifts by (12 - 1) / 2 = 5 cells.
        let topLeft = corner(column - 5, row - 5, level: level)
        let bottomRight = corner(column + 4, row + 4, level: level)
        return Box(left: topLeft.x, top: topLeft.y, right: bottomRight.x, bottom: bottomRight.y)
    }

    /// A window corner at cell (cx, cy) of `level`, in the pixels of the original image.
    private static func corner(_ cx: Int, _ cy: Int, level: Int) -> (x: Int, y: Int) {
        // fhog_to_image: one border cell, one border pixel, then the middle of the cell (away
        // from zero on the negative side).
        let px = (cx + 1 - 5) * 8 + 1, py = (cy + 1 - 5) * 8 + 1
        var x = Double(px + (px >= 0 ? 4 : -4)), y = Double(py + (py >= 0 ? 4 : -4))
        // pyramid_down<6>::point_up, once per level (in double, as dlib), rounded as dlib
        // assigns the drectangle to a rectangle.
        for _ in 0..<level {
            x = x * 1.2 + 0.3
            y = y * 1.2 + 0.3
        }
        x = x.rounded(.toNearestOrAwayFromZero)
        y = y.rounded(.toNearestOrAwayFromZero)
        // pyramid_down<2>::point_down undoes the upsampling, rounded again.
        x = (x / 2 - 1.25).rounded(.toNearestOrAwayFromZero)
        y = (y / 2 - 0.75).rounded(.toNearestOrAwayFromZero)
        return (Int(x), Int(y))
    }

    /// The detector box nearest to an estimate (left, top, right, bottom in pixels): the level
    /// whose box size is nearest in log scale to the estimate's mean side (counted as dlib
    /// counts it, right - left + 1), then the cell whose box centre is nearest to the
    /// estimate's centre.
    public static func nearest(left: Float, top: Float, right: Float, bottom: Float) -> Box {
        let level = nearestLevel(left: left, top: top, right: right, bottom: bottom)
        let cx = Double(left + right) / 2, cy = Double(top + bottom) / 2
        let (c0, r0) = roughCell(level: level, x: cx, y: cy)
        var nearest = box(level: level, column: c0, row: r0), distance = Double.infinity
        for c in (c0 - 2)...(c0 + 2) {
            for r in (r0 - 2)...(r0 + 2) {
                let b = box(level: level, column: c, row: r)
                let dx = Double(b.left + b.right) / 2 - cx, dy = Double(b.top + b.bottom) / 2 - cy
                if dx * dx + dy * dy < distance { distance = dx * dx + dy * dy; nearest = b }
            }
        }
        return nearest
    }

    /// The level whose box size is nearest in log scale to the estimate's mean side.
    public static func nearestLevel(left: Float, top: Float, right: Float, bottom: Float) -> Int {
        let side = Double((right - left + 1) + (bottom - top + 1)) / 2
        var level = 0, best = Double.infinity
        for l in 0..<levels {
            let d = abs(log(max(side, 1) / Double(box(level: l, column: 100, row: 100).width)))
            if d < best { best = d; level = l }
        }
        return level
    }

    /// The cell of `level` whose box centre is about (x, y) (within a cell).
    public static func roughCell(level: Int, x: Double, y: Double) -> (column: Int, row: Int) {
        // Positions step by one cell of that level: 8 (6/5)^level / 2 image pixels.
        let step = 8 * pow(1.2, Double(level)) / 2
        let origin = box(level: level, column: 0, row: 0)
        return (Int(((x - Double(origin.left + origin.right) / 2) / step + 0.5).rounded(.down)),
                Int(((y - Double(origin.top + origin.bottom) / 2) / step + 0.5).rounded(.down)))
    }
}
