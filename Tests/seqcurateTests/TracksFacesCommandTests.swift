import Foundation
import SeqCore
import SeqTestSupport
import XCTest

/// `seqcurate tracks --json --faces` on a real default ingest of the carphone clip.
final class TracksFacesCommandTests: XCTestCase {
    func testFacesListFrameBoxScoreAndSource() throws {
        let dir = try TestFiles.tempDirectory("cli-track-faces", removedAfter: self)
        let catalog = dir.appendingPathComponent("c.db").path
        let ingest = try TestCLI.run(["ingest", try TestFiles.asset("carphone_pristine.mp4").path, "--catalog", catalog, "--quiet"], in: dir)
        XCTAssertEqual(ingest.status, 0, ingest.err)
        let r = try TestCLI.run(["tracks", "--catalog", catalog, "--json", "--faces"], in: dir)
        XCTAssertEqual(r.status, 0, r.err)
        let tracks = try XCTUnwrap(try JSONValue.parse(Data(r.out.utf8)).array)
        XCTAssertEqual(tracks.count, 1)
        let faces = try XCTUnwrap(tracks[0]["face_list"]?.array)
        XCTAssertEqual(faces.count, tracks[0]["faces"]?.int)
        var sources: Set<String> = []
        var lastFrame = -1
        for f in faces {
            let frame = try XCTUnwrap(f["frame"]?.int)
            XCTAssertGreaterThan(frame, lastFrame, "faces in frame order")
            lastFrame = frame
            let box = try XCTUnwrap(f["box"]?.array?.compactMap(\.number))
            XCTAssertEqual(box.count, 4)
            XCTAssertTrue(box[0] < box[2] && box[1] < box[3], "\(box)")
            let score = try XCTUnwrap(f["score"]?.number)
            XCTAssertTrue((0.7...1).contains(score), "\(score)")
            XCTAssertGreaterThan(try XCTUnwrap(f["eye_distance"]?.number), 0)
            sources.insert(try XCTUnwrap(f["source"]?.string))
        }
        // Interpolated: frames the decoder dropped (IngestOptions.skipNonReferenceFrames).
        XCTAssertEqual(sources, ["detected", "interpolated", "refined"])
        // Without --faces the list is absent; --faces alone is refused in one line.
        let plain = try TestCLI.run(["tracks", "--catalog", catalog, "--json"], in: dir)
        XCTAssertNil(try JSONValue.parse(Data(plain.out.utf8)).array?.first?["face_list"])
        let bad = try TestCLI.run(["tracks", "--catalog", catalog, "--faces"], in: dir)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains("--json"), bad.err)
    }
}
