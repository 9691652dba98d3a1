import Foundation
import SeqCatalog
import SeqCore
import SeqTestSupport
import XCTest

/// Identity-aware curation end to end, on real footage the tests make from the sample media
/// with ffmpeg, through the command line as a user runs it, with the real MTCNN and dlib
/// embedding weights of assets/.
final class IdentityCurationTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("identity-curation", removedAfter: self)
        _ = try TestFiles.asset("dlib_face_resnet.safetensors")
    }

    // MARK: media

    /// Runs ffmpeg quietly with `args`; fails the test when it fails.
    private func ffmpeg(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let p = Process()
        p.executableURL = try TestMedia.ffmpeg(file: file, line: line)
        p.arguments = ["-nostdin", "-v", "error", "-y"] + args
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "ffmpeg \(args.joined(separator: " "))", file: file, line: line)
    }

    /// The carphone talking head with its face blurred on frames 40-49: MTCNN misses it there
    /// (more than the tracker's gap of 5), while the rest of the frame, and so the shot, stays.
    private func clipWithMisses(_ name: String = "interview_001.mp4") throws -> URL {
        let out = dir.appendingPathComponent(name)
        try ffmpeg(["-i", try TestFiles.asset("carphone_pristine.mp4").path, "-filter_complex",
                    "split[a][b];[b]crop=90:100:45:15,boxblur=8:2[f];[a][f]overlay=45:15:enable='between(n,40,49)'",
                    "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", out.path])
        return out
    }

    /// Two real faces that cross: the carphone man (the whole 176x144 clip) walks right while a
    /// Megamind face (a moving crop of the film, 80x96) walks left over him, hiding his face
    /// while they pass; 4 s at 30 fps on a grey 420x160 background.
    private func crossingClip() throws -> URL {
        let out = dir.appendingPathComponent("crossing.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=0x707070:s=420x160:r=30:d=4",
                    "-i", try TestFiles.asset("carphone_pristine.mp4").path,
                    "-ss", "4.4", "-i", try TestFiles.asset("Megamind.avi").path,
                    "-filter_complex",
                    "[2:v]fps=30,crop=240:290:370:90,scale=80:96,setpts=PTS-STARTPTS[b];[1:v]setpts=PTS-STARTPTS[a];"
                        + "[0:v][a]overlay=x='t*61':y=8:shortest=1[ab];[ab][b]overlay=x='340-95*t':y=30:shortest=1",
                    "-an", "-t", "4", "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", out.path])
        return out
    }

    /// Frame `index` of a video as a JPEG (optionally filtered), e.g. another photo of a person.
    private func still(_ video: String, frame index: Int, filter: String? = nil, to out: URL) throws {
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        var vf = "select=eq(n\\,\(index))"
        if let filter { vf += ",\(filter)" }
        try ffmpeg(["-i", try TestFiles.asset(video).path, "-vf", vf, "-frames:v", "1", "-q:v", "2", out.path])
    }

    // MARK: running

    @discardableResult
    private func seqcurate(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let r = try TestCLI.run(args, file: file, line: line)
        XCTAssertTrue(r.succeeded, "seqcurate \(args.joined(separator: " ")): \(r.all)", file: file, line: line)
        return r
    }

    private var catalogPath: String { dir.appendingPathComponent("seqcurate.db").path }

    /// Each sequence's embedded faces, by sequence id.
    private func sequenceEmbeddings(_ catalog: Catalog) throws -> [Int64: [[Float]]] {
        let byFace = Dictionary(uniqueKeysWithValues: try catalog.faceEmbeddings(model: "dlib_face_resnet_v1").map { ($0.ownerID, $0.vector) })
        var out: [Int64: [[Float]]] = [:]
        for q in try catalog.sequences() {
            out[q.id!] = try catalog.faces(trackID: q.trackID).compactMap { $0.id.flatMap { byFace[$0] } }
        }
        return out
    }

    /// The embedding of the main face of an image, by `seqcurate embed --json`.
    private func embedding(of image: URL) throws -> [Float] {
        let r = try seqcurate(["embed", "--json", image.path])
        let line = try JSONValue.parse(Data(r.out.utf8))
        return try XCTUnwrap(line["embedding"]?.array?.compactMap { $0.number.map(Float.init) })
    }

    private func distance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    // MARK: the four cases of the issue

    func testATalkingHeadWithMissedDetectionsGivesOneSequence() throws {
        let clip = try clipWithMisses()
        // By boxes alone the misses break the man's track in two: two sequences of one person.
        let plain = dir.appendingPathComponent("plain.db").path
        try seqcurate(["ingest", clip.path, "--catalog", plain, "--no-embeddings", "--quiet"])
        XCTAssertEqual(try Catalog.openForReading(at: URL(fileURLWithPath: plain)).sequences().count, 2)

        try seqcurate(["ingest", clip.path, "--catalog", catalogPath, "--quiet"])
        let catalog = try Catalog.openForReading(at: URL(fileURLWithPath: catalogPath))
        let sequences = try catalog.sequences()
        XCTAssertEqual(sequences.count, 1, "the fragments joined: one person, one shot, one sequence")
        let track = try XCTUnwrap(catalog.tracks().first)
        XCTAssertEqual(track.firstFrame, 0)
        XCTAssertEqual(track.lastFrame, 119)
        // Kept faces are spread: never two from neighbouring frames.
        let frames = try catalog.sequenceFaces(sequenceID: sequences[0].id!).map(\.frameIndex)
        for (a, b) in zip(frames, frames.dropFirst()) { XCTAssertGreaterThanOrEqual(b - a, 2, "\(frames)") }
        // One face, alone and in place: embedded twice while new, then once a second
        // (`--embed-settled-every` 30); not while it is missed (frames 40-49). A block's frame is
        // the first one decoded in it (80 and 110 are dropped non-reference frames).
        let embedded = Set(try catalog.faceEmbeddings(model: "dlib_face_resnet_v1").map(\.ownerID))
        let embeddedFrames = try catalog.faces(trackID: track.id!).filter { embedded.contains($0.id!) }.map(\.frameIndex)
        XCTAssertEqual(embeddedFrames, [0, 10, 50, 81, 111])
    }

    func testTwoPeopleWhoCrossGiveSequencesOfOnePersonEach() throws {
        let clip = try crossingClip()
        try seqcurate(["ingest", clip.path, "--catalog", catalogPath, "--quiet"])
        // Who is who: another frame of each source, embedded on its own.
        let man = dir.appendingPathComponent("man.jpg"), cartoon = dir.appendingPathComponent("cartoon.jpg")
        try still("carphone_pristine.mp4", frame: 100, to: man)
        try still("Megamind.avi", frame: 110, filter: "crop=240:290:370:90", to: cartoon)
        let people = [try embedding(of: man), try embedding(of: cartoon)]
        XCTAssertGreaterThan(distance(people[0], people[1]), 0.6)

        let catalog = try Catalog.openForReading(at: URL(fileURLWithPath: catalogPath))
        var sequencesOf = [0, 0]
        for (id, faces) in try sequenceEmbeddings(catalog) {
            XCTAssertFalse(faces.isEmpty)
            let who = faces.map { f in people.indices.min { distance(f, people[$0]) < distance(f, people[$1]) }! }
            XCTAssertEqual(Set(who).count, 1, "sequence \(id) holds one person, got \(who)")
            for f in faces { XCTAssertLessThan(distance(f, people[who[0]]), 0.6, "sequence \(id)") }
            sequencesOf[who[0]] += 1
        }
        XCTAssertEqual(sequencesOf, [1, 1], "the man, hidden while they pass, is one sequence; the cartoon another")
    }

    /// An identity dataset with the carphone man (three other frames) and the cartoon face.
    private func importIdentities() throws {
        let ids = dir.appendingPathComponent("ids")
        for frame in [5, 55, 115] {
            try still("carphone_pristine.mp4", frame: frame, to: ids.appendingPathComponent("Carphone_Man/\(frame).jpg"))
        }
        for frame in [110, 130] {
            try still("Megamind.avi", frame: frame, filter: "crop=240:290:370:90", to: ids.appendingPathComponent("Megamind/\(frame).jpg"))
        }
        try seqcurate(["import-identities", ids.path, "--catalog", catalogPath, "--quiet"])
    }

    func testAClipOfAnImportedIdentityIsExportedUnderThatIdentity() throws {
        try importIdentities()
        try seqcurate(["ingest", try clipWithMisses().path, "--catalog", catalogPath, "--quiet"])
        let out = dir.appendingPathComponent("lists")
        let r = try seqcurate(["export", "--catalog", catalogPath, "--out", out.path])
        XCTAssertTrue(r.out.contains("relabelled as identity Carphone_Man (distance 0."), r.out)
        let manifest = try JSONValue.parse(try Data(contentsOf: out.appendingPathComponent("manifest.json")))
        XCTAssertEqual(manifest["counts"]?["relabelled_sequences"]?.int, 1)
        XCTAssertEqual(manifest["seqid_num"]?.int, 0)
        let label = try XCTUnwrap(manifest["labels"]?["identities"]?.array?.first { $0["name"]?.string == "Carphone_Man" }?["label"]?.int)
        let lines = try String(contentsOf: out.appendingPathComponent("image_train_part1.txt"), encoding: .utf8).split(separator: "\n")
        let mine = lines.filter { $0.hasSuffix(" \(label)") }
        XCTAssertEqual(mine.count, 3 + 10, "the three identity images and the ten faces of the clip's sequence")
        XCTAssertEqual(mine.filter { $0.hasPrefix("crops/") && !$0.contains("identities") }.count, 10, mine.joined(separator: "\n"))

        let kept = dir.appendingPathComponent("kept")
        try seqcurate(["export", "--catalog", catalogPath, "--out", kept.path, "--sequence-overlap", "keep"])
        let keptManifest = try JSONValue.parse(try Data(contentsOf: kept.appendingPathComponent("manifest.json")))
        XCTAssertEqual(keptManifest["seqid_num"]?.int, 1)
    }

    func testAnotherPhotoOfThePersonInAnLFWFolderExcludesTheClipsSequence() throws {
        try importIdentities()
        try seqcurate(["ingest", try clipWithMisses().path, "--catalog", catalogPath, "--quiet"])
        // An LFW-style test set: the man under a name that matches nothing in the catalog, in a
        // photo the catalog does not hold (mirrored and scaled).
        let lfw = dir.appendingPathComponent("lfw")
        try still("carphone_pristine.mp4", frame: 85, filter: "hflip,scale=264:216",
                  to: lfw.appendingPathComponent("Phone_Caller/Phone_Caller_0001.jpg"))
        let pairs = dir.appendingPathComponent("pairs.txt")
        try "Phone_Caller/Phone_Caller_0001.jpg Phone_Caller/Phone_Caller_0001.jpg 1\n".write(to: pairs, atomically: true, encoding: .utf8)
        let r = try seqcurate(["exclude", "--catalog", catalogPath, "--protocol", "lfw", pairs.path, "--root", lfw.path, "--quiet"])
        XCTAssertTrue(r.out.contains("1 sequences (10 faces) and 3 identity images match"), r.out)

        let catalog = try Catalog.openForReading(at: URL(fileURLWithPath: catalogPath))
        let reasons = try catalog.exclusions().map(\.reason)
        XCTAssertEqual(reasons.count, 13)
        for reason in reasons { XCTAssertTrue(reason.hasPrefix("face of Phone_Caller in lfw (distance 0."), reason) }
        let out = dir.appendingPathComponent("lists")
        try seqcurate(["export", "--catalog", catalogPath, "--out", out.path])
        let manifest = try JSONValue.parse(try Data(contentsOf: out.appendingPathComponent("manifest.json")))
        XCTAssertEqual(manifest["seqid_num"]?.int, 0)
        XCTAssertEqual(manifest["counts"]?["relabelled_sequences"]?.int, 0, "an excluded sequence is not relabelled either")
        XCTAssertEqual(manifest["labels"]?["identities"]?.array?.compactMap { $0["name"]?.string }, ["Megamind"])
    }
}

extension IdentityCurationTests {
    func testAFolderOfFacesExcludesByFaceAndBadFoldersAreRefusedInOneLine() throws {
        try seqcurate(["ingest", try clipWithMisses().path, "--catalog", catalogPath, "--quiet"])
        let faces = dir.appendingPathComponent("faces")
        try still("carphone_pristine.mp4", frame: 70, filter: "hflip", to: faces.appendingPathComponent("Someone/a.jpg"))
        try still("Megamind.avi", frame: 120, filter: "crop=240:290:370:90", to: faces.appendingPathComponent("Other/b.jpg"))
        let r = try seqcurate(["exclude", "--catalog", catalogPath, "--faces", faces.path, "--quiet"])
        XCTAssertTrue(r.out.contains("2 test people by face: 1 sequences (10 faces)"), r.out)
        let catalog = try Catalog.openForReading(at: URL(fileURLWithPath: catalogPath))
        XCTAssertTrue(try catalog.exclusions().allSatisfy { $0.protocolName == "faces" && $0.reason.hasPrefix("face of Someone in faces") })

        let missing = dir.appendingPathComponent("nowhere")
        let bad = try TestCLI.run(["exclude", "--catalog", catalogPath, "--faces", missing.path, "--quiet"])
        XCTAssertFalse(bad.succeeded)
        XCTAssertEqual(bad.err.split(separator: "\n").count, 1, bad.err)
        XCTAssertTrue(bad.err.contains(missing.path) && bad.err.contains("no such folder"), bad.err)

        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("Nobody"), withIntermediateDirectories: true)
        let none = try TestCLI.run(["exclude", "--catalog", catalogPath, "--faces", empty.path, "--quiet"])
        XCTAssertFalse(none.succeeded)
        XCTAssertTrue(none.err.contains("no face images in the layout DIR/Name/*.jpg"), none.err)

        let orphan = try TestCLI.run(["exclude", "--catalog", catalogPath, "--root", faces.path])
        XCTAssertFalse(orphan.succeeded)
        XCTAssertTrue(orphan.err.contains("--root needs --protocol"), orphan.err)
    }
}
