import Foundation
import SeqTestSupport
import XCTest
@testable import SeqCatalog

/// Writes a small file (standing in for an image) and its parent folders.
func touch(_ url: URL, _ text: String = "x") throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

/// The faces of one synthetic track: `kept` kept faces with crop files, then `dropped` faces.
func makeFaces(catalog: Catalog, videoID: Int64, trackID: Int64, kept: Int, dropped: [FaceReason], writeCrops: Bool = true) throws -> [FaceRecord] {
    var faces: [FaceRecord] = []
    for i in 0..<(kept + dropped.count) {
        let isKept = i < kept
        let crop = isKept ? "crops/v\(videoID)/t\(trackID)/f\(i).jpg" : nil
        if let crop, writeCrops { try touch(catalog.folder.appendingPathComponent(crop), "v\(videoID)t\(trackID)f\(i)") }
        let lm: [Float] = (0..<10).map { Float($0) + Float(i) }
        faces.append(FaceRecord(trackID: trackID, videoID: videoID, frameIndex: i * 3, time: Double(i) * 0.1,
                                x1: 10, y1: 20, x2: 110 + Float(i), y2: 140, landmarks: lm, score: 0.99, interpolated: i % 2 == 1,
                                eyeDistance: 40, sharpness: 120.5, yaw: 3, roll: -1.5, cropPath: crop, cropHash: nil,
                                reason: isKept ? .kept : dropped[i - kept]))
    }
    return faces
}

/// Adds one ok video with one shot, and one track + sequence per entry of `sequences`
/// (the number of kept faces of each), in one transaction. Returns the video id.
@discardableResult
func addVideo(_ catalog: Catalog, path: String, hash: String, sequences: [Int], dropped: [FaceReason] = [.lowScore, .duplicate],
              writeCrops: Bool = true) throws -> Int64 {
    try catalog.transaction {
        let videoID = try catalog.insertVideo(VideoRecord(path: path, contentHash: hash, duration: 4, fps: 30, width: 352, height: 288, frameCount: 120))
        let shotIDs = try catalog.insertShots([ShotRecord(videoID: videoID, index: 0, firstFrame: 0, lastFrame: 119)])
        for (index, kept) in sequences.enumerated() {
            let faces0 = kept + dropped.count
            let trackID = try catalog.insertTrack(TrackRecord(videoID: videoID, shotID: shotIDs[0], index: index, firstFrame: 0,
                                                              lastFrame: (faces0 - 1) * 3, faceCount: faces0, meanBoxWidth: 100,
                                                              meanBoxHeight: 120, meanScore: 0.98, minScore: 0.9, maxCenterStep: 4))
            try catalog.insertFaces(try makeFaces(catalog: catalog, videoID: videoID, trackID: trackID, kept: kept, dropped: dropped, writeCrops: writeCrops))
            if kept > 0 {
                _ = try catalog.insertSequence(SequenceRecord(trackID: trackID, videoID: videoID, faceCount: kept, firstFrame: 0, lastFrame: (kept - 1) * 3))
            }
        }
        return videoID
    }
}

/// Adds identities of dataset `casia` with image files under `root/<name>/NNN.jpg`.
func addIdentities(_ catalog: Catalog, root: URL, _ counts: [(String, Int)]) throws {
    for (name, count) in counts {
        let id = try catalog.upsertIdentity(dataset: "casia", name: name)
        var images: [IdentityImageRecord] = []
        for i in 0..<count {
            let file = root.appendingPathComponent(name).appendingPathComponent(String(format: "%03d.jpg", i))
            try touch(file, "\(name)\(i)")
            images.append(IdentityImageRecord(identityID: id, sourcePath: file.path, cropPath: nil, aligned: true))
        }
        try catalog.insertIdentityImages(images)
    }
}

/// A catalog with 2 videos (4 sequences, 5 tracks), 4 identities and one failed identity image.
func makeFixtureCatalog(_ test: XCTestCase) throws -> (Catalog, URL) {
    let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: test)
    let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
    try addVideo(catalog, path: "/data/videos/George_W_Bush_speech.mp4", hash: "h1", sequences: [6, 5])
    try addVideo(catalog, path: "/data/videos/clipA.mp4", hash: "h2", sequences: [7, 0, 5])
    let images = dir.appendingPathComponent("ids")
    try addIdentities(catalog, root: images, [("Alice_Smith", 3), ("Bob_Jones", 2), ("george w bush", 2), ("Carol_White", 1)])
    let bob = try catalog.upsertIdentity(dataset: "casia", name: "Bob_Jones")
    try catalog.insertIdentityImages([IdentityImageRecord(identityID: bob, sourcePath: images.appendingPathComponent("Bob_Jones/broken.jpg").path,
                                                          cropPath: nil, aligned: false, status: .failed, reason: "no_face")])
    return (catalog, dir)
}
