import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// `seqcurate sequences` and the end reasons of `seqcurate tracks`, on a real ingest of the
/// carphone clip.
final class SequencesCommandTests: XCTestCase {
    private var dir: URL!
    private var catalog: String { dir.appendingPathComponent("c.db").path }

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("cli-sequences", removedAfter: self)
        let ingest = try TestCLI.run(["ingest", try TestFiles.asset("carphone_pristine.mp4").path, "--catalog", catalog,
                                      "--detect-every", "4", "--threads", "2", "--quiet"], in: dir)
        XCTAssertEqual(ingest.status, 0, ingest.err)
    }

    func testTracksSayWhyTheyEnded() throws {
        let r = try TestCLI.run(["tracks", "--catalog", catalog, "--json"], in: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let tracks = try XCTUnwrap(try JSONValue.parse(Data(r.out.utf8)).array)
        XCTAssertFalse(tracks.isEmpty)
        let reasons = tracks.compactMap { $0["end_reason"]?.string }
        XCTAssertEqual(reasons.count, tracks.count, "every track ingested now has its reason")
        XCTAssertTrue(Set(reasons).isSubset(of: ["cut", "lost", "split", "identity", "end"]), "\(reasons)")
        // The carphone clip is one shot: the track still open at its last frame ends with the video.
        XCTAssertTrue(reasons.contains("end"), "\(reasons)")
        let table = try TestCLI.run(["tracks", "--catalog", catalog], in: dir)
        XCTAssertTrue(table.out.split(separator: "\n").first?.contains(" end ") == true, table.out)
    }

    func testSequencesListsVideoShotStatusAndFacesWithBoxesCropsAndTrack() throws {
        let r = try TestCLI.run(["sequences", "--catalog", catalog, "--json"], in: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let sequences = try XCTUnwrap(try JSONValue.parse(Data(r.out.utf8)).array)
        let tracks = try XCTUnwrap(try JSONValue.parse(Data(try TestCLI.run(["tracks", "--catalog", catalog, "--json"], in: dir).out.utf8)).array)
        XCTAssertEqual(sequences.compactMap { $0["sequence_id"]?.int }, tracks.compactMap { $0["sequence_id"]?.int }.sorted())
        XCTAssertFalse(sequences.isEmpty)
        for q in sequences {
            XCTAssertEqual(q["status"]?.string, "sequence")
            XCTAssertTrue(q["video"]?.string?.hasSuffix("carphone_pristine.mp4") == true)
            XCTAssertEqual(q["shot_index"]?.int, 0)
            let faces = try XCTUnwrap(q["faces"]?.array)
            let track = tracks.first { $0["sequence_id"]?.int == q["sequence_id"]?.int }
            XCTAssertEqual(faces.count, track?["sequence_faces"]?.int)
            for f in faces {
                let box = try XCTUnwrap(f["box"]?.array?.compactMap(\.number))
                XCTAssertEqual(box.count, 4)
                XCTAssertTrue(box[2] > box[0] && box[3] > box[1], "\(box)")
                XCTAssertEqual(f["track_index"]?.int, q["track_index"]?.int)
                let crop = try XCTUnwrap(f["crop"]?.string)
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(crop).path), crop)
            }
        }
        let text = try TestCLI.run(["sequences", "--catalog", catalog, "--video", "1"], in: dir)
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.hasPrefix("sequence "), text.out)
        XCTAssertTrue(text.out.contains("  frame "), text.out)
        XCTAssertTrue(text.out.hasSuffix("\(sequences.count) sequences: \(sequences.count) as sequences, 0 under an identity, 0 excluded\n"), text.out)

        let missing = try TestCLI.run(["sequences", "--catalog", catalog, "--video", "99"], in: dir)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.err.split(separator: "\n").count, 1, missing.err)
        XCTAssertTrue(missing.err.contains("no video with id 99 in the catalog"), missing.err)
    }
}
