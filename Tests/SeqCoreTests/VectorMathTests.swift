import XCTest
import SeqCore

final class VectorMathTests: XCTestCase {
    /// Lengths around the sixteen-lane width, against a plain Double loop.
    func testReductionsMatchDoubleLoops() {
        for n in [0, 1, 15, 16, 17, 40, 515] {
            let a = (0..<n).map { Float(($0 * 37) % 23) / 7 - 1.5 }
            let b = (0..<n).map { Float(($0 * 11) % 19) / 5 - 1.7 }
            var dot = 0.0, sq = 0.0, dist = 0.0, sum = 0.0
            for i in 0..<n {
                dot += Double(a[i]) * Double(b[i]); sq += Double(a[i]) * Double(a[i])
                dist += (Double(a[i]) - Double(b[i])) * (Double(a[i]) - Double(b[i])); sum += Double(a[i])
            }
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
                let (x, y) = (pa.baseAddress!, pb.baseAddress!)
                XCTAssertEqual(VectorMath.dot(x, y, count: n), dot, accuracy: 1e-4, "n=\(n)")
                XCTAssertEqual(VectorMath.sumOfSquares(x, count: n), sq, accuracy: 1e-4, "n=\(n)")
                XCTAssertEqual(VectorMath.squaredDistance(x, y, count: n), dist, accuracy: 1e-4, "n=\(n)")
                XCTAssertEqual(VectorMath.sum(x, count: n), sum, accuracy: 1e-4, "n=\(n)")
            }}
        }
    }

    /// Float lanes that overflow on finite input fall back to Double; NaN stays NaN.
    func testOverflowFallsBackToDouble() {
        let big = [Float](repeating: 3e38, count: 32)
        big.withUnsafeBufferPointer { p in
            XCTAssertEqual(VectorMath.sum(p.baseAddress!, count: 32), 32 * Double(Float(3e38)), accuracy: 1e30)
            XCTAssertEqual(VectorMath.sumOfSquares(p.baseAddress!, count: 32), 32 * Double(Float(3e38)) * Double(Float(3e38)),
                           accuracy: 1e65)
        }
        var bad = [Float](repeating: 1, count: 20)
        bad[17] = .nan
        bad.withUnsafeBufferPointer { p in
            XCTAssertTrue(VectorMath.dot(p.baseAddress!, p.baseAddress!, count: 20).isNaN)
            XCTAssertEqual(VectorMath.firstNonFinite(p.baseAddress!, count: 20), 17)
        }
    }

    func testAddScaled() {
        let x = (0..<21).map { Float($0) }, a = (0..<21).map { Float($0) * 3 }
        var y = [Float](repeating: 1, count: 21), z = [Float](repeating: 0, count: 21)
        x.withUnsafeBufferPointer { px in a.withUnsafeBufferPointer { pa in
            y.withUnsafeMutableBufferPointer { VectorMath.addScaled(px.baseAddress!, scale: 2, into: $0.baseAddress!, count: 21) }
            z.withUnsafeMutableBufferPointer {
                VectorMath.addScaledDifference(0.5, pa.baseAddress!, px.baseAddress!, into: $0.baseAddress!, count: 21)
            }
        }}
        XCTAssertEqual(y, x.map { 1 + 2 * $0 })
        XCTAssertEqual(z, x)
    }
}
