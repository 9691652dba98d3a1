import CTurboJPEG
import Foundation
import SeqCore

/// JPEG through libjpeg-turbo's TurboJPEG API: measured faster than FFmpeg's MJPEG codec,
/// above all for encoding small face crops (docs/performance.md, "Image I/O").
enum JPEGCodec {
    static func decode(_ data: Data, name: String, grayscale: Bool) throws -> Image {
        guard let handle = tjInitDecompress() else { throw SeqError("cannot start the JPEG decoder", file: name) }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> Image in
            let src = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, space: Int32 = 0
            guard tjDecompressHeader3(handle, src, UInt(data.count), &w, &h, &sub, &space) == 0, w > 0, h > 0 else {
                throw SeqError("corrupt JPEG (\(String(cString: tjGetErrorStr2(handle))))", file: name)
            }
            let channels = grayscale ? 1 : 3
            var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * channels)
            let rc = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src, UInt(data.count), dst.baseAddress, w, 0, h,
                              Int32(grayscale ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), 0)
            }
            // A warning (e.g. premature end of data) still yields a picture; a truncated file does not.
            if rc != 0 && tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) {
                throw SeqError("corrupt JPEG (\(String(cString: tjGetErrorStr2(handle))))", file: name)
            }
            if rc != 0 {
                throw SeqError("truncated or damaged JPEG (\(String(cString: tjGetErrorStr2(handle))))", file: name)
            }
            return Image(width: Int(w), height: Int(h), channels: channels, pixels: pixels)
        }
    }

    static func encode(_ image: Image, quality: Int, name: String) throws -> Data {
        guard image.width > 0, image.height > 0 else { throw SeqError("cannot write an empty image", file: name) }
        guard let handle = tjInitCompress() else { throw SeqError("cannot start the JPEG encoder", file: name) }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { if out != nil { tjFree(out) } }
        let gray = image.channels == 1
        let rc = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), &out, &size,
                        Int32(gray ? TJSAMP_GRAY.rawValue : TJSAMP_420.rawValue), Int32(min(max(quality, 1), 100)), 0)
        }
        guard rc == 0, let out else { throw SeqError("JPEG encoding failed (\(String(cString: tjGetErrorStr2(handle))))", file: name) }
        return Data(bytes: out, count: Int(size))
    }
}
