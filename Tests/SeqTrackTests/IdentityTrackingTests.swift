import XCTest
import SeqTestSupport
import SeqDetect
import SeqMedia
@testable import SeqTrack

/// The identity algorithms of SeqTrack over hand-made embeddings: two people are two unit
/// vectors far apart (distance about 1.4, like different people under dlib's model), and one
/// person's faces are small perturbations of theirs (distance about 0.1-0.2).
final class IdentityTrackingTests: XCTestCase {
    private var rng = TestRandom(seed: 5)

    /// A person: a random unit vector of 128 dimensions.
    private func person() -> [Float] {
        let v = (0..<128).map { _ in Float.random(in: -1...1, using: &rng) }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    /// One face of a person: the person's vector plus noise of about `spread` in distance.
    private func face(of p: [Float], spread: Float = 0.15) -> [Float] {
        let noise = (0..<128).map { _ in Float.random(in: -1...1, using: &rng) }
        let n = noise.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return zip(p, noise).map { $0 + spread * $1 / n }
    }

    func testFacesOfOnePersonAreCloseAndOfTwoFar() {
        let a = person(), b = person()
        XCTAssertLessThan(EmbeddingMath.distance(face(of: a), face(of: a)), 0.6)
        XCTAssertGreaterThan(EmbeddingMath.distance(face(of: a), face(of: b)), 0.6)
    }

    func testTrackSplitsWhereThePersonChanges() {
        // One box, steady in place; at frame 20 it shows another person. Every 4th frame is embedded.
        let a = person(), b = person()
        var tracker = FaceTracker()
        for f in 0..<40 {
            let embedding: [Float]? = f % 4 == 0 ? face(of: f < 21 ? a : b) : nil
            tracker.update(frameIndex: f, time: Double(f) / 25, detections: [Synthetic.face(cx: 100, cy: 80)], embeddings: [embedding])
        }
        let tracks = tracker.finish()
        XCTAssertEqual(tracks.count, 2)
        XCTAssertEqual(tracks[0].endReason, .identity)
        // The first track ends at its last sample that was still A (frame 20); frames 21-23
        // are nobody's: the change lies somewhere between the samples at 20 and 24.
        XCTAssertEqual(tracks[0].lastFrame, 20)
        XCTAssertEqual(tracks[1].firstFrame, 24)
        for e in tracks[0].embeddings { XCTAssertLessThan(EmbeddingMath.distance(e, a), 0.6) }
        for e in tracks[1].embeddings { XCTAssertLessThan(EmbeddingMath.distance(e, b), 0.6) }
    }

    func testCrossingPeopleDoNotSwapWhereBothAreEmbedded() {
        // Two people at the same height cross; boxes overlap for several frames, and without
        // embeddings the box cost alone could link either way. Every frame is embedded here.
        let a = person(), b = person()
        var tracker = FaceTracker()
        for f in 0..<40 {
            let da = Synthetic.face(cx: 100 + 5 * Float(f), cy: 100)
            let db = Synthetic.face(cx: 300 - 5 * Float(f), cy: 100)
            tracker.update(frameIndex: f, time: Double(f) / 25, detections: [da, db], embeddings: [face(of: a), face(of: b)])
        }
        let tracks = tracker.finish()
        for t in tracks {
            let firstIsA = EmbeddingMath.distance(t.embeddings[0], a) < 0.6
            for e in t.embeddings {
                XCTAssertEqual(EmbeddingMath.distance(e, firstIsA ? a : b) < 0.6, true, "track \(t.id) holds one person")
            }
        }
        let long = tracks.filter { $0.frameSpan >= 35 }
        XCTAssertEqual(long.count, 2, "each person keeps one track through the crossing")
    }

    func testFragmentsOfOnePersonRejoinAndOthersDoNot() {
        let a = person(), b = person()
        func track(_ id: Int, _ frames: Range<Int>, _ p: [Float], reason: TrackEndReason = .lost) -> FaceTrack {
            FaceTrack(id: id, observations: frames.map { f in
                TrackObservation(frameIndex: f, time: Double(f) / 25, detection: Synthetic.face(cx: 100, cy: 80),
                                 embedding: f % 5 == 0 ? face(of: p) : nil)
            }, endReason: reason)
        }
        // A in three fragments (missed detections), B in between them on the other side.
        let tracks = [track(0, 0..<20, a), track(1, 10..<50, b, reason: .end), track(2, 28..<45, a), track(3, 60..<80, a, reason: .end)]
        let (joined, joins) = TrackJoiner().join(tracks)
        XCTAssertEqual(joined.count, 2)
        XCTAssertEqual(joins.map(\.laterID), [2, 3])
        let chainA = joined.first { $0.id == 0 }!
        XCTAssertEqual(chainA.observations.map(\.frameIndex), Array(0..<20) + Array(28..<45) + Array(60..<80))
        XCTAssertEqual(chainA.endReason, .end)
        XCTAssertEqual(joined.first { $0.id == 1 }!.observations.count, 40)

        var options = TrackJoinOptions()
        options.maxGap = 10
        XCTAssertEqual(TrackJoiner(options: options).join(tracks).joins.map(\.laterID), [2], "a gap of 15 frames is beyond maxGap")
    }

    func testTracksWithoutEmbeddingsAreNeverJoined() {
        let plain = [0..<10, 20..<30].enumerated().map { i, r in
            FaceTrack(id: i, observations: r.map { TrackObservation(frameIndex: $0, time: 0, detection: Synthetic.face(cx: 1, cy: 1)) })
        }
        XCTAssertEqual(TrackJoiner().join(plain).tracks.count, 2)
    }

    // MARK: sequence selection

    private func candidate(_ frame: Int, embedding: [Float]? = nil) -> SelectionCandidate {
        SelectionCandidate(frameIndex: frame, time: Double(frame) / 25, interpolated: false,
                           quality: FaceQuality(score: 0.99, eyeDistance: 24, sharpness: 800, yaw: 3, roll: 2),
                           signature: DuplicateSignature(alignedCrop: Synthetic.noise(width: 32, height: 32, rng: &rng)),
                           embedding: embedding)
    }

    func testKeptFacesAreNeverFromAdjacentFrames() {
        // 12 frames, up to 10 faces wanted: equal time bins alone would take neighbours; without
        // them the track still gives 6 faces, more than the 5 a sequence needs.
        let result = SequenceSelector().select((0..<12).map { candidate($0) })
        XCTAssertEqual(result.kept.count, 6)
        let frames = result.kept.map { $0 }
        for (x, y) in zip(frames, frames.dropFirst()) { XCTAssertGreaterThanOrEqual(y - x, 2, "kept \(frames)") }
        XCTAssertTrue(result.reasons.contains(.adjacent))
    }

    func testAShortTrackMayKeepAdjacentFrames() {
        let result = SequenceSelector().select((0..<6).map { candidate($0) })
        XCTAssertEqual(result.kept.count, 6, "six frames give a sequence of five or more only with neighbours")
    }

    func testFacesWithTheSameLookByEmbeddingAreDuplicates() {
        let a = person(), b = person()
        // Frames 0-39 show one unchanging look of A (distance 0.01), 40-79 show B changing.
        let candidates = (0..<80).map { f in candidate(f, embedding: f < 40 ? face(of: a, spread: 0.01) : face(of: b, spread: 0.3)) }
        let result = SequenceSelector().select(candidates)
        XCTAssertGreaterThanOrEqual(result.kept.count, 5)
        XCTAssertEqual(result.kept.filter { $0 < 40 }.count, 1, "one face of the unchanging look")
        XCTAssertTrue(result.reasons.contains(.duplicateEmbedding))
    }
}
