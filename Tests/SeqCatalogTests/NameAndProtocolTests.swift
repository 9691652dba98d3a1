import Foundation
import XCTest
@testable import SeqCatalog
import SeqTestSupport

final class NameAndProtocolTests: XCTestCase {
    func testNormalizationIgnoresCaseSpacesAndUnderscores() {
        XCTAssertEqual(NameMatching.normalize("George_W_Bush"), NameMatching.normalize("george w bush"))
        XCTAssertEqual(NameMatching.normalize(" GEORGE  W_bush "), "georgewbush")
        XCTAssertNotEqual(NameMatching.normalize("George_W_Bush"), NameMatching.normalize("George_HW_Bush"))
    }

    func testVideoPathsCarryNames() {
        let names: Set<String> = ["georgewbush", "zico", "sadiefrost"]
        XCTAssertEqual(NameMatching.names(in: "/data/George_W_Bush_interview.mp4", matching: names), ["georgewbush"])
        XCTAssertEqual(NameMatching.names(in: "/data/GeorgeWBush.mp4", matching: names), ["georgewbush"])
        XCTAssertEqual(NameMatching.names(in: "/ytf/Sadie_Frost/1.avi", matching: names), ["sadiefrost"])
        XCTAssertEqual(NameMatching.names(in: "/data/zico goal, sadie frost.mkv", matching: names), ["sadiefrost", "zico"])
        // Words must be whole: "zicotalks" does not carry "zico"; folders far up are not looked at.
        XCTAssertEqual(NameMatching.names(in: "/data/zicotalks.mp4", matching: names), [])
        XCTAssertEqual(NameMatching.names(in: "/zico/a/b/clip.mp4", matching: names), [])
    }

    func testParsesAllPublishedProtocolLayouts() throws {
        let folder = try TestFiles.fixture("protocols")
        let lfw = try ProtocolNames.read(folder.appendingPathComponent("lfw_pairs.txt"), expected: .lfw)
        XCTAssertEqual(lfw.layout, .lfwPairs)
        XCTAssertEqual(lfw.pairCount, 6000)
        XCTAssertEqual(lfw.names.first, "Abel_Pacheco")
        let lfwImages = try ProtocolNames.read(folder.appendingPathComponent("lfw_pairs_seqface.txt"), expected: .lfw)
        XCTAssertEqual(lfwImages.layout, .lfwImagePairs)
        XCTAssertEqual(lfwImages.pairCount, 6000)
        XCTAssertEqual(Set(lfwImages.names), Set(lfw.names))
        XCTAssertTrue(lfw.names.contains("George_W_Bush"))

        let ytf = try ProtocolNames.read(folder.appendingPathComponent("ytf_pairs_seqface.txt"), expected: .ytf)
        XCTAssertEqual(ytf.layout, .ytfPairs)
        XCTAssertEqual(ytf.pairCount, 5000)
        let splits = try ProtocolNames.read(folder.appendingPathComponent("ytf_splits.txt"), expected: .ytf)
        XCTAssertEqual(splits.layout, .ytfSplits)
        XCTAssertEqual(splits.pairCount, 5000)
        XCTAssertEqual(Set(splits.names), Set(ytf.names))
        XCTAssertTrue(ytf.names.contains("Sadie_Frost"))

        // The wrong protocol, and an unknown layout, are named clearly.
        XCTAssertThrowsError(try ProtocolNames.read(folder.appendingPathComponent("ytf_splits.txt"), expected: .lfw)) {
            XCTAssertTrue("\($0)".contains("not lfw"), "\($0)")
        }
        XCTAssertThrowsError(try ProtocolNames.parse("Abel_Pacheco 1 4\nthis line is wrong\n", path: "p.txt")) {
            XCTAssertTrue("\($0)".hasPrefix("p.txt:1: unknown protocol file layout"), "\($0)")
        }
        XCTAssertThrowsError(try ProtocolNames.parse("10 300\nAbel_Pacheco 1 4\nbad line here now\n", path: "p.txt")) {
            XCTAssertTrue("\($0)".hasPrefix("p.txt:3: unknown protocol file layout"), "\($0)")
        }
        XCTAssertThrowsError(try ProtocolNames.parse("\n\n", path: "e.txt"))
        // pairsDevTrain.txt has a one-number header.
        let dev = try ProtocolNames.parse("1100\nAaron_Peirsol 1 2\nAJ_Cook 1 Marsha_Thomason 1\n")
        XCTAssertEqual(dev.names, ["Aaron_Peirsol", "AJ_Cook", "Marsha_Thomason"])
        XCTAssertEqual(dev.pairCount, 2)
    }

    func testExcludeNamesMarksIdentitiesAndVideosOnce() throws {
        let (catalog, _) = try makeFixtureCatalog(self)
        let summary = try catalog.excludeNames(["George_W_Bush", "Nobody_Here"], protocolName: "lfw", source: "pairs.txt")
        XCTAssertEqual(summary.matchedIdentities, 1)     // "george w bush" folder
        XCTAssertEqual(summary.matchedVideos, 1)         // George_W_Bush_speech.mp4
        XCTAssertEqual(summary.added, 2)
        XCTAssertEqual(summary.unmatchedNames, ["nobodyhere"])
        // Again: same matches, no new rows. Exclusions never delete anything.
        let again = try catalog.excludeNames(["george w bush"], protocolName: "lfw", source: "pairs.txt")
        XCTAssertEqual(again.added, 0)
        XCTAssertEqual(try catalog.exclusions().count, 2)
        XCTAssertEqual(try catalog.identities().count, 4)
        XCTAssertEqual(try catalog.videos().count, 2)
        XCTAssertEqual(try catalog.exclusions(kind: "identity").first?.reason, "name George_W_Bush in lfw list")
    }

    func testNearDuplicateExclusionByHash() throws {
        let (catalog, _) = try makeFixtureCatalog(self)
        let missing = try catalog.itemsMissingCropHash()
        XCTAssertEqual(missing.faces.count, 23)          // kept faces have crops
        XCTAssertEqual(missing.identityImages.count, 8)  // ok images
        // Give every face a distinct hash; one test image is 3 bits from face #0's.
        let hashes = missing.faces.enumerated().map { (faceID: $0.element.id, hash: UInt64(0x0123_4567_89AB_CDEF) &* UInt64($0.offset + 1)) }
        try catalog.setFaceCropHashes(hashes)
        try catalog.setIdentityImageHashes([(imageID: missing.identityImages[0].id, hash: 0xFFFF_0000_FFFF_0000)])
        XCTAssertEqual(try catalog.itemsMissingCropHash().faces.count, 0)
        let probe = hashes[0].hash ^ 0b1011
        let summary = try catalog.excludeNearDuplicates(hashes: [probe, 0xFFFF_0000_FFFF_0001], names: ["test1.jpg", "test2.jpg"], maxDistance: 4, source: "/test")
        XCTAssertEqual(summary.matchedFaces, 1)
        XCTAssertEqual(summary.matchedIdentityImages, 1)
        let face = try catalog.exclusions(kind: "face")
        XCTAssertEqual(face.first?.target, .face(hashes[0].faceID))
        XCTAssertEqual(face.first?.reason, "near-duplicate of test1.jpg (dHash distance 3)")
    }
}
