import XCTest
import SeqTestSupport
import SeqMedia
@testable import SeqTrack

final class SequenceSelectorTests: XCTestCase {
    private var rng = TestRandom(seed: 11)

    private func goodQuality(score: Float = 0.99, sharpness: Float = 800) -> FaceQuality {
        FaceQuality(score: score, eyeDistance: 24, sharpness: sharpness, yaw: 3, roll: 2)
    }

    /// A candidate with its own random look (distinct from every other).
    private func candidate(_ frame: Int, quality: FaceQuality? = nil, look: Image? = nil, interpolated: Bool = false) -> SelectionCandidate {
        let image = look ?? Synthetic.noise(width: 32, height: 32, rng: &rng)
        return SelectionCandidate(frameIndex: frame, time: Double(frame) / 25, interpolated: interpolated,
                                  quality: quality ?? goodQuality(), signature: DuplicateSignature(alignedCrop: image))
    }

    func testSpreadKeepsOneFacePerTimeBin() {
        let candidates = (0..<100).map { candidate($0) }
        let result = SequenceSelector().select(candidates)
        XCTAssertTrue(result.isSequence)
        XCTAssertEqual(result.kept.count, 10)
        // Ten equal bins over frames 0...99: one kept face in each.
        XCTAssertEqual(result.kept.map { min(9, candidates[$0].frameIndex * 10 / 99) }, Array(0..<10))
        XCTAssertEqual(result.reasons.filter { $0 == .kept }.count, 10)
        XCTAssertEqual(result.reasons.filter { $0 == .notSelected }.count, 90)
    }

    func testBestFaceOfABinWins() {
        var candidates = (0..<50).map { candidate($0, quality: goodQuality(score: 0.95)) }
        candidates[12] = candidate(12, quality: goodQuality(score: 0.999, sharpness: 1200))
        let result = SequenceSelector().select(candidates)
        XCTAssertTrue(result.kept.contains(12))
        XCTAssertEqual(result.kept.filter { (10..<15).contains($0) }, [12], "one face from that bin")
    }

    func testNearDuplicatesAreSkipped() {
        // Thirty frames of a still face (tiny noise) with six distinct looks at frames 0, 5, ... 25.
        let still = Synthetic.noise(width: 32, height: 32, rng: &rng)
        var candidates: [SelectionCandidate] = []
        for f in 0..<30 {
            let look = f % 5 == 0 ? Synthetic.noise(width: 32, height: 32, rng: &rng) : Synthetic.perturbed(still, amplitude: 2, rng: &rng)
            // The still face is the sharpest, so the spread would pick it in every bin.
            candidates.append(candidate(f, quality: goodQuality(sharpness: f % 5 == 0 ? 700 : 900), look: look))
        }
        let result = SequenceSelector().select(candidates)
        XCTAssertTrue(result.isSequence)
        // One copy of the still face and the six distinct looks, less a look on a frame next to
        // that copy (kept faces are never neighbours).
        let stillKept = result.kept.filter { $0 % 5 != 0 }
        XCTAssertEqual(stillKept.count, 1)
        let besideALook = [1, 4].contains(stillKept[0] % 5)
        XCTAssertEqual(result.kept.count, besideALook ? 6 : 7)
        for a in result.kept {
            for b in result.kept where a < b {
                XCTAssertGreaterThanOrEqual(candidates[a].signature.meanAbsoluteDifference(to: candidates[b].signature), 3)
            }
        }
        XCTAssertEqual(result.reasons.filter { $0 == .duplicate }.count, 23)
    }

    func testFloorsGiveTheirReasons() {
        var candidates = (0..<12).map { candidate($0) }
        candidates[0] = candidate(0, quality: goodQuality(score: 0.5))
        candidates[1] = candidate(1, quality: FaceQuality(score: 0.99, eyeDistance: 8, sharpness: 800, yaw: 0, roll: 0))
        candidates[2] = candidate(2, quality: FaceQuality(score: 0.99, eyeDistance: 24, sharpness: 800, yaw: 55, roll: 0))
        candidates[3] = candidate(3, quality: FaceQuality(score: 0.99, eyeDistance: 24, sharpness: 800, yaw: 0, roll: -50))
        candidates[4] = candidate(4, quality: goodQuality(sharpness: 10))    // below the absolute floor
        candidates[5] = candidate(5, quality: goodQuality(sharpness: 200))   // a quarter of the track's median
        candidates[6] = candidate(6, interpolated: true)
        let reasons = SequenceSelector().select(candidates).reasons
        XCTAssertEqual(Array(reasons[0..<7]), [.lowScore, .small, .pose, .pose, .blurry, .blurry, .interpolated])
        XCTAssertEqual(Array(reasons[7...]), [FaceSelectionReason](repeating: .kept, count: 5))

        var options = SequenceSelectionOptions()
        options.allowInterpolated = true
        XCTAssertEqual(SequenceSelector(options: options).select(candidates).reasons[6], .kept)
    }

    func testTooFewGoodFacesGiveNoSequence() {
        var candidates = (0..<4).map { candidate($0) }
        candidates.append(candidate(4, quality: goodQuality(score: 0.3)))
        let result = SequenceSelector().select(candidates)
        XCTAssertFalse(result.isSequence)
        XCTAssertEqual(result.kept, [])
        XCTAssertEqual(result.reasons, [.trackTooFew, .trackTooFew, .trackTooFew, .trackTooFew, .lowScore])
    }

    func testDuplicatesCanLeaveTooFew() {
        let still = Synthetic.noise(width: 32, height: 32, rng: &rng)
        let candidates = (0..<40).map { candidate($0, look: Synthetic.perturbed(still, amplitude: 1, rng: &rng)) }
        let result = SequenceSelector().select(candidates)
        XCTAssertFalse(result.isSequence)
        XCTAssertEqual(result.reasons.filter { $0 == .trackTooFew }.count, 1)
        XCTAssertEqual(result.reasons.filter { $0 == .duplicate }.count, 39)
    }

    func testExactlyMinFacesAndMaxFacesOption() {
        let five = (0..<5).map { candidate($0 * 7) }
        XCTAssertEqual(SequenceSelector().select(five).kept, [0, 1, 2, 3, 4])

        var options = SequenceSelectionOptions()
        options.minFaces = 2
        options.maxFaces = 3
        let result = SequenceSelector(options: options).select((0..<30).map { candidate($0) })
        XCTAssertEqual(result.kept.count, 3)
        XCTAssertEqual(result.kept, result.kept.sorted())
        XCTAssertLessThan(result.kept[0], 10)
        XCTAssertGreaterThanOrEqual(result.kept[2], 20)
    }

    func testFillUsesFacesFarFromTheKeptOnes() {
        // All good faces sit at the two ends of the track: the bins in between are empty, so the
        // fill takes the remaining faces, and reaches the maximum.
        // Every other frame, so that no two are neighbours.
        let frames = Array(stride(from: 0, to: 16, by: 2)) + Array(stride(from: 184, to: 200, by: 2))
        let candidates = frames.map { candidate($0) }
        let result = SequenceSelector().select(candidates)
        XCTAssertEqual(result.kept.count, 10)
        XCTAssertEqual(result.reasons.filter { $0 == .notSelected }.count, 6)
    }

    func testDuplicateSignatureIgnoresBrightnessShift() {
        let face = Synthetic.noise(width: 48, height: 48, rng: &rng)
        var brighter = face
        for i in brighter.pixels.indices { brighter.pixels[i] = UInt8(min(255, Int(face.pixels[i]) / 2 + 60)) }
        var half = face
        for i in half.pixels.indices { half.pixels[i] = face.pixels[i] / 2 }
        let a = DuplicateSignature(alignedCrop: brighter), b = DuplicateSignature(alignedCrop: half)
        XCTAssertLessThan(a.meanAbsoluteDifference(to: b), 0.6)
        XCTAssertEqual(a.values.count, 256)
    }
}
