import CFFmpeg
import Foundation
import SeqCore

/// Reads JPEG, PNG and BMP files into RGB and writes JPEG and PNG.
///
/// JPEG goes through libjpeg-turbo, PNG and BMP through FFmpeg's codecs: chosen by measurement
/// (docs/performance.md, "Image I/O"). Every call uses its own codec state, so the functions are
/// safe to call from several threads.
public enum ImageIO {
    /// The default for `maxPixels`: 200 megapixels, far above any camera photo (a 12000x12000
    /// picture is 144), yet a bound on what a file's header can make a reader allocate.
    public static let defaultMaxPixels = 200_000_000

    /// The file extensions (lowercase, no dot) of the formats `read` decodes: JPEG, PNG, BMP.
    /// The one list every module and command uses to find image files among others; decoding
    /// itself goes by the file's first bytes, not its name.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp"]

    /// Whether `url`'s extension (in any case) is one of `imageExtensions`.
    public static func isImageFile(_ url: URL) -> Bool {
        imageExtensions.contains(url.pathExtension.lowercased())
    }

    /// Whether the file name or path `path` has one of `imageExtensions` (in any case).
    public static func isImageFile(path: String) -> Bool {
        imageExtensions.contains((path as NSString).pathExtension.lowercased())
    }

    /// Reads an image file into RGB (or grayscale when `grayscale` is set). Images of more than
    /// `maxPixels` pixels are refused (`isSizeLimitError`) before their pixels are allocated.
    public static func read(_ url: URL, grayscale: Bool = false, maxPixels: Int = defaultMaxPixels) throws -> Image {
        try decode(try contents(of: url), name: url.path, grayscale: grayscale, maxPixels: maxPixels)
    }

    /// Reads an image file for a use that needs its longer side only `reducingTo` pixels long
    /// (nil: full size): JPEG is decoded at 1/2, 1/4 or 1/8 scale where that stays at least as
    /// long, so a huge photo never occupies its full size in memory. The caller resizes the rest
    /// of the way; `DecodedImage` gives the full size to map coordinates back.
    public static func read(_ url: URL, grayscale: Bool = false, maxPixels: Int = defaultMaxPixels,
                            reducingTo longerSide: Int?) throws -> DecodedImage {
        try decode(try contents(of: url), name: url.path, grayscale: grayscale, maxPixels: maxPixels, reducingTo: longerSide)
    }

    /// The bytes of `url`, with a reason that fits when there are none.
    static func contents(of url: URL) throws -> Data {
        _ = quietFFmpegLogs
        let path = url.path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw SeqError("no such file", file: path) }
        guard !isDir.boolValue else { throw SeqError("is a directory, not an image file", file: path) }
        guard let data = FileManager.default.contents(atPath: path) else { throw SeqError("cannot read file", file: path) }
        return data
    }

    /// Decodes an encoded image held in memory; `name` appears in errors.
    public static func decode(_ data: Data, name: String = "image", grayscale: Bool = false,
                              maxPixels: Int = defaultMaxPixels) throws -> Image {
        try decode(data, name: name, grayscale: grayscale, maxPixels: maxPixels, reducingTo: nil).image
    }

    /// Decodes an encoded image held in memory, scaled down on the way as `read(_:grayscale:maxPixels:reducingTo:)` does.
    public static func decode(_ data: Data, name: String = "image", grayscale: Bool = false,
                              maxPixels: Int = defaultMaxPixels, reducingTo longerSide: Int?) throws -> DecodedImage {
        _ = quietFFmpegLogs
        guard !data.isEmpty else { throw SeqError("empty file (0 bytes)", file: name) }
        let bytes = [UInt8](data.prefix(8))
        let codecID: AVCodecID
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return try JPEGCodec.decode(data, name: name, grayscale: grayscale, maxPixels: maxPixels, reducingTo: longerSide)
        } else if bytes.count >= 8, bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            codecID = AV_CODEC_ID_PNG
        } else if bytes.count >= 2, bytes[0] == 0x42, bytes[1] == 0x4D {
            codecID = AV_CODEC_ID_BMP
        } else {
            throw SeqError("not a JPEG, PNG or BMP image", file: name)
        }
        // The header's size is only a claim: check it before the decoder allocates for it.
        if let size = headerSize(data, codecID: codecID) {
            try checkSize(width: size.width, height: size.height, maxPixels: maxPixels, name: name)
        }
        let image = try decodeWithFFmpeg(data, codecID: codecID, name: name, grayscale: grayscale, maxPixels: maxPixels)
        return DecodedImage(image: image, fullWidth: image.width, fullHeight: image.height)
    }

    /// Whether `error` is the refusal of an image over the pixel limit (as opposed to a file that
    /// cannot be read at all), so that callers can record it as such.
    public static func isSizeLimitError(_ error: Error) -> Bool {
        (error as? SeqError)?.reason.hasPrefix(sizeLimitPrefix) == true
    }

    private static let sizeLimitPrefix = "image too large: "

    /// Refuses an empty size or one of more than `maxPixels` pixels, naming both.
    static func checkSize(width: Int, height: Int, maxPixels: Int, name: String) throws {
        guard width > 0, height > 0 else { throw SeqError("image has no pixels (\(width)x\(height))", file: name) }
        let pixels = width * height  // both at most 2^32, so no overflow in 64 bits
        guard pixels <= maxPixels else {
            throw SeqError(sizeLimitPrefix + "\(width)x\(height) is \(megapixels(pixels)) megapixels, "
                           + "over the limit of \(megapixels(maxPixels)) megapixels", file: name)
        }
    }

    private static func megapixels(_ n: Int) -> String {
        n % 1_000_000 == 0 ? "\(n / 1_000_000)" : String(format: "%.1f", Double(n) / 1e6)
    }

    /// Width and height as a PNG or BMP header states them, or nil when the header is too short
    /// to say (the decoder then reports the damage).
    static func headerSize(_ data: Data, codecID: AVCodecID) -> (width: Int, height: Int)? {
        let b = [UInt8](data.prefix(26))
        func be32(_ i: Int) -> Int { Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3]) }
        func le32(_ i: Int) -> Int32 { Int32(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24) }
        func le16(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
        if codecID == AV_CODEC_ID_PNG {
            // The first chunk is IHDR: length, "IHDR", width, height (big-endian).
            guard b.count >= 24, Array(b[12..<16]) == Array("IHDR".utf8) else { return nil }
            return (be32(16), be32(20))
        }
        // BMP: a 14-byte file header, then the DIB header; OS/2's 12-byte version has 16-bit sides,
        // the others signed 32-bit ones (a negative height means rows top-down).
        guard b.count >= 22 else { return nil }
        if le32(14) == 12 { return (le16(18), le16(20)) }
        guard b.count >= 26 else { return nil }
        let w = le32(18), h = le32(22)
        return (Int(w), Int(h.magnitude))
    }

    private static func decodeWithFFmpeg(_ data: Data, codecID: AVCodecID, name: String, grayscale: Bool, maxPixels: Int) throws -> Image {
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
        // A second guard for headers the check above could not read: FFmpeg refuses larger pictures itself.
        ctx.pointee.max_pixels = Int64(maxPixels)
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
