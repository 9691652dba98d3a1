import CFFmpeg
import Foundation
import SeqCore

/// What to decode and how to deliver it.
public struct VideoReaderOptions: Sendable {
    /// Output size; nil keeps the native (display, after rotation) size. Give one side to keep the aspect ratio.
    public var width: Int?
    public var height: Int?
    /// Deliver GRAY8 instead of RGB24.
    public var grayscale = false
    /// Deliver every `stride`-th frame (1 = all).
    public var stride = 1
    /// Only frames with time in [startTime, endTime), in seconds.
    public var startTime: Double?
    public var endTime: Double?
    /// Decoder threads; 0 lets FFmpeg choose (one per core).
    public var threads = 0
    /// Turn frames upright according to the stream's display matrix.
    public var applyRotation = true
    /// Let the decoder drop the frames no other frame is predicted from (`AVDISCARD_NONREF`:
    /// the non-reference B-frames of H.264, HEVC and MPEG-4 streams, often half the frames),
    /// which costs about half the decoding. The frames delivered are decoded in full, exactly as
    /// without it; their indices come from their timestamps, so the dropped ones leave gaps.
    /// Streams without such frames (intra-only, no B-frames) give every frame as before.
    public var skipNonReferenceFrames = false

    public init(width: Int? = nil, height: Int? = nil, grayscale: Bool = false, stride: Int = 1,
                startTime: Double? = nil, endTime: Double? = nil, threads: Int = 0, applyRotation: Bool = true,
                skipNonReferenceFrames: Bool = false) {
        self.width = width
        self.height = height
        self.grayscale = grayscale
        self.stride = stride
        self.startTime = startTime
        self.endTime = endTime
        self.threads = threads
        self.applyRotation = applyRotation
        self.skipNonReferenceFrames = skipNonReferenceFrames
    }
}

/// Container and stream facts, read without decoding.
public struct VideoInfo: Sendable, Codable, Equatable {
    public var container: String
    public var codec: String
    /// Display size (after rotation).
    public var width: Int
    public var height: Int
    public var fps: Double
    public var duration: Double
    /// Clockwise rotation from the display matrix, degrees.
    public var rotation: Int
    /// The container's frame count, when it states one.
    public var declaredFrames: Int?
}

/// One decoded frame.
public struct VideoFrame: Sendable {
    /// Frame number counted from the start of the stream.
    public var index: Int
    /// Presentation time in seconds from the start of the stream.
    public var time: Double
    public var image: Image
}

/// Decodes a video file with libavformat/libavcodec into RGB (or grayscale) frames.
///
///     let reader = try VideoReader(url: url)
///     while let frame = try reader.nextFrame() { ... }
public final class VideoReader {
    public let url: URL
    public let info: VideoInfo
    public let options: VideoReaderOptions

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let streamIndex: Int32
    private let timeBase: Double
    private let streamStart: Int64
    private let converter = FrameConverter()
    private var decodedCount = 0
    /// Packets of the video stream given to the decoder: with `skipNonReferenceFrames` these,
    /// not the frames that come out, say how much of the stream was there.
    private var packetsSent = 0
    /// Index of the last frame delivered (or passed over) so far.
    private var lastIndex = -1
    private var flushing = false
    private var finished = false
    private var seeked = false
    private let outSize: (Int, Int)

    public init(url: URL, options: VideoReaderOptions = VideoReaderOptions()) throws {
        _ = quietFFmpegLogs
        self.url = url
        self.options = options
        // An http(s) URL is handed to FFmpeg as it is: its protocols read it.
        let path = url.mediaName
        if url.isFileURL {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw SeqError("no such file", file: path) }
            guard !isDir.boolValue else { throw SeqError("is a directory, not a video file", file: path) }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            guard size > 0 else { throw SeqError("empty file (0 bytes)", file: path) }
        } else {
            _ = networkReady
        }
        guard options.stride >= 1 else { throw SeqError("stride must be at least 1", file: path) }

        var fmt: UnsafeMutablePointer<AVFormatContext>?
        var rc = avformat_open_input(&fmt, path, nil, nil)
        guard rc >= 0, let fmt else {
            throw SeqError("not a readable video (\(ffmpegErrorText(rc)))", file: path)
        }
        var fmtOwned: UnsafeMutablePointer<AVFormatContext>? = fmt
        var ctxOwned: UnsafeMutablePointer<AVCodecContext>?
        var ok = false
        defer { if !ok { avcodec_free_context(&ctxOwned); avformat_close_input(&fmtOwned) } }

        rc = avformat_find_stream_info(fmt, nil)
        guard rc >= 0 else { throw SeqError("cannot read stream info (\(ffmpegErrorText(rc)))", file: path) }
        var decoder: UnsafePointer<AVCodec>?
        let best = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
        if best == AVERROR_STREAM_NOT_FOUND_VALUE {
            throw SeqError("no video stream", file: path)
        }
        guard best >= 0, let stream = fmt.pointee.streams[Int(best)] else {
            throw SeqError("unsupported video stream (\(ffmpegErrorText(best)))", file: path)
        }
        guard let decoder else {
            let name = String(cString: avcodec_get_name(stream.pointee.codecpar.pointee.codec_id))
            throw SeqError("unsupported codec '\(name)': no decoder in this FFmpeg", file: path)
        }
        streamIndex = best
        guard let ctx = avcodec_alloc_context3(decoder) else { throw SeqError("out of memory", file: path) }
        ctxOwned = ctx
        rc = avcodec_parameters_to_context(ctx, stream.pointee.codecpar)
        guard rc >= 0 else { throw SeqError("bad codec parameters (\(ffmpegErrorText(rc)))", file: path) }
        ctx.pointee.thread_count = Int32(options.threads)
        ctx.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        if options.skipNonReferenceFrames { ctx.pointee.skip_frame = AVDISCARD_NONREF }
        rc = avcodec_open2(ctx, decoder, nil)
        guard rc >= 0 else { throw SeqError("cannot open decoder (\(ffmpegErrorText(rc)))", file: path) }
        guard ctx.pointee.width > 0, ctx.pointee.height > 0 else {
            throw SeqError("video stream has no picture size", file: path)
        }

        let tb = stream.pointee.time_base
        timeBase = tb.den != 0 ? Double(tb.num) / Double(tb.den) : 0
        streamStart = stream.pointee.start_time == seq_av_nopts_value() ? 0 : stream.pointee.start_time
        let rate = stream.pointee.avg_frame_rate.den != 0 ? stream.pointee.avg_frame_rate : stream.pointee.r_frame_rate
        let fps = rate.den != 0 ? Double(rate.num) / Double(rate.den) : 0
        var duration = 0.0
        if stream.pointee.duration != seq_av_nopts_value(), stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * timeBase
        } else if fmt.pointee.duration > 0 {
            duration = Double(fmt.pointee.duration) / Double(seq_av_time_base())
        }
        let rotation = Int((seq_stream_rotation(stream) / 90).rounded()) * 90 % 360
        let turned = options.applyRotation && (rotation == 90 || rotation == 270)
        let w = Int(ctx.pointee.width), h = Int(ctx.pointee.height)
        let displayW = turned ? h : w, displayH = turned ? w : h
        info = VideoInfo(
            container: String(cString: fmt.pointee.iformat.pointee.name),
            codec: String(cString: avcodec_get_name(ctx.pointee.codec_id)),
            width: displayW, height: displayH, fps: fps, duration: duration,
            rotation: options.applyRotation ? rotation : 0,
            declaredFrames: stream.pointee.nb_frames > 0 ? Int(stream.pointee.nb_frames) : nil)

        var outW = options.width ?? displayW, outH = options.height ?? displayH
        if options.width != nil && options.height == nil { outH = max(1, Int((Double(outW) * Double(displayH) / Double(displayW)).rounded())) }
        if options.height != nil && options.width == nil { outW = max(1, Int((Double(outH) * Double(displayW) / Double(displayH)).rounded())) }
        outSize = (outW, outH)

        format = fmt
        codec = ctx
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        if let start = options.startTime, start > 0 {
            let target = streamStart + Int64(start / max(timeBase, 1e-12))
            if av_seek_frame(fmt, best, target, AVSEEK_FLAG_BACKWARD) >= 0 {
                avcodec_flush_buffers(ctx)
                seeked = true
            }
        }
        ok = true
    }

    deinit { Self.release(format: &format, codec: &codec, packet: &packet, frame: &frame) }

    private static func release(format: inout UnsafeMutablePointer<AVFormatContext>?, codec: inout UnsafeMutablePointer<AVCodecContext>?,
                                packet: inout UnsafeMutablePointer<AVPacket>?, frame: inout UnsafeMutablePointer<AVFrame>?) {
        if frame != nil { av_frame_free(&frame) }
        if packet != nil { av_packet_free(&packet) }
        if codec != nil { avcodec_free_context(&codec) }
        if format != nil { avformat_close_input(&format) }
    }

    /// The next frame that the options select, or nil at the end of the stream.
    /// Throws when the data is corrupt before any frame could be decoded, when the stream breaks
    /// off, and at the end of a stream read from its start that gave no frame at all or fewer than
    /// half the frames the container declares: a broken file never passes for a short one.
    public func nextFrame() throws -> VideoFrame? {
        try advance(convert: true)
    }

    /// Decodes the rest of the stream without converting pixels and returns how many frames the options select.
    public func countRemainingFrames() throws -> Int {
        var n = 0
        while try advance(convert: false) != nil { n += 1 }
        return n
    }

    private func advance(convert: Bool) throws -> VideoFrame? {
        guard let codec, let frame, let packet, let format else { return nil }
        while !finished {
            let rc = avcodec_receive_frame(codec, frame)
            if rc >= 0 {
                defer { av_frame_unref(frame) }
                let pts = frame.pointee.best_effort_timestamp != seq_av_nopts_value() ? frame.pointee.best_effort_timestamp : frame.pointee.pts
                let time = pts == seq_av_nopts_value() ? Double(decodedCount) / max(info.fps, 1e-9) : Double(pts - streamStart) * timeBase
                let index = frameIndex(time: time, hasTimestamp: pts != seq_av_nopts_value())
                lastIndex = index
                decodedCount += 1
                if let start = options.startTime, time < start - 1e-6 { continue }
                if let end = options.endTime, time >= end - 1e-9 { finished = true; return nil }
                if options.stride > 1 && index % options.stride != 0 { continue }
                return VideoFrame(index: index, time: time, image: convert ? try image(from: frame) : Image(width: 0, height: 0, channels: 3, pixels: []))
            }
            if rc == seq_averror_eof() { try endOfStream(); return nil }
            guard rc == seq_averror_eagain() else {
                throw SeqError("decoding failed at frame \(decodedCount) (\(ffmpegErrorText(rc)))", file: url.mediaName)
            }
            if flushing { try endOfStream(); return nil }
            // The decoder wants input.
            let readRC = av_read_frame(format, packet)
            if readRC < 0 {
                if readRC != seq_averror_eof() && decodedCount == 0 {
                    throw SeqError("cannot read packets (\(ffmpegErrorText(readRC)))", file: url.mediaName)
                }
                flushing = true
                avcodec_send_packet(codec, nil)
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            packetsSent += 1
            let sendRC = avcodec_send_packet(codec, packet)
            if sendRC < 0 && sendRC != seq_averror_eagain() && sendRC != seq_averror_invaliddata() {
                throw SeqError("decoding failed at frame \(decodedCount) (\(ffmpegErrorText(sendRC)))", file: url.mediaName)
            }
        }
        return nil
    }

    /// Marks the end and checks the whole stream was there. After a seek (`startTime`) the count
    /// says nothing about the file, so it is checked only when reading from the start.
    private func endOfStream() throws {
        finished = true
        guard !seeked else { return }
        if decodedCount == 0 {
            throw SeqError("no frame could be decoded (truncated or corrupt)", file: url.mediaName)
        }
        let present = options.skipNonReferenceFrames ? max(packetsSent, decodedCount) : decodedCount
        if let declared = info.declaredFrames, present < declared / 2 {
            throw SeqError("truncated: decoded \(present) of \(declared) frames", file: url.mediaName)
        }
    }

    /// The index of the frame just decoded. Reading every frame from the start, it is the count
    /// of frames before. After a seek, or when frames are skipped, it is the frame's time times
    /// the frame rate, never less than one past the frame before (a stream with irregular
    /// timestamps still gives increasing indices).
    private func frameIndex(time: Double, hasTimestamp: Bool) -> Int {
        guard seeked || options.skipNonReferenceFrames else { return decodedCount }
        guard hasTimestamp, info.fps > 0 else { return lastIndex + 1 }
        return max(Int((time * info.fps).rounded()), lastIndex + 1)
    }

    /// Calls `body` for every selected frame.
    public func forEachFrame(_ body: (VideoFrame) throws -> Void) throws {
        while let f = try nextFrame() { try body(f) }
    }

    private func image(from frame: UnsafeMutablePointer<AVFrame>) throws -> Image {
        let turned = info.rotation == 90 || info.rotation == 270
        let (w, h) = turned ? (outSize.1, outSize.0) : outSize
        let img = try converter.convert(frame, width: w, height: h, grayscale: options.grayscale)
        return info.rotation == 0 ? img : img.rotated(clockwiseDegrees: info.rotation)
    }
}

/// `AVERROR_STREAM_NOT_FOUND` is a tag macro; spell out its value.
let AVERROR_STREAM_NOT_FOUND_VALUE: Int32 = -Int32(bitPattern: UInt32(0xF8) | UInt32(Character("S").asciiValue!) << 8 | UInt32(Character("T").asciiValue!) << 16 | UInt32(Character("R").asciiValue!) << 24)
