import CTurboJPEG
import Foundation
import SeqCore

/// JPEG through libjpeg-turbo's TurboJPEG API: measured faster than FFmpeg's MJPEG codec,
/// above all for encoding small face crops (docs/performance.md, "Image I/O").
enum JPEGCodec {
    /// Decodes `data`, refusing images of more than `maxPixels` before any pixel memory is taken.
    /// With `reducingTo`, the decoder scales down by 1/2, 1/4 or 1/8 as far as the longer side
    /// stays at least that long; the result then says the full size too.
    static func decode(_ data: Data, name: String, grayscale: Bool, maxPixels: Int, reducingTo longerSide: Int? = nil) throws -> DecodedImage {
        guard let handle = tjInitDecompress() else { throw SeqError("cannot start the JPEG decoder", file: name) }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> DecodedImage in
            let src = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, space: Int32 = 0
            guard tjDecompressHeader3(handle, src, UInt(data.count), &w, &h, &sub, &space) == 0 else {
                throw SeqError("corrupt JPEG (\(String(cString: tjGetErrorStr2(handle))))", file: name)
            }
            // The header's size is only a claim: check it before allocating anything for it.
            try ImageIO.checkSize(width: Int(w), height: Int(h), maxPixels: maxPixels, name: name)
            let factor = scalingFactor(width: Int(w), height: Int(h), longerSide: longerSide)
            let sw = scaled(w, factor), sh = scaled(h, factor)
            let cmyk = space == Int32(TJCS_CMYK.rawValue) || space == Int32(TJCS_YCCK.rawValue)
            // libjpeg-turbo converts CMYK to nothing else, so such files come out as CMYK and are
            // turned into RGB here.
            let channels = cmyk ? 4 : grayscale ? 1 : 3
            let format = cmyk ? TJPF_CMYK : grayscale ? TJPF_GRAY : TJPF_RGB
            var pixels = [UInt8](repeating: 0, count: Int(sw) * Int(sh) * channels)
            let rc = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src, UInt(data.count), dst.baseAddress, sw, 0, sh, Int32(format.rawValue), 0)
            }
            // A warning (e.g. premature end of data) still yields a picture; a truncated file does not.
            if rc != 0 && tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) {
                throw SeqError("corrupt JPEG (\(String(cString: tjGetErrorStr2(handle))))", file: name)
            }
            if rc != 0 {
                throw SeqError("truncated or damaged JPEG (\(String(cString: tjGetErrorStr2(handle))))", file: name)
            }
            var image: Image
            if cmyk {
                image = rgb(fromCMYK: pixels, width: Int(sw), height: Int(sh), inverted: hasAdobeMarker(raw))
                if grayscale { image = image.grayscale() }
            } else {
                image = Image(width: Int(sw), height: Int(sh), channels: channels, pixels: pixels)
            }
            return DecodedImage(image: image, fullWidth: Int(w), fullHeight: Int(h))
        }
    }

    /// The strongest reduction among 1/1, 1/2, 1/4 and 1/8 that keeps the longer side at least
    /// `longerSide` long. Only these factors are used: libjpeg-turbo has fast (SIMD) reduced
    /// transforms for them, and the caller resizes the rest of the way anyway.
    static func scalingFactor(width: Int, height: Int, longerSide: Int?) -> tjscalingfactor {
        let one = tjscalingfactor(num: 1, denom: 1)
        guard let longerSide, longerSide > 0 else { return one }
        var count: Int32 = 0
        guard let list = tjGetScalingFactors(&count) else { return one }
        var best = one
        for i in 0..<Int(count) {
            let f = list[i]
            guard f.num == 1, f.denom > best.denom, [2, 4, 8].contains(f.denom) else { continue }
            if max(Int(scaled(Int32(width), f)), Int(scaled(Int32(height), f))) >= longerSide { best = f }
        }
        return best
    }

    /// TurboJPEG's `TJSCALED`: a side after scaling, rounded up.
    static func scaled(_ side: Int32, _ f: tjscalingfactor) -> Int32 {
        Int32((Int(side) * Int(f.num) + Int(f.denom) - 1) / Int(f.denom))
    }

    /// Whether the file carries Adobe's APP14 marker before its first scan. Adobe's encoders (and
    /// libjpeg, which always writes the marker with CMYK) store CMYK inverted, 255 meaning no ink;
    /// the marker is the signal browsers and image libraries use to undo that.
    static func hasAdobeMarker(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 2
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else { return false }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xDA || marker == 0xD9 { return false }  // start of scan, end of image
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }  // no length
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if marker == 0xEE, length >= 7, i + 9 <= bytes.count,
               Array(bytes[(i + 4)..<(i + 9)]) == Array("Adobe".utf8) {
                return true
            }
            i += 2 + length
        }
        return false
    }

    /// RGB from CMYK by the naive formula (no colour management): each of R, G, B is the light
    /// left by its ink times the light left by black.
    static func rgb(fromCMYK cmyk: [UInt8], width: Int, height: Int, inverted: Bool) -> Image {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        cmyk.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(width * height) {
                    var c = Int(src[4 * p]), m = Int(src[4 * p + 1]), y = Int(src[4 * p + 2]), k = Int(src[4 * p + 3])
                    if !inverted { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k }
                    // Now 255 means no ink: the remaining light is value / 255.
                    dst[3 * p] = UInt8((c * k + 127) / 255)
                    dst[3 * p + 1] = UInt8((m * k + 127) / 255)
                    dst[3 * p + 2] = UInt8((y * k + 127) / 255)
                }
            }
        }
        return Image(width: width, height: height, channels: 3, pixels: out)
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
