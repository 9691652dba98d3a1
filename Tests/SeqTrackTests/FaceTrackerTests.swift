import XCTest
import SeqTestSupport
import SeqDetect
@testable import SeqTrack

final class FaceTrackerTests: XCTestCase {
    private let fps = 30.0

    private func run(_ tracker: inout FaceTracker, frames: Range<Int>, cutAt: Set<Int> = [],
                     _ detections: (Int) -> [FaceDetection]) -> [FaceTrack] {
        for f in frames {
            tracker.update(frameIndex: f, time: Double(f) / fps, detections: detections(f), cut: cutAt.contains(f))
        }
        return tracker.finish()
    }

    private func centersX(_ t: FaceTrack) -> [Float] { t.observations.map { $0.detection.box.center.x } }

    func testSideBySideFacesStaySeparate() {
        var tracker = FaceTracker()
        var rng = TestRandom(seed: 1)
        let tracks = run(&tracker, frames: 0..<40) { _ in
            let j = { Float.random(in: -2...2, using: &rng) }
            return [Synthetic.face(cx: 100 + j(), cy: 80 + j()), Synthetic.face(cx: 165 + j(), cy: 80 + j())].shuffled(using: &rng)
        }
        XCTAssertEqual(tracks.count, 2)
        for t in tracks {
            XCTAssertEqual(t.observations.count, 40)
            XCTAssertEqual(t.frameSpan, 40)
            XCTAssertEqual(t.endReason, .end)
            let xs = centersX(t)
            XCTAssertLessThan(xs.max()! - xs.min()!, 5, "a track never takes the other face")
        }
    }

    func testCrossingFacesKeepTheirIdentities() {
        // A walks right, B walks left, slightly lower; their boxes overlap while they pass.
        var tracker = FaceTracker()
        let tracks = run(&tracker, frames: 0..<40) { f in
            let a = Synthetic.face(cx: 50 + 7.5 * Float(f), cy: 100)
            let b = Synthetic.face(cx: 350 - 7.5 * Float(f), cy: 125, size: 56)
            return f % 2 == 0 ? [a, b] : [b, a]
        }
        XCTAssertEqual(tracks.count, 2)
        for t in tracks {
            XCTAssertEqual(t.observations.count, 40)
            let xs = centersX(t)
            let increasing = xs.last! > xs.first!
            for i in 1..<xs.count {
                XCTAssertEqual(xs[i] > xs[i - 1], increasing, "track \(t.id) switched faces at frame \(i)")
            }
            let ys = Set(t.observations.map { $0.detection.box.center.y })
            XCTAssertEqual(ys.count, 1, "one person per track")
        }
    }

    func testShortGapIsBridgedLongGapIsNot() {
        var tracker = FaceTracker()   // maxGap 5
        let bridged = run(&tracker, frames: 0..<30) { f in (10..<15).contains(f) ? [] : [Synthetic.face(cx: 100 + Float(f), cy: 80)] }
        XCTAssertEqual(bridged.count, 1)
        XCTAssertEqual(bridged[0].frameSpan, 30)
        XCTAssertEqual(bridged[0].observations.count, 25)

        var tracker2 = FaceTracker()
        let broken = run(&tracker2, frames: 0..<40) { f in (15..<21).contains(f) ? [] : [Synthetic.face(cx: 100, cy: 80)] }
        XCTAssertEqual(broken.map(\.frameSpan), [15, 19])
        XCTAssertEqual(broken[0].endReason, .lost)
    }

    func testJumpSplitsTrack() {
        var tracker = FaceTracker()
        // Shifted by 0.6 box sizes: still overlapping (IoU 0.25) but too far for one person.
        let tracks = run(&tracker, frames: 0..<30) { f in [Synthetic.face(cx: f < 15 ? 100 : 136, cy: 80)] }
        XCTAssertEqual(tracks.map(\.frameSpan), [15, 15])
        XCTAssertEqual(tracks[0].endReason, .split)
        XCTAssertEqual(tracks[1].firstFrame, 15)
        for t in tracks { XCTAssertLessThan(t.maxRelativeStep, 0.01) }
    }

    func testAbruptSizeChangeSplitsTrack() {
        var tracker = FaceTracker()
        let tracks = run(&tracker, frames: 0..<30) { f in [Synthetic.face(cx: 100, cy: 90, size: f < 12 ? 50 : 90)] }
        XCTAssertEqual(tracks.map(\.frameSpan), [12, 18])
        XCTAssertEqual(tracks[0].endReason, .split)
    }

    func testFaceJumpingAcrossTheFrameStartsANewTrack() {
        var tracker = FaceTracker()
        let tracks = run(&tracker, frames: 0..<30) { f in [Synthetic.face(cx: f < 15 ? 60 : 300, cy: 80)] }
        XCTAssertEqual(tracks.count, 2)
        XCTAssertEqual(tracks.map(\.firstFrame), [0, 15])
        XCTAssertEqual(tracks[0].endReason, .lost)
    }

    func testCutEndsEveryTrack() {
        var tracker = FaceTracker()
        let tracks = run(&tracker, frames: 0..<30, cutAt: [14]) { _ in
            [Synthetic.face(cx: 60, cy: 80), Synthetic.face(cx: 160, cy: 80)]
        }
        XCTAssertEqual(tracks.count, 4)
        XCTAssertEqual(tracks.filter { $0.endReason == .cut }.map(\.lastFrame), [13, 13])
        XCTAssertEqual(tracks.filter { $0.endReason == .end }.map(\.firstFrame), [14, 14])
    }

    func testShortTracksAreDroppedAndFinishedTracksStream() {
        var tracker = FaceTracker()   // minTrack 10
        for f in 0..<40 {
            var dets = [Synthetic.face(cx: 100, cy: 80)]
            if (5..<9).contains(f) { dets.append(Synthetic.face(cx: 250, cy: 80)) }   // a 4-frame false alarm
            tracker.update(frameIndex: f, time: Double(f) / fps, detections: f < 30 ? dets : [])
        }
        // The long track is lost after frame 35 (more than 5 missed frames) and is ready before finish.
        let early = tracker.takeFinishedTracks()
        XCTAssertEqual(early.map(\.frameSpan), [30])
        XCTAssertEqual(tracker.droppedShortTracks, 1)
        XCTAssertEqual(tracker.finish(), [])
        XCTAssertEqual(tracker.openTrackCount, 0)
    }

    func testDetectEveryNthFrameThenInterpolate() {
        var options = TrackerOptions()
        options.maxGap = 2
        var tracker = FaceTracker(options: options)
        for f in stride(from: 0, through: 30, by: 3) {
            tracker.update(frameIndex: f, time: Double(f) / fps,
                           detections: [Synthetic.face(cx: 100 + 2 * Float(f), cy: 80, size: 60 + Float(f))])
        }
        let tracks = tracker.finish()
        XCTAssertEqual(tracks.count, 1)
        let track = tracks[0]
        XCTAssertEqual(track.observations.count, 11)
        let filled = track.filledByInterpolation()
        XCTAssertEqual(filled.observations.map(\.frameIndex), Array(0...30))
        XCTAssertEqual(filled.detectedCount, 11)
        for obs in filled.observations {
            let f = Float(obs.frameIndex)
            let expected = Synthetic.face(cx: 100 + 2 * f, cy: 80, size: 60 + f)
            XCTAssertEqual(obs.interpolated, obs.frameIndex % 3 != 0)
            XCTAssertEqual(obs.time, Double(obs.frameIndex) / fps, accuracy: 1e-9)
            XCTAssertEqual(obs.detection.box.x1, expected.box.x1, accuracy: 1e-3)
            XCTAssertEqual(obs.detection.box.y2, expected.box.y2, accuracy: 1e-3)
            for k in 0..<5 {
                XCTAssertEqual(obs.detection.landmarks[k].x, expected.landmarks[k].x, accuracy: 1e-3)
                XCTAssertEqual(obs.detection.landmarks[k].y, expected.landmarks[k].y, accuracy: 1e-3)
            }
        }
    }

    func testInterpolationLeavesLongGapsOpen() {
        let obs = [0, 1, 5, 6].map { TrackObservation(frameIndex: $0, time: Double($0), detection: Synthetic.face(cx: 50, cy: 50)) }
        let track = FaceTrack(id: 0, observations: obs)
        XCTAssertEqual(track.filledByInterpolation(maxMissing: 2).observations.map(\.frameIndex), [0, 1, 5, 6])
        XCTAssertEqual(track.filledByInterpolation(maxMissing: 3).observations.map(\.frameIndex), Array(0...6))
    }

    func testHungarianFindsTheMinimumCost() {
        // Greedy on the smallest entry (0 -> 0, cost 1) would force 1 -> 1 (cost 10): total 11; optimum is 2+3.
        XCTAssertEqual(Assignment.solve([[1, 2], [3, 10]]), [1, 0])
        XCTAssertEqual(Assignment.solve([[5], [1], [3]]), [nil, 0, nil])
        XCTAssertEqual(Assignment.solve([[4, 2, 3], [2, 0, 5]]), [2, 1])
        let costs: [[Double]] = [[7, 53, 183, 439], [497, 383, 563, 79], [627, 343, 773, 959], [447, 283, 463, 29]]
        let a = Assignment.solve(costs)
        let total = a.enumerated().reduce(0.0) { $0 + costs[$1.offset][$1.element!] }
        XCTAssertEqual(total, bruteForceMinimum(costs))
        XCTAssertEqual(Set(a.compactMap { $0 }).count, 4)
    }

    private func bruteForceMinimum(_ c: [[Double]]) -> Double {
        func permutations(_ a: [Int]) -> [[Int]] {
            a.count <= 1 ? [a] : a.indices.flatMap { i in permutations(Array(a[..<i] + a[(i + 1)...])).map { [a[i]] + $0 } }
        }
        return permutations(Array(0..<c.count)).map { p in p.enumerated().reduce(0.0) { $0 + c[$1.offset][$1.element] } }.min()!
    }
}
