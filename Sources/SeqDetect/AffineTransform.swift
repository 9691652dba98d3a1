import Foundation

/// A 2-D affine map `p' = [a b; c d] p + (tx, ty)` in pixel coordinates (pixel centres at
/// integers, x to the right, y down).
public struct AffineTransform: Sendable, Equatable {
    public var a: Float, b: Float, c: Float, d: Float, tx: Float, ty: Float

    public init(a: Float, b: Float, c: Float, d: Float, tx: Float, ty: Float) {
        self.a = a; self.b = b; self.c = c; self.d = d; self.tx = tx; self.ty = ty
    }

    public static let identity = AffineTransform(a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0)

    /// A similarity: rotation by `angle` radians (counter-clockwise on screen when negative,
    /// since y points down), uniform `scale`, then translation.
    public static func similarity(scale: Float, angle: Float, tx: Float, ty: Float) -> AffineTransform {
        let cs = scale * cosf(angle), sn = scale * sinf(angle)
        return AffineTransform(a: cs, b: -sn, c: sn, d: cs, tx: tx, ty: ty)
    }

    public func apply(_ p: Point2) -> Point2 {
        Point2(a * p.x + b * p.y + tx, c * p.x + d * p.y + ty)
    }

    /// The map applied after `other`: `self(other(p))`.
    public func concatenating(_ other: AffineTransform) -> AffineTransform {
        AffineTransform(a: a * other.a + b * other.c, b: a * other.b + b * other.d,
                        c: c * other.a + d * other.c, d: c * other.b + d * other.d,
                        tx: a * other.tx + b * other.ty + tx, ty: c * other.tx + d * other.ty + ty)
    }

    /// The inverse map, or nil when the matrix is singular.
    public var inverted: AffineTransform? {
        let det = a * d - b * c
        guard det.isFinite, abs(det) > 1e-12 else { return nil }
        let ia = d / det, ib = -b / det, ic = -c / det, id = a / det
        return AffineTransform(a: ia, b: ib, c: ic, d: id, tx: -(ia * tx + ib * ty), ty: -(ic * tx + id * ty))
    }

    /// Uniform scale factor of the linear part (square root of the absolute determinant).
    public var scale: Float { sqrtf(abs(a * d - b * c)) }
}
