import COpenBLAS
import Foundation

/// Times `cblas_sgemm` on square float32 matrices, the figure compared against numpy's `np.dot`.
public enum SgemmBenchmark {
    public struct Result: Codable, Equatable {
        public var op = "sgemm"
        public var size: Int
        public var repeats: Int
        /// OpenBLAS kernel family in use.
        public var core: String
        public var threads: Int
        public var bestSeconds: Double
        public var medianSeconds: Double
        /// `2 n^3` over the fastest call.
        public var gflopsBest: Double
        /// `2 n^3` over the median call (more honest on a busy machine).
        public var gflopsMedian: Double
    }

    /// Multiplies two random `size` x `size` matrices `repeats` times after one warm-up call.
    public static func run(size n: Int, repeats: Int) -> Result {
        precondition(n > 0 && repeats > 0)
        var state: UInt32 = 12345
        func next() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24)
        }
        let a = (0..<(n * n)).map { _ in next() }
        let b = (0..<(n * n)).map { _ in next() }
        var c = [Float](repeating: 0, count: n * n)
        var times: [Double] = []
        a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
        c.withUnsafeMutableBufferPointer { cp in
            for i in 0...repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                sgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n,
                      beta: 0, c: cp.baseAddress!, ldc: n)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if i > 0 { times.append(seconds) }  // the first call pays for thread start-up
            }
        }}}
        times.sort()
        let flops = 2 * Double(n) * Double(n) * Double(n)
        let best = times[0], median = times[times.count / 2]
        return Result(size: n, repeats: repeats, core: BLASRuntime.coreName,
                      threads: Int(openblas_get_num_threads()),
                      bestSeconds: best, medianSeconds: median,
                      gflopsBest: flops / best / 1e9, gflopsMedian: flops / median / 1e9)
    }
}
