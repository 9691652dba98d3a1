import Foundation
import SeqCatalog
import SeqDetect
import SeqMedia
import SeqTestSupport
import SeqTrack
import XCTest
@testable import SeqIngest

/// The default ingest (key frames, refinement between) against `--exhaustive` (full MTCNN on
/// every frame), on the real carphone clip.
final class KeyFrameIngestTests: XCTestCase {
    private func frames(_ count: Int = .max) throws -> [VideoFrame] {
        let reader = try VideoReader(url: try TestFiles.asset("carphone_pristine.mp4"))
        var out: [VideoFrame] = []
        while out.count < count, let f = try reader.nextFrame() { out.append(f) }
        return out
    }

    func testDefaultCoversTheExhaustiveFacesWithFewKeyFrames() throws {
        let video = try TestFiles.asset("carphone_pristine.mp4")
        let (fast, _) = try IngestTestSupport.ingest([video], into: try TestFiles.tempDirectory("seqcurate-keyframes", removedAfter: self))
        var exhaustive = IngestOptions()
        exhaustive.exhaustive = true
        let (full, _) = try IngestTestSupport.ingest([video], into: try TestFiles.tempDirectory("seqcurate-exhaustive", removedAfter: self),
                                                     options: exhaustive)
        let fastFaces = try fast.faces(videoID: try XCTUnwrap(try fast.videos().first?.id))
        let fullFaces = try full.faces(videoID: try XCTUnwrap(try full.videos().first?.id))
        XCTAssertTrue(fullFaces.allSatisfy { $0.source == .detected })
        // Interpolated: the frames the decoder dropped (IngestOptions.skipNonReferenceFrames).
        XCTAssertEqual(Set(fastFaces.compactMap(\.source)), [.detected, .refined, .interpolated])
        // Key frames every 8 frames (no cut in this clip; a refinement that fails adds one), and
        // of those only every 4th full: light ones refine the face followed.
        let detected = fastFaces.filter { $0.source == .detected }.count
        XCTAssertLessThanOrEqual(detected, 120 / 32 + 4)
        XCTAssertGreaterThanOrEqual(detected, 120 / 32)
        // Every face of the exhaustive run has one of the default run at IoU >= 0.5 in its frame.
        var byFrame: [Int: [FaceRecord]] = [:]
        for f in fastFaces { byFrame[f.frameIndex, default: []].append(f) }
        let box = { (f: FaceRecord) in FaceBox(x1: f.x1, y1: f.y1, x2: f.x2, y2: f.y2) }
        let covered = fullFaces.filter { f in byFrame[f.frameIndex, default: []].contains { box($0).iou(box(f)) >= 0.5 } }
        XCTAssertEqual(covered.count, fullFaces.count)
        XCTAssertGreaterThanOrEqual(try fast.sequences().count, try full.sequences().count)
    }

    func testOnlyEveryOtherFrameIsMeasuredAndKeptFacesComeFromThose() throws {
        // The default measures (crops) the faces of the first frame decoded in each block of two
        // frames (the even frame, unless the decoder dropped it); the others stay in their tracks
        // with their boxes and the reason `unmeasured`.
        let video = try TestFiles.asset("carphone_pristine.mp4")
        let (catalog, _) = try IngestTestSupport.ingest([video], into: try TestFiles.tempDirectory("seqcurate-measure2", removedAfter: self))
        let faces = try catalog.faces(videoID: try XCTUnwrap(try catalog.videos().first?.id)).sorted { $0.frameIndex < $1.frameIndex }
        XCTAssertGreaterThanOrEqual(faces.count, 110)
        XCTAssertEqual(Set(faces.map(\.trackID)).count, 1, "one face, one track")
        let decoded = faces.filter { !$0.interpolated }
        var unmeasured = 0
        for (previous, f) in zip([-1] + decoded.map(\.frameIndex), decoded) {
            if f.frameIndex / 2 > previous / 2 || previous < 0 {
                XCTAssertNotEqual(f.reason, .unmeasured, "frame \(f.frameIndex)")
                XCTAssertNotNil(f.sharpness)
                continue
            }
            unmeasured += 1
            XCTAssertEqual(f.reason, .unmeasured, "frame \(f.frameIndex)")
            XCTAssertNil(f.sharpness)
            XCTAssertNil(f.cropPath)
            XCTAssertNil(f.cropHash)
            XCTAssertNotNil(f.source)
        }
        XCTAssertGreaterThan(unmeasured, 0)
        let kept = faces.filter(\.kept)
        XCTAssertGreaterThanOrEqual(kept.count, 5)
        XCTAssertTrue(kept.allSatisfy { !$0.interpolated && $0.cropPath != nil && $0.sharpness != nil })

        // --measure-every 1 measures every frame again: no face is `unmeasured`.
        var every = IngestOptions()
        every.measureEvery = 1
        let (all, _) = try IngestTestSupport.ingest([video], into: try TestFiles.tempDirectory("seqcurate-measure1", removedAfter: self),
                                                    options: every)
        let allFaces = try all.faces(videoID: try XCTUnwrap(try all.videos().first?.id))
        XCTAssertFalse(allFaces.contains { $0.reason == .unmeasured })
        XCTAssertTrue(allFaces.filter { !$0.interpolated }.allSatisfy { $0.sharpness != nil })
        XCTAssertEqual(try all.sequences().count, try catalog.sequences().count)
    }

    func testExhaustiveFacesAreFullDetectionOnEveryFrame() throws {
        // Today's behaviour: each face of an exhaustive ingest is what MTCNN.detect gives on its frame.
        var options = IngestOptions()
        options.exhaustive = true
        let (catalog, _) = try IngestTestSupport.ingest([try TestFiles.asset("carphone_pristine.mp4")],
                                                        into: try TestFiles.tempDirectory("seqcurate-exhaustive", removedAfter: self),
                                                        options: options)
        let faces = try catalog.faces(videoID: try XCTUnwrap(try catalog.videos().first?.id))
        let detector = try IngestTestSupport.makeDetector()
        let images = try frames()
        XCTAssertEqual(Set(faces.map(\.frameIndex)).count, faces.count, "one face per frame in this clip")
        XCTAssertGreaterThanOrEqual(faces.count, 110)
        for f in faces {
            let d = try XCTUnwrap(detector.detect(images[f.frameIndex].image).first)
            XCTAssertEqual([f.x1, f.y1, f.x2, f.y2, f.score], [d.box.x1, d.box.y1, d.box.x2, d.box.y2, d.score], "frame \(f.frameIndex)")
            XCTAssertEqual(f.source, .detected)
        }
    }

    func testLightKeyFramesRefineTheFaceAndFindNewLargeFaces() throws {
        // Every 4th periodic key frame is full; the others refine the face followed and look for
        // new faces of at least 2 x 20 pixels. The carphone face (about 60 pixels) is found
        // from the first frame and followed on every frame.
        let detector = try IngestTestSupport.makeDetector()
        var finder = KeyFrameFinder(detector: detector, keyFrameInterval: 8, fullKeyFrameEvery: 4)
        XCTAssertEqual(finder.lightMinFaceSize, 2 * detector.options.minFaceSize)
        var sources: [Int: [FaceSource]] = [:]
        for frame in try frames(66) {
            sources[frame.index] = finder.faces(in: frame, cut: false).map(\.source)
        }
        XCTAssertTrue(sources.values.allSatisfy { $0.count == 1 }, "one face on every frame")
        XCTAssertEqual(sources[0], [.detected])
        XCTAssertEqual(sources[8], [.refined], "a light key frame refines the face it follows")
        XCTAssertEqual(sources[32], [.detected], "the 4th periodic key frame is full")
        XCTAssertEqual(finder.keyFrames, 9)
        XCTAssertEqual(finder.lightKeyFrames, 6)

        // A light key frame finds a new face of at least 40 pixels: a fresh finder that follows
        // nothing yet (first frame full, but painted grey) meets the face at frame 8.
        var fresh = KeyFrameFinder(detector: detector, keyFrameInterval: 8, fullKeyFrameEvery: 4)
        for var frame in try frames(9) {
            if frame.index == 0 { frame.image.pixels = [UInt8](repeating: 128, count: frame.image.pixels.count) }
            let found = fresh.faces(in: frame, cut: false)
            if frame.index == 0 { XCTAssertTrue(found.isEmpty) }
            if frame.index == 8 { XCTAssertEqual(found.map(\.source), [.detected]) }
        }
        XCTAssertEqual(fresh.lightKeyFrames, 1)
    }

    func testALostFaceEndsItsTrack() throws {
        // Frames 30 on have the face painted over: refinement loses it, the next frame is a
        // key frame that finds nothing, and the track ends as lost at frame 29.
        let detector = try IngestTestSupport.makeDetector()
        var finder = KeyFrameFinder(detector: detector, keyFrameInterval: 8)
        var shots = ShotDetector()
        var tracker = FaceTracker()
        var sources: [Int: [FaceSource]] = [:]
        var paintedBox: FaceBox?
        for var frame in try frames(50) {
            if frame.index >= 30 {
                let b = try XCTUnwrap(paintedBox)
                let m = 0.4 * b.width
                for y in max(0, Int(b.y1 - m))..<min(frame.image.height, Int(b.y2 + m)) {
                    for x in max(0, Int(b.x1 - m))..<min(frame.image.width, Int(b.x2 + m)) {
                        for c in 0..<3 { frame.image[x, y, c] = 128 }
                    }
                }
            }
            let found = finder.faces(in: frame, cut: shots.feed(frameIndex: frame.index, image: frame.image))
            if frame.index == 29 { paintedBox = found.first?.detection.box }
            sources[frame.index] = found.map(\.source)
            tracker.update(frameIndex: frame.index, time: frame.time, detections: found.map(\.detection))
        }
        XCTAssertEqual(sources[0], [.detected])
        XCTAssertEqual(sources[1], [.refined])
        XCTAssertEqual(sources[8], [.detected])
        XCTAssertEqual(sources[30], [], "the face is gone")
        let tracks = tracker.finish()
        XCTAssertEqual(tracks.count, 1)
        XCTAssertEqual(tracks[0].lastFrame, 29)
        XCTAssertEqual(tracks[0].endReason, .lost)
        XCTAssertGreaterThanOrEqual(finder.keyFrames, 5)
    }
}
