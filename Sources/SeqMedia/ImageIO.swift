import CFFmpeg
import Foundation
import SeqCore

/// Reads JPEG, PNG and BMP files into RGB and writes JPEG and PNG.
///
/// JPEG goes through libjpeg-turbo, PNG and BMP through FFmpeg's codecs: chosen by measurement
/// (docs/performance.md, "Image I/O"). Every call uses its own codec state, so the functions are
/// safe to call from several threads.
public enum ImageIO {
    /// Reads an image file into RGB (or grayscale when `grayscale` is set).
    public static func read(_ url: URL, grayscale: Bool = false) throws -> Image {
        _ = quietFFmpegLogs
        let path = url.path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SeqError(FileManager.default.fileExists(atPath: path) ? "cannot read file" : "no such file", file: path)
        }
        return try decode(data, name: path, grayscale: grayscale)
    }

    /// Decodes an encoded image held in memory; `name` appears in errors.
    public static func decode(_ data: Data, name: String = "image", grayscale: Bool = false) throws -> Image {
        _ = quietFFmpegLogs
        guard !data.isEmpty else { throw SeqError("empty file (0 bytes)", file: name) }
        let bytes = [UInt8](data.prefix(8))
        let codecID: AVCodecID
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return try JPEGCodec.decode(data, name: name, grayscale: grayscale)
        } else if bytes.count >= 8, bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            codecID = AV_CODEC_ID_PNG
        } else if bytes.count >= 2, bytes[0] == 0x42, bytes[1] == 0x4D {
            codecID = AV_CODEC_ID_BMP
        } else {
            throw SeqError("not a JPEG, PNG or BMP image", file: name)
        }
        guard let decoder = avcodec_find_decoder(codecID) else { throw SeqError("no decoder for this image type", file: name) }
        var ctx = avcodec_alloc_context3(decoder)
        var packet = av_packet_alloc()
        var frame = av_frame_alloc()
        defer {
            av_frame_free(&frame)
            av_packet_free(&packet)
            avcodec_free_context(&ctx)
        }
        guard let ctx, let packet, let frame else { throw SeqError("out of memory", file: name) }
        ctx.pointee.thread_count = 1
        var rc = avcodec_open2(ctx, decoder, nil)
        guard rc >= 0 else { throw SeqError("cannot open image decoder (\(ffmpegErrorText(rc)))", file: name) }
        // av_new_packet allocates the zeroed padding that codecs may read past the end.
        rc = av_new_packet(packet, Int32(data.count))
        guard rc >= 0 else { throw SeqError("out of memory", file: name) }
        data.withUnsafeBytes { raw in
            packet.pointee.data.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: data.count)
        }
        // Each image is a key frame; without the flag, decoders that keep state (PNG) blend pictures.
        packet.pointee.flags |= seq_av_pkt_flag_key()
        rc = avcodec_send_packet(ctx, packet)
        guard rc >= 0 else { throw SeqError("corrupt image (\(ffmpegErrorText(rc)))", file: name) }
        rc = avcodec_receive_frame(ctx, frame)
        if rc == seq_averror_eagain() {
            avcodec_send_packet(ctx, nil)
            rc = avcodec_receive_frame(ctx, frame)
        }
        guard rc >= 0, frame.pointee.width > 0, frame.pointee.height > 0 else {
            throw SeqError("corrupt image (\(ffmpegErrorText(rc)))", file: name)
        }
        let converter = FrameConverter()
        return try converter.convert(frame, width: Int(frame.pointee.width), height: Int(frame.pointee.height), grayscale: grayscale)
    }

    /// Writes a JPEG; `quality` runs from 1 (smallest) to 100 (best).
    public static func writeJPEG(_ image: Image, to url: URL, quality: Int = 95) throws {
        try AtomicFile.write(try encodeJPEG(image, quality: quality), to: url)
    }

    /// JPEG bytes of `image`; `quality` runs from 1 to 100.
    public static func encodeJPEG(_ image: Image, quality: Int = 95) throws -> Data {
        try JPEGCodec.encode(image, quality: quality, name: "image")
    }

    /// Writes a lossless PNG.
    public static func writePNG(_ image: Image, to url: URL) throws {
        let format = image.channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24
        let data = try encode(image, codecID: AV_CODEC_ID_PNG, pixelFormat: format, name: url.path)
        try AtomicFile.write(data, to: url)
    }

    /// Writes JPEG or PNG by the file's extension.
    public static func write(_ image: Image, to url: URL, quality: Int = 95) throws {
        switch url.pathExtension.lowercased() {
        case "png": try writePNG(image, to: url)
        case "jpg", "jpeg": try writeJPEG(image, to: url, quality: quality)
        default: throw SeqError("unknown image type (use .jpg or .png)", file: url.path)
        }
    }

    static func encode(_ image: Image, codecID: AVCodecID, pixelFormat: AVPixelFormat, name: String) throws -> Data {
        _ = quietFFmpegLogs
        guard image.width > 0, image.height > 0 else { throw SeqError("cannot write an empty image", file: name) }
        guard let encoder = avcodec_find_encoder(codecID) else { throw SeqError("no encoder for this image type", file: name) }
        var ctx = avcodec_alloc_context3(encoder)
        var frame = av_frame_alloc()
        var packet = av_packet_alloc()
        var sws: OpaquePointer?
        defer {
            sws_freeContext(sws)
            av_packet_free(&packet)
            av_frame_free(&frame)
            avcodec_free_context(&ctx)
        }
        guard let ctx, let frame, let packet else { throw SeqError("out of memory", file: name) }
        ctx.pointee.width = Int32(image.width)
        ctx.pointee.height = Int32(image.height)
        ctx.pointee.pix_fmt = pixelFormat
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        ctx.pointee.thread_count = 1
        var rc = avcodec_open2(ctx, encoder, nil)
        guard rc >= 0 else { throw SeqError("cannot open encoder (\(ffmpegErrorText(rc)))", file: name) }
        frame.pointee.width = ctx.pointee.width
        frame.pointee.height = ctx.pointee.height
        frame.pointee.format = pixelFormat.rawValue
        rc = av_frame_get_buffer(frame, 0)
        guard rc >= 0 else { throw SeqError("out of memory", file: name) }
        let srcFormat = image.channels == 1 ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24
        sws = sws_getContext(Int32(image.width), Int32(image.height), srcFormat, Int32(image.width), Int32(image.height),
                             pixelFormat, SWS_POINT, nil, nil, nil)
        guard sws != nil else { throw SeqError("cannot convert pixels for encoding", file: name) }
        image.pixels.withUnsafeBufferPointer { buf in
            var src: [UnsafePointer<UInt8>?] = [buf.baseAddress, nil, nil, nil]
            var srcStride: [Int32] = [Int32(image.width * image.channels), 0, 0, 0]
            let d = frame.pointee.data, l = frame.pointee.linesize
            var dst: [UnsafeMutablePointer<UInt8>?] = [d.0, d.1, d.2, d.3]
            var dstStride: [Int32] = [l.0, l.1, l.2, l.3]
            sws_scale(sws, &src, &srcStride, 0, Int32(image.height), &dst, &dstStride)
        }
        rc = avcodec_send_frame(ctx, frame)
        guard rc >= 0 else { throw SeqError("encoding failed (\(ffmpegErrorText(rc)))", file: name) }
        avcodec_send_frame(ctx, nil)
        var out = Data()
        while avcodec_receive_packet(ctx, packet) >= 0 {
            out.append(packet.pointee.data, count: Int(packet.pointee.size))
            av_packet_unref(packet)
        }
        guard !out.isEmpty else { throw SeqError("encoder produced no data", file: name) }
        return out
    }
}
