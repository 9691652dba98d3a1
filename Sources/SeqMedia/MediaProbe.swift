import Foundation
import SeqCore

/// What `seqcurate probe` reports about a video: stream facts plus a decoded frame count.
public struct ProbeResult: Codable, Sendable, Equatable {
    public var path: String
    public var container: String
    public var codec: String
    public var width: Int
    public var height: Int
    public var fps: Double
    public var duration: Double
    public var rotation: Int
    /// Frames actually decoded, not the container's claim.
    public var frames: Int
}

public enum MediaProbe {
    /// Opens `url`, decodes every frame and reports what it found.
    public static func probe(_ url: URL, threads: Int = 0) throws -> ProbeResult {
        let reader = try VideoReader(url: url, options: VideoReaderOptions(threads: threads))
        let frames = try reader.countRemainingFrames()
        guard frames > 0 else { throw SeqError("no frame could be decoded (truncated or corrupt)", file: url.path) }
        if let declared = reader.info.declaredFrames, frames < declared / 2 {
            throw SeqError("truncated: decoded \(frames) of \(declared) frames", file: url.path)
        }
        let i = reader.info
        return ProbeResult(path: url.path, container: i.container, codec: i.codec, width: i.width, height: i.height,
                           fps: i.fps, duration: i.duration, rotation: i.rotation, frames: frames)
    }
}
