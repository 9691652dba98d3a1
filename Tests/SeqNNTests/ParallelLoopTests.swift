import XCTest
import SeqTestSupport
@testable import SeqNN

/// The threaded im2col, col2im and Winograd transforms (`ParallelLoop`) give exactly the serial
/// loops' results, and gradients through them still check against finite differences.
final class ParallelLoopTests: XCTestCase {
    override func tearDown() {
        ParallelLoop.minimumWork = 1 << 15
        ParallelLoop.workerOverride = nil
        super.tearDown()
    }

    func testSplitCoversEveryIndexOnce() {
        ParallelLoop.minimumWork = 0
        for workers in [1, 2, 3, 7] {
            ParallelLoop.workerOverride = workers
            for count in [0, 1, 2, 5, 64] {
                let seen = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(1, count))
                seen.initialize(repeating: 0)
                ParallelLoop.split(count, work: 1) { r in for i in r { seen[i] += 1 } }
                XCTAssertEqual(Array(seen.prefix(count)), [Int](repeating: 1, count: count), "workers \(workers), count \(count)")
                seen.deallocate()
            }
        }
    }

    /// Forward output, input gradient and parameter gradients, threaded against serial, bit for bit,
    /// on every convolution path: batched im2col, bands, strided, pointwise, Winograd forward and
    /// Winograd input gradient (whole images and tile-row bands).
    func testThreadedConvolutionEqualsSerial() {
        let configs: [(cin: Int, cout: Int, k: Int, s: Int, p: Int, shape: [Int], chunk: Int, band: Int, wino: Int)] = [
            (3, 8, 3, 2, 1, [4, 3, 17, 15], 1 << 22, 1 << 20, 1 << 21),   // stage opening: strided im2col, batched
            (5, 6, 3, 1, 1, [2, 5, 9, 11], 1, 5 * 9 * 11 * 2, 1 << 21),    // bands of two rows
            (6, 4, 1, 1, 0, [3, 6, 5, 7], 1 << 22, 1 << 20, 1 << 21),      // pointwise
            (32, 33, 3, 1, 1, [3, 32, 7, 6], 1 << 22, 1 << 20, 1 << 21),   // Winograd both ways, whole images
            (33, 32, 3, 1, 1, [2, 33, 9, 8], 1 << 22, 1 << 20, 1),         // Winograd, one tile row per product
        ]
        ParallelLoop.minimumWork = 0
        for cfg in configs {
            let conv = Conv2D(inChannels: cfg.cin, outChannels: cfg.cout, kernel: cfg.k, stride: cfg.s, padding: cfg.p)
            conv.chunkBudget = cfg.chunk
            conv.bandBudget = cfg.band
            conv.winogradBudget = cfg.wino
            conv.batchParallel = false  // channel splits only; the batch split is tested below
            GradientCheck.randomize(conv, seed: 71, scale: 0.2)
            var rng = TestRandom(seed: 72)
            let x = rng.tensor(cfg.shape)
            var results: [[Float]] = []
            for workers in [1, 2, 3] {
                ParallelLoop.workerOverride = workers
                conv.weight.zeroGrad(); conv.bias.zeroGrad()
                let y = conv.forward(x)
                var dyRng = TestRandom(seed: 73)
                let dx = conv.backward(dyRng.tensor(y.shape))
                results.append(y.data + dx.data + conv.weight.grad.data + conv.bias.grad.data)
            }
            XCTAssertEqual(results[1], results[0], "2 threads, config \(cfg)")
            XCTAssertEqual(results[2], results[0], "3 threads, config \(cfg)")
        }
    }

    /// Groups of images on their own threads (`Conv2D.batchParallel`): the same results to float
    /// rounding (OpenBLAS's one-thread products may round differently from its two-thread ones,
    /// and the weight gradient is summed per group, then added); bias gradients bit for bit.
    func testBatchGroupsMatchOneGroup() {
        let configs: [(cin: Int, cout: Int, k: Int, s: Int, p: Int, shape: [Int])] = [
            (3, 8, 3, 2, 1, [5, 3, 17, 15]),    // strided im2col
            (6, 4, 1, 1, 0, [3, 6, 5, 7]),      // pointwise
            (32, 33, 3, 1, 1, [5, 32, 7, 6]),   // Winograd forward and input gradient
        ]
        for cfg in configs {
            let conv = Conv2D(inChannels: cfg.cin, outChannels: cfg.cout, kernel: cfg.k, stride: cfg.s, padding: cfg.p)
            conv.batchParallel = true
            GradientCheck.randomize(conv, seed: 82, scale: 0.2)
            var rng = TestRandom(seed: 83)
            let x = rng.tensor(cfg.shape)
            var results: [(y: [Float], dx: [Float], dw: [Float], db: [Float])] = []
            for workers in [1, 2, 3] {
                ParallelLoop.workerOverride = workers
                conv.weight.zeroGrad(); conv.bias.zeroGrad()
                let y = conv.forward(x)
                var dyRng = TestRandom(seed: 84)
                let dx = conv.backward(dyRng.tensor(y.shape))
                results.append((y.data, dx.data, conv.weight.grad.data, conv.bias.grad.data))
            }
            for r in results.dropFirst() {
                func worst(_ a: [Float], _ b: [Float]) -> Float {
                    zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
                }
                XCTAssertEqual(r.y.count, results[0].y.count)
                XCTAssertLessThan(worst(r.y, results[0].y), 1e-5, "forward, config \(cfg)")
                XCTAssertLessThan(worst(r.dx, results[0].dx), 1e-5, "input gradient, config \(cfg)")
                XCTAssertLessThan(worst(r.dw, results[0].dw), 1e-5, "weight gradient, config \(cfg)")
                XCTAssertEqual(r.db, results[0].db, "bias gradient, config \(cfg)")
            }
        }
    }

    func testThreadedWinogradGradients() {
        ParallelLoop.minimumWork = 0
        ParallelLoop.workerOverride = 2
        let conv = Conv2D(inChannels: 32, outChannels: 32, kernel: 3, stride: 1, padding: 1)
        conv.batchParallel = true
        GradientCheck.randomize(conv, seed: 74, scale: 0.2)
        var rng = TestRandom(seed: 75)
        // Two images: two batch groups, each on its own thread.
        GradientCheck.check(conv, input: rng.tensor([2, 32, 3, 3]))
    }

    func testThreadedStridedGradients() {
        ParallelLoop.minimumWork = 0
        ParallelLoop.workerOverride = 2
        let conv = Conv2D(inChannels: 3, outChannels: 4, kernel: 3, stride: 2, padding: 1)
        conv.batchParallel = true
        GradientCheck.randomize(conv, seed: 76)
        var rng = TestRandom(seed: 77)
        GradientCheck.check(conv, input: rng.tensor([2, 3, 6, 5]))
    }

    /// PReLU (one pass into a fresh buffer) and Add, threaded against serial, bit for bit.
    func testThreadedPReLUAndAddEqualSerial() {
        ParallelLoop.minimumWork = 0
        let act = PReLU(channels: 5)
        GradientCheck.randomize(act, seed: 78)
        var rng = TestRandom(seed: 81)
        let x = rng.tensor([3, 5, 7, 9]), other = rng.tensor([3, 5, 7, 9]), dy = rng.tensor([3, 5, 7, 9])
        var results: [[Float]] = []
        for workers in [1, 2, 3] {
            ParallelLoop.workerOverride = workers
            act.slope.zeroGrad()
            let y = act.forward(x)
            let dx = act.backward(dy)
            results.append(y.data + dx.data + act.slope.grad.data + Add().forward(x, other).data)
        }
        XCTAssertEqual(results[1], results[0])
        XCTAssertEqual(results[2], results[0])
        // The definition, element by element.
        ParallelLoop.workerOverride = 2
        let y = act.forward(x)
        for i in 0..<x.count {
            let a = act.slope.value.data[(i / 63) % 5], v = x.data[i]
            XCTAssertEqual(y.data[i], v > 0 ? v : a * v)
        }
    }

    func testThreadedPReLUGradients() {
        ParallelLoop.minimumWork = 0
        ParallelLoop.workerOverride = 2
        let act = PReLU(channels: 3)
        GradientCheck.randomize(act, seed: 79)
        var rng = TestRandom(seed: 80)
        // Away from the kink at 0, where finite differences are meaningless.
        var x = rng.tensor([2, 3, 4, 5])
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.3 }
        GradientCheck.check(act, input: x)
    }

    /// `keepTransformedWeights`: the same outputs to the bit as transforming on every call, for
    /// the layer that computed them and for a copy that shares them; a layer without Winograd
    /// keeps nothing and still works.
    func testKeptWinogradWeightsGiveTheSameOutputs() {
        let plain = Conv2D(inChannels: 32, outChannels: 40, kernel: 3, stride: 1, padding: 1)
        GradientCheck.randomize(plain, seed: 81, scale: 0.2)
        let kept = Conv2D(inChannels: 32, outChannels: 40, kernel: 3, stride: 1, padding: 1)
        kept.weight.value = plain.weight.value
        kept.bias.value = plain.bias.value
        kept.keepTransformedWeights()
        let copy = Conv2D(inChannels: 32, outChannels: 40, kernel: 3, stride: 1, padding: 1)
        copy.weight.value = plain.weight.value
        copy.bias.value = plain.bias.value
        copy.keepTransformedWeights(sharingWith: kept)
        var rng = TestRandom(seed: 82)
        for batch in [1, 3] {
            let x = rng.tensor([batch, 32, 11, 9])
            let reference = plain.forward(x).data
            XCTAssertEqual(kept.forward(x).data, reference, "batch \(batch)")
            XCTAssertEqual(copy.forward(x).data, reference, "batch \(batch), shared")
        }
        let strided = Conv2D(inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 1)
        GradientCheck.randomize(strided, seed: 83, scale: 0.2)
        let x = rng.tensor([2, 3, 9, 9])
        let before = strided.forward(x).data
        strided.keepTransformedWeights()
        XCTAssertEqual(strided.forward(x).data, before)
    }
}
