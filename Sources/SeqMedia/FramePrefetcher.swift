import Foundation
import SeqCore

/// Decodes a video's frames on a thread of its own, a few batches ahead of the caller, so that
/// decoding (libavcodec, then the RGB conversion) overlaps the caller's work on the frames
/// before. Without it, the decoder's threads sit idle while a batch is analysed and the analysis
/// waits while the next batch is decoded: on 2 cores, ingest paid for both one after the other.
///
/// Batches come out in decoding order, exactly as `VideoReader.nextFrame()` would give them. An
/// error of the reader is handed out in its place, after the frames decoded before it; nothing
/// comes after it. The prefetcher owns the reader: use only the prefetcher once it is made.
///
///     let frames = FramePrefetcher(reader, batchSize: 8)
///     defer { frames.stop() }
///     while case let batch = try frames.nextBatch(), !batch.isEmpty { ... }
public final class FramePrefetcher: @unchecked Sendable {
    /// What the decoding thread hands over: a batch, or the error that ended decoding.
    private enum Item {
        case frames([VideoFrame])
        case failure(Error)
    }

    private let reader: VideoReader
    private let batchSize: Int
    private let depth: Int
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var ready: [Item] = []
    private var producerDone = false
    private var stopping = false
    private var thread: Thread?

    /// Starts decoding `reader` at once, `batchSize` frames per batch, at most `depth` batches
    /// ahead of the caller (each batch holds its frames' RGB pixels, so depth bounds memory).
    public init(_ reader: VideoReader, batchSize: Int, depth: Int = 1) {
        precondition(batchSize >= 1 && depth >= 1, "a prefetcher needs a batch size and a depth of at least 1")
        self.reader = reader
        self.batchSize = batchSize
        self.depth = depth
        let thread = Thread { [unowned self] in self.produce() }
        thread.name = "seqcurate.decode"
        thread.stackSize = 1 << 22
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// The next batch of frames (`batchSize` of them, fewer at the end of the video, none after
    /// it), or the reader's error.
    public func nextBatch() throws -> [VideoFrame] {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !producerDone { condition.wait() }
        guard !ready.isEmpty else { return [] }
        let item = ready.removeFirst()
        condition.broadcast()
        switch item {
        case .frames(let frames): return frames
        case .failure(let error): throw error
        }
    }

    /// Stops decoding and waits until the decoding thread has let go of the reader. Safe to call
    /// more than once; batches not taken are dropped.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !producerDone { condition.wait() }
        ready.removeAll()
        condition.unlock()
    }

    /// The decoding thread: fills batches while the caller is at most `depth` batches behind.
    private func produce() {
        var ended = false
        while !ended {
            condition.lock()
            while ready.count >= depth && !stopping { condition.wait() }
            let stop = stopping
            condition.unlock()
            if stop { break }
            var batch: [VideoFrame] = []
            batch.reserveCapacity(batchSize)
            var item: Item
            do {
                while batch.count < batchSize, let frame = try reader.nextFrame() { batch.append(frame) }
                ended = batch.count < batchSize
                item = .frames(batch)
            } catch {
                // Frames decoded before the error still come first.
                if !batch.isEmpty {
                    condition.lock()
                    ready.append(.frames(batch))
                    condition.broadcast()
                    condition.unlock()
                }
                item = .failure(error)
                ended = true
            }
            condition.lock()
            if case .frames(let f) = item, f.isEmpty {} else { ready.append(item) }
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        producerDone = true
        condition.broadcast()
        condition.unlock()
    }
}
