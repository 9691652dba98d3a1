import CFFmpeg
import Foundation
import SeqCore

/// FFmpeg's text for an error code.
func ffmpegErrorText(_ code: Int32) -> String {
    var buf = [CChar](repeating: 0, count: 256)
    seq_av_err2str(code, &buf, buf.count)
    return String(cString: buf)
}

/// Silences FFmpeg's own log lines once per process: seqcurate reports errors itself, one line per file.
let quietFFmpegLogs: Void = {
    av_log_set_level(AV_LOG_QUIET)
}()

/// Converts decoded frames into packed RGB24 or GRAY8 `Image`s, caching the scaler between frames.
final class FrameConverter {
    private var context: OpaquePointer?
    private var key: (Int32, Int32, Int32, Int32, Int32, Int32) = (0, 0, 0, 0, 0, 0)

    deinit { sws_freeContext(context) }

    func convert(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int, grayscale: Bool) throws -> Image {
        let channels = grayscale ? 1 : 3
        let dstFormat = grayscale ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_RGB24
        let k = (frame.pointee.width, frame.pointee.height, frame.pointee.format, Int32(width), Int32(height), dstFormat.rawValue)
        if context == nil || k != key {
            sws_freeContext(context)
            let scaled = width != Int(frame.pointee.width) || height != Int(frame.pointee.height)
            context = sws_getContext(frame.pointee.width, frame.pointee.height, AVPixelFormat(frame.pointee.format),
                                     Int32(width), Int32(height), dstFormat,
                                     scaled ? SWS_AREA : SWS_BILINEAR, nil, nil, nil)
            key = k
            guard context != nil else { throw SeqError("cannot convert pixel format \(frame.pointee.format)") }
        }
        let srcData = frame.pointee.data
        let srcLines = frame.pointee.linesize
        var src: [UnsafePointer<UInt8>?] = [
            UnsafePointer(srcData.0), UnsafePointer(srcData.1), UnsafePointer(srcData.2), UnsafePointer(srcData.3),
        ]
        var srcStride: [Int32] = [srcLines.0, srcLines.1, srcLines.2, srcLines.3]
        // Not zeroed first: sws_scale writes every row (2.7 MB a 720p frame, zeroed for
        // nothing before); rows it did not write, if any, are zeroed after.
        var rows: Int32 = 0
        let count = width * height * channels
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            var dst: [UnsafeMutablePointer<UInt8>?] = [buf.baseAddress, nil, nil, nil]
            var dstStride: [Int32] = [Int32(width * channels), 0, 0, 0]
            rows = sws_scale(context, &src, &srcStride, 0, frame.pointee.height, &dst, &dstStride)
            let written = min(max(Int(rows), 0), height) * width * channels
            if written < count { (buf.baseAddress! + written).initialize(repeating: 0, count: count - written) }
            initialized = count
        }
        guard rows > 0 else { throw SeqError("pixel conversion failed") }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }
}

extension Image {
    /// The image turned clockwise by a multiple of 90 degrees.
    public func rotated(clockwiseDegrees degrees: Int) -> Image {
        let turns = ((degrees / 90) % 4 + 4) % 4
        if turns == 0 { return self }
        let (w, h, c) = (width, height, channels)
        let outW = turns == 2 ? w : h
        let outH = turns == 2 ? h : w
        var out = [UInt8](repeating: 0, count: w * h * c)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let (nx, ny): (Int, Int)
                        switch turns {
                        case 1: (nx, ny) = (h - 1 - y, x)
                        case 2: (nx, ny) = (w - 1 - x, h - 1 - y)
                        default: (nx, ny) = (y, w - 1 - x)
                        }
                        let s = (y * w + x) * c, d = (ny * outW + nx) * c
                        for k in 0..<c { dst[d + k] = src[s + k] }
                    }
                }
            }
        }
        return Image(width: outW, height: outH, channels: c, pixels: out)
    }
}
