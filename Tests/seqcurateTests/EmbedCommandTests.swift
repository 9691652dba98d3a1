import Foundation
import SeqCore
import SeqMedia
import SeqTestSupport
import XCTest

/// `seqcurate embed` end to end on real weights: dlib's descriptors (Tests/Fixtures/embedding,
/// made by tools/make_embedding_fixture.py with dlib-bin) from chips and from a photo.
final class EmbedCommandTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("embed-cli", removedAfter: self)
    }

    private func chip(_ name: String) throws -> String { try TestFiles.fixture("embedding/\(name)_chip.png").path }

    private func dlib(_ name: String) throws -> [Float] {
        try NPYArray<Float>.read(from: TestFiles.fixture("embedding/\(name)_dlib.npy")).values
    }

    private func distance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    }

    private func lines(_ text: String) throws -> [JSONValue] {
        try text.split(separator: "\n").map { try JSONValue.parse(String($0)) }
    }

    private func numbers(_ v: JSONValue?) -> [Float] {
        (v?.array ?? []).compactMap { $0.number.map { Float($0) } }
    }

    func testAlignedChipsGiveDlibsDescriptorsAsJSONLines() throws {
        let names = ["messi", "carphone_000", "carphone_110"]
        let r = try TestCLI.run(["embed", "--aligned", "--json"] + names.map(chip))
        XCTAssertTrue(r.succeeded, r.err)
        let records = try lines(r.out)
        XCTAssertEqual(records.count, 3)
        for (name, record) in zip(names, records) {
            XCTAssertEqual(record["source"]?.string, try chip(name))
            XCTAssertEqual(record["box"], .null)
            let e = numbers(record["embedding"])
            XCTAssertEqual(e.count, 128)
            let worst = zip(e, try dlib(name)).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-3, name)
        }
    }

    func testPhotoIsDetectedChippedAndEmbedded() throws {
        let photo = try TestFiles.asset("messi5.jpg").path
        let r = try TestCLI.run(["embed", "--json", photo])
        XCTAssertTrue(r.succeeded, r.err)
        let record = try XCTUnwrap(try lines(r.out).first)
        XCTAssertEqual(record["box"]?.array?.count, 4)
        let e = numbers(record["embedding"])
        XCTAssertEqual(e.count, 128)
        // Near dlib's own pipeline (its detector, landmarks and chip) on the same face.
        XCTAssertLessThan(distance(e, try dlib("messi")), 0.2)
        // Plain text: the path and 128 numbers.
        let text = try TestCLI.run(["embed", photo])
        XCTAssertTrue(text.succeeded, text.err)
        let fields = text.out.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        XCTAssertEqual(fields.count, 129)
        XCTAssertEqual(String(fields[0]), photo)
    }

    func testOutWritesRowsAndKeysLikeFeatures() throws {
        let out = dir.appendingPathComponent("e.npy")
        let chips = [try chip("carphone_000"), try chip("carphone_110")]
        let r = try TestCLI.run(["embed", "--aligned", "--out", out.path] + chips)
        XCTAssertTrue(r.succeeded, r.err)
        let summary = try JSONValue.parse(r.out)
        XCTAssertEqual(summary["rows"]?.int, 2)
        XCTAssertEqual(summary["dim"]?.int, 128)
        let m = try NPYArray<Float>.read(from: out)
        XCTAssertEqual(m.shape, [2, 128])
        let keys = try String(contentsOf: dir.appendingPathComponent("e.keys.txt"), encoding: .utf8)
        XCTAssertEqual(keys, chips.joined(separator: "\n") + "\n")
        // Two frames of the same speaker: the same person at dlib's threshold.
        XCTAssertLessThan(distance(Array(m.values[0..<128]), Array(m.values[128..<256])), 0.6)
    }

    func testBadImagesAreNamedCountedAndTheRestStillWritten() throws {
        let blank = dir.appendingPathComponent("blank.png")
        try ImageIO.writePNG(Image(width: 200, height: 160), to: blank)
        let missing = dir.appendingPathComponent("missing.jpg").path
        let good = try chip("messi")
        let out = dir.appendingPathComponent("mixed.npy")
        // Detection mode: a blank image has no face; the chip (150x150) has one.
        let r = try TestCLI.run(["embed", "--out", out.path, blank.path, good, missing])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("\(blank.path): no face found"), r.err)
        XCTAssertTrue(r.err.contains(missing), r.err)
        XCTAssertTrue(r.err.hasSuffix("seqcurate: 2 of 3 images failed\n"), r.err)
        XCTAssertEqual(try NPYArray<Float>.read(from: out).shape, [1, 128])
        // --aligned takes 150x150 chips only.
        let a = try TestCLI.run(["embed", "--aligned", "--json", try TestFiles.asset("messi5.jpg").path])
        XCTAssertEqual(a.status, 1)
        XCTAssertTrue(a.err.contains("messi5.jpg") && a.err.contains("150x150"), a.err)
        XCTAssertEqual(a.err.split(separator: "\n").count, 1, a.err)
    }

    func testOptionAndWeightErrors() throws {
        let good = try chip("messi")
        let stdout = try TestCLI.run(["embed", "--out", "-", good])
        XCTAssertEqual(stdout.status, 64, stdout.err)
        let w = dir.appendingPathComponent("none.safetensors").path
        let r = try TestCLI.run(["embed", "--aligned", "--embedding-weights", w, good])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.err.contains(w) && r.err.contains("tools/setup.sh"), r.err)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
    }

    /// An LFW-layout folder of real faces: the carphone speaker (two dlib chips) and the player
    /// of messi5.jpg (a dlib chip and the whole photo).
    private func lfwFolder() throws -> URL {
        let root = dir.appendingPathComponent("lfw")
        let files: [(String, URL)] = [
            ("Carphone_Man/Carphone_Man_0001.png", try TestFiles.fixture("embedding/carphone_000_chip.png")),
            ("Carphone_Man/Carphone_Man_0002.png", try TestFiles.fixture("embedding/carphone_110_chip.png")),
            ("Messi/Messi_0001.png", try TestFiles.fixture("embedding/messi_chip.png")),
            ("Messi/Messi_0002.jpg", try TestFiles.asset("messi5.jpg")),
        ]
        for (name, source) in files {
            let target = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: source, to: target)
        }
        return root
    }

    func testEvalAndFeaturesWithTheDlibEmbedder() throws {
        let root = try lfwFolder()
        let pairs = dir.appendingPathComponent("pairs.txt")
        try """
        Carphone_Man/Carphone_Man_0001.png Carphone_Man/Carphone_Man_0002.png 1
        Messi/Messi_0001.png Messi/Messi_0002.jpg 1
        Carphone_Man/Carphone_Man_0001.png Messi/Messi_0001.png 0
        Carphone_Man/Carphone_Man_0002.png Messi/Messi_0002.jpg 0

        """.write(to: pairs, atomically: true, encoding: .utf8)
        let e = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--root", root.path, "--embedder", "dlib", "--json"])
        XCTAssertTrue(e.succeeded, e.err)
        let figures = try JSONValue.parse(e.out)
        XCTAssertEqual(figures["pairs"]?.int, 4, e.out)
        XCTAssertEqual(figures["auc"]?.number, 1, e.out)

        let out = dir.appendingPathComponent("lfw.npy")
        let f = try TestCLI.run(["features", "--embedder", "dlib", "--images", root.path, "--out", out.path, "--quiet"])
        XCTAssertTrue(f.succeeded, f.err)
        let m = try NPYArray<Float>.read(from: out)
        XCTAssertEqual(m.shape, [4, 128])
        let keys = try String(contentsOf: dir.appendingPathComponent("lfw.keys.txt"), encoding: .utf8).split(separator: "\n")
        let photo = try XCTUnwrap(keys.firstIndex(of: "Messi/Messi_0002.jpg"))
        // The photo's row: MTCNN's main face, our chip; near dlib's pipeline on that face.
        XCTAssertLessThan(distance(Array(m.values[(photo * 128)..<((photo + 1) * 128)]), try dlib("messi")), 0.2)

        let both = try TestCLI.run(["features", "--embedder", "dlib", "--model", root.path, "--images", root.path, "--out", out.path])
        XCTAssertEqual(both.status, 64, both.err)
        let noRoot = try TestCLI.run(["eval", "lfw", "--pairs", pairs.path, "--embedder", "dlib"])
        XCTAssertEqual(noRoot.status, 64, noRoot.err)
        XCTAssertTrue(noRoot.err.contains("--embedder needs --root"), noRoot.err)
    }
}
