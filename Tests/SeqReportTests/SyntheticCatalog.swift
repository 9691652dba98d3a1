import Foundation
import SeqCatalog

/// A catalog with made-up but consistent content (videos, shots, tracks, faces with every
/// reason, sequences, exclusions, an ingest run), built through the SeqCatalog API in a
/// temporary folder, with real PNG crops for the kept faces.
struct SyntheticCatalog {
    let folder: URL
    let catalog: Catalog

    /// An 8×8 grey PNG.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAAAAADhZOFXAAAAMElEQVR4nGNgUHBIaFhw4AGDgEFAwYQNFz7ABRigAgIMUAEFBqiAAQNUwIEBKhAAACeEHgG/MexLAAAAAElFTkSuQmCC")!

    static let dropReasons: [FaceReason] = [.lowScore, .small, .blurry, .pose, .duplicate, .notSpread]

    /// - Parameters:
    ///   - videos: number of videos; names come from `names` when given.
    ///   - tracksPerVideo: tracks per video; every fourth gives no sequence (too_few).
    ///   - facesPerTrack: faces per track; 8 of them are kept on a track that gives a sequence.
    ///   - writeCrops: write a PNG for every kept face (off for size tests).
    static func make(videos: Int = 2, tracksPerVideo: Int = 4, facesPerTrack: Int = 20, writeCrops: Bool = true,
                     names: [String] = [], failedVideo: Bool = true) throws -> SyntheticCatalog {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqreport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let catalog = try Catalog.open(at: folder.appendingPathComponent("seqcurate.db"))
        let runID = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: "abc123",
                                                               parametersJSON: #"{"min_faces":5,"max_faces":10,"note":"<b>x</b>"}"#,
                                                               seqcurateVersion: "0.1.0"))
        try catalog.transaction {
            for v in 0..<videos {
                let name = v < names.count ? names[v] : "video_\(v).mp4"
                let frames = tracksPerVideo * facesPerTrack + 10
                let videoID = try catalog.insertVideo(VideoRecord(path: "/data/\(name)", contentHash: "hash\(v)-\(UUID().uuidString)",
                                                                  duration: Double(frames) / 25, fps: 25, width: 640, height: 360,
                                                                  frameCount: frames, ingestRunID: runID))
                let half = frames / 2
                let shotIDs = try catalog.insertShots([ShotRecord(videoID: videoID, index: 0, firstFrame: 0, lastFrame: half - 1),
                                                       ShotRecord(videoID: videoID, index: 1, firstFrame: half, lastFrame: frames - 1)])
                var faces: [FaceRecord] = []
                var sequenceTracks: [(trackID: Int64, kept: Int, first: Int, last: Int)] = []
                for t in 0..<tracksPerVideo {
                    let first = t * facesPerTrack
                    let last = first + facesPerTrack - 1
                    let givesSequence = t % 4 != 3
                    let trackID = try catalog.insertTrack(TrackRecord(videoID: videoID, shotID: shotIDs[first < half ? 0 : 1], index: t,
                                                                      firstFrame: first, lastFrame: last, faceCount: facesPerTrack,
                                                                      meanBoxWidth: 80, meanBoxHeight: 96, meanScore: 0.98, minScore: 0.9,
                                                                      maxCenterStep: 4, endReason: TrackEnd.allCases[t % TrackEnd.allCases.count]))
                    var kept = 0, dropped = 0
                    for k in 0..<facesPerTrack {
                        let frame = first + k
                        let keep = givesSequence && k % max(1, facesPerTrack / 8) == 0 && kept < 8
                        let reason: FaceReason = keep ? .kept : (givesSequence ? dropReasons[dropped % dropReasons.count] : .tooFew)
                        if !keep { dropped += 1 }
                        var crop: String? = nil
                        // Kept faces have a crop; ingest keeps thumbnails of some dropped ones.
                        if keep || (givesSequence && dropped % 2 == 1) {
                            if keep { kept += 1 }
                            crop = "crops/v\(videoID)/t\(t)/f\(frame).png"
                            if writeCrops {
                                let url = folder.appendingPathComponent(crop!)
                                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                                try png.write(to: url)
                            }
                        }
                        let x = Float(100 + k)
                        faces.append(FaceRecord(trackID: trackID, videoID: videoID, frameIndex: frame, time: Double(frame) / 25,
                                                x1: x, y1: 50, x2: x + 80, y2: 146,
                                                landmarks: [x + 25, 80, x + 55, 80, x + 40, 100, x + 28, 120, x + 52, 120],
                                                score: 0.9 + Float(k % 10) / 100, eyeDistance: 20 + Float(k % 30),
                                                sharpness: 50 + Float((k * 37) % 400), yaw: Float(k % 40) - 20, roll: Float(k % 20) - 10,
                                                cropPath: crop, reason: reason))
                    }
                    if givesSequence && kept > 0 { sequenceTracks.append((trackID, kept, first, last)) }
                }
                try catalog.insertFaces(faces)
                for s in sequenceTracks {
                    _ = try catalog.insertSequence(SequenceRecord(trackID: s.trackID, videoID: videoID, faceCount: s.kept,
                                                                  firstFrame: s.first, lastFrame: s.last))
                }
            }
            if failedVideo {
                _ = try catalog.insertVideo(VideoRecord(path: "/data/broken.mp4", contentHash: "broken-\(UUID().uuidString)", duration: nil, fps: nil,
                                                        width: nil, height: nil, frameCount: nil, status: .failed,
                                                        failureReason: "not a video", ingestRunID: runID))
            }
        }
        try catalog.finishIngestRun(id: runID, status: .finished)
        return SyntheticCatalog(folder: folder, catalog: catalog)
    }

    func remove() {
        catalog.close()
        try? FileManager.default.removeItem(at: folder)
    }
}
