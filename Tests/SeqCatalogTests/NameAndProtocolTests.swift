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
