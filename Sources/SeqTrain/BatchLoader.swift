import Foundation
import SeqCore
import SeqMedia
import SeqNN

/// One training batch: identity samples first, then sequence samples.
public struct TrainingBatch: @unchecked Sendable {
    public var iteration: Int
    /// `[B, C, H, W]`, already normalised.
    public var images: Tensor
    public var labels: [Int32]
}

/// Mixes the identity and sequence lists into batches whose content depends only on the seed
/// and the iteration number, so a resumed run sees exactly the batches an uninterrupted one would.
///
/// Each list is walked in epochs; every epoch is a fresh permutation drawn from
/// `(seed, list, epoch)`. Crop offsets and mirroring come from `(seed, iteration, slot)`.
public final class BatchLoader: @unchecked Sendable {
    public let identity: TrainingList
    public let sequence: TrainingList?
    public let identityBatch: Int
    public let sequenceBatch: Int
    public let preprocessor: FacePreprocessor
    public let mirror: Bool
    public let seed: UInt64
    private let lock = NSLock()
    private var epochCache: [String: (epoch: Int, order: [Int])] = [:]

    public init(identity: TrainingList, sequence: TrainingList?, identityBatch: Int, sequenceBatch: Int,
                preprocessor: FacePreprocessor, mirror: Bool, seed: UInt64) throws {
        guard identityBatch > 0 else { throw SeqError("identity batch must be positive") }
        guard sequenceBatch >= 0 else { throw SeqError("sequence batch must be >= 0") }
        if sequenceBatch > 0 && sequence == nil { throw SeqError("a sequence batch needs a sequence list") }
        self.identity = identity
        self.sequence = sequenceBatch > 0 ? sequence : nil
        self.identityBatch = identityBatch
        self.sequenceBatch = sequenceBatch
        self.preprocessor = preprocessor
        self.mirror = mirror
        self.seed = seed
    }

    public var batchSize: Int { identityBatch + sequenceBatch }

    /// The entries of iteration `iteration` (0-based), in batch order.
    public func entries(at iteration: Int) -> [(TrainingList, TrainingList.Entry)] {
        var out: [(TrainingList, TrainingList.Entry)] = []
        for (list, size, tag) in [(identity, identityBatch, "identity"), (sequence, sequenceBatch, "sequence")] {
            guard let list, size > 0 else { continue }
            let n = list.entries.count
            for k in 0..<size {
                let position = iteration * size + k
                let order = epochOrder(tag: tag, count: n, epoch: position / n)
                out.append((list, list.entries[order[position % n]]))
            }
        }
        return out
    }

    /// Decodes and augments the batch of `iteration` on `threads` worker threads.
    public func batch(at iteration: Int, threads: Int) throws -> TrainingBatch {
        let items = entries(at: iteration)
        let p = preprocessor
        let sampleSize = p.channels * p.cropSize * p.cropSize
        var data = [Float](repeating: 0, count: items.count * sampleSize)
        let errors = ErrorBox()
        let margin = p.imageSize - p.cropSize
        data.withUnsafeMutableBufferPointer { buf in
            let base = SendablePointer(buf.baseAddress!)
            let workers = max(1, min(threads, items.count))
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var slot = w
                while slot < items.count {
                    let (list, entry) = items[slot]
                    do {
                        let image = try ImageIO.read(list.url(of: entry))
                        var rng = SeededGenerator(seed: mixSeed(seed, 0xA0_6A, UInt64(iteration), UInt64(slot)))
                        let ox = margin > 0 ? Int(rng.next() % UInt64(margin + 1)) : 0
                        let oy = margin > 0 ? Int(rng.next() % UInt64(margin + 1)) : 0
                        let flip = mirror && (rng.next() & 1) == 1
                        p.fill(image, offset: (ox, oy), mirror: flip, into: base.pointer + slot * sampleSize)
                    } catch let e as SeqError {
                        errors.set(SeqError("\(e.description)", file: list.file.path, line: entry.line))
                    } catch {
                        errors.set(SeqError("cannot read \(entry.path): \(error)", file: list.file.path, line: entry.line))
                    }
                    slot += workers
                }
            }
        }
        if let e = errors.error { throw e }
        return TrainingBatch(iteration: iteration,
                             images: Tensor(shape: [items.count, p.channels, p.cropSize, p.cropSize], data: data),
                             labels: items.map { $0.1.label })
    }

    private func epochOrder(tag: String, count: Int, epoch: Int) -> [Int] {
        lock.lock(); defer { lock.unlock() }
        if let cached = epochCache[tag], cached.epoch == epoch { return cached.order }
        var rng = SeededGenerator(seed: mixSeed(seed, tag == "identity" ? 0x1D : 0x5E9, UInt64(epoch)))
        let order = rng.permutation(count)
        epochCache[tag] = (epoch, order)
        return order
    }
}

/// Prepares the next batches on a background thread while the current one trains.
public final class BatchPrefetcher: @unchecked Sendable {
    private let loader: BatchLoader
    private let threads: Int
    private let depth: Int
    private let condition = NSCondition()
    private var ready: [Int: Result<TrainingBatch, Error>] = [:]
    private var stopped = false
    private var next: Int

    /// Starts producing batches from `start` on; at most `depth` wait unconsumed.
    public init(loader: BatchLoader, start: Int, depth: Int = 2, threads: Int) {
        self.loader = loader
        self.threads = threads
        self.depth = max(1, depth)
        self.next = start
        let thread = Thread { [self] in produce(from: start) }
        thread.name = "seqtrain.prefetch"
        thread.start()
    }

    private func produce(from start: Int) {
        var iteration = start
        while true {
            condition.lock()
            while !stopped && iteration - next >= depth { condition.wait() }
            let stop = stopped
            condition.unlock()
            if stop { return }
            let result = Result { try loader.batch(at: iteration, threads: threads) }
            condition.lock()
            ready[iteration] = result
            condition.broadcast()
            condition.unlock()
            iteration += 1
        }
    }

    /// The batch of the next iteration, waiting for it if needed.
    public func nextBatch() throws -> TrainingBatch {
        condition.lock()
        while ready[next] == nil { condition.wait() }
        let result = ready.removeValue(forKey: next)!
        next += 1
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// Lets the producer thread finish.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A raw pointer that may cross into worker closures; each worker writes disjoint slots.
struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ p: UnsafeMutablePointer<Float>) { pointer = p }
}

/// The first error reported by any worker.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: SeqError?
    func set(_ e: SeqError) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}

/// Combines a seed with stream identifiers into a new seed (SplitMix64 finaliser).
func mixSeed(_ values: UInt64...) -> UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3
    for v in values {
        h ^= v &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
        h = (h ^ (h >> 30)) &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 27)) &* 0x94D0_49BB_1331_11EB
        h ^= h >> 31
    }
    return h
}
