import Foundation
import XCTest
import SeqMedia
import SeqTestSupport
@testable import SeqTrack

/// The shot detector's integer cell pass (`ColorHistogram.cellBins`, every frame of a video)
/// against the float box thumbnail it replaced, on the real sample videos at the sizes ingest
/// decodes them.
final class HistogramPassTests: XCTestCase {
    /// Every frame of `name` at `width` x `height`: the cuts, and the largest histogram distance
    /// and the most cells binned differently between the two passes.
    private func compare(_ name: String, width: Int, height: Int) throws -> (cuts: [Int], distance: Float, cells: Int) {
        let reader = try VideoReader(url: try TestFiles.asset(name), options: VideoReaderOptions(width: width, height: height))
        var detector = ShotDetector()
        var worstDistance: Float = 0, worstCells = 0
        while let frame = try reader.nextFrame() {
            XCTAssertEqual([frame.image.width, frame.image.height], [width, height])
            _ = detector.feed(frameIndex: frame.index, image: frame.image)
            let cells = ColorHistogram.cellBins(frame.image, width: 64, height: 36, binsPerChannel: 16)
            let box = ColorHistogram.boxBins(frame.image, width: 64, height: 36, binsPerChannel: 16)
            let d = ColorHistogram(cells: cells, binsPerChannel: 16).distance(to: ColorHistogram(cells: box, binsPerChannel: 16))
            worstDistance = max(worstDistance, d)
            worstCells = max(worstCells, zip(cells, box).filter { $0 != $1 }.count)
        }
        return (detector.cuts, worstDistance, worstCells)
    }

    func testMegamindAt720pKeepsItsCutsAndHistograms() throws {
        // 1280x720 as bench_ingest makes it: cells of 20x20 pixels, every 2nd row read.
        let r = try compare("Megamind.avi", width: 1280, height: 720)
        XCTAssertEqual(r.cuts, [98, 154, 200])
        // Cuts differ by 0.43 or more, frames within a shot by at most 0.07 (ShotDetectorOptions).
        XCTAssertLessThan(r.distance, 0.05, "cell pass vs box thumbnail")
    }

    func testNativeSizesKeepTheirCuts() throws {
        // Megamind 720x528 (11.25 x 14.7 pixels a cell, every row), carphone 176x144 (2.75 x 4).
        let megamind = try compare("Megamind.avi", width: 720, height: 528)
        XCTAssertEqual(megamind.cuts, [98, 154, 200])
        XCTAssertLessThan(megamind.distance, 0.05)
    }

    func testSmallImagesStillTakeTheBoxThumbnail() {
        // Below twice the thumbnail's size the histogram is the box one, exactly.
        let image = Synthetic.image(width: 100, height: 50) { x, y in (UInt8(x * 2), UInt8(y * 5), 90) }
        XCTAssertEqual(ColorHistogram(of: image),
                       ColorHistogram(cells: ColorHistogram.boxBins(image, width: 64, height: 36, binsPerChannel: 16), binsPerChannel: 16))
    }

    func testGrayFramesCountAsEqualChannels() {
        // A grayscale frame bins like the RGB frame with r = g = b, in either pass.
        let rgb = Synthetic.image(width: 320, height: 180) { x, y in
            let v = UInt8((x * 3 + y * 5) % 256)
            return (v, v, v)
        }
        let gray = rgb.grayscale()
        XCTAssertEqual(gray.channels, 1)
        XCTAssertEqual(ColorHistogram.cellBins(gray, width: 64, height: 36, binsPerChannel: 16),
                       ColorHistogram.cellBins(rgb, width: 64, height: 36, binsPerChannel: 16))
        XCTAssertEqual(ColorHistogram(of: gray), ColorHistogram(of: rgb))
    }
}
