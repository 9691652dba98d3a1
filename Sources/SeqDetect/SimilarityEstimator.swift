import Foundation

/// Least-squares similarity transforms between point sets (Umeyama 1991).
public enum SimilarityEstimator {
    /// The rotation + uniform scale + translation `T` minimising `sum |T(source[i]) - target[i]|^2`,
    /// reflections excluded. In two dimensions Umeyama's SVD solution reduces to a closed form:
    /// with centred points, `scale*cos = sum(s.t) / sum|s|^2`, `scale*sin = sum(s x t) / sum|s|^2`.
    /// Returns nil for fewer than two points or when all source points coincide.
    public static func estimate(from source: [Point2], to target: [Point2]) -> AffineTransform? {
        precondition(source.count == target.count, "point sets of different sizes")
        let n = source.count
        guard n >= 2 else { return nil }
        var msx: Double = 0, msy: Double = 0, mtx: Double = 0, mty: Double = 0
        for (s, t) in zip(source, target) {
            msx += Double(s.x); msy += Double(s.y); mtx += Double(t.x); mty += Double(t.y)
        }
        msx /= Double(n); msy /= Double(n); mtx /= Double(n); mty /= Double(n)
        var dot: Double = 0, cross: Double = 0, norm: Double = 0
        for (s, t) in zip(source, target) {
            let sx = Double(s.x) - msx, sy = Double(s.y) - msy
            let tx = Double(t.x) - mtx, ty = Double(t.y) - mty
            dot += sx * tx + sy * ty
            cross += sx * ty - sy * tx
            norm += sx * sx + sy * sy
        }
        guard norm > 1e-12 else { return nil }
        let a = dot / norm, b = cross / norm
        // T(p) = [a -b; b a] p + t, with t taking the source mean onto the target mean.
        return AffineTransform(a: Float(a), b: Float(-b), c: Float(b), d: Float(a),
                               tx: Float(mtx - (a * msx - b * msy)), ty: Float(mty - (b * msx + a * msy)))
    }
}
