import Foundation
import XCTest
import SeqMedia
import SeqTestSupport
import SeqTrack

/// The shot detector on the real sample videos fetched by tools/setup.sh (decoded small: the
/// detector works on 64x36 thumbnails anyway).
final class RealVideoShotTests: XCTestCase {
    private func shots(of name: String) throws -> (shots: [Range<Int>], frames: Int) {
        let url = try TestFiles.asset(name)
        let reader = try VideoReader(url: url, options: VideoReaderOptions(width: 160, height: 120))
        var detector = ShotDetector()
        var frames = 0
        while let frame = try reader.nextFrame() {
            _ = detector.feed(frameIndex: frame.index, image: frame.image)
            frames += 1
        }
        return (detector.shots, frames)
    }

    func testCarphoneIsOneShot() throws {
        let (shots, frames) = try shots(of: "carphone_pristine.mp4")
        XCTAssertEqual(frames, 120)
        XCTAssertEqual(shots, [0..<120])
    }

    func testMegamindCutsBetweenItsFourShots() throws {
        // Cuts checked by eye: the woman, the man, the woman, the man in close-up.
        let (shots, frames) = try shots(of: "Megamind.avi")
        XCTAssertEqual(frames, 270)
        XCTAssertEqual(shots, [0..<98, 98..<154, 154..<200, 200..<270])
    }
}
