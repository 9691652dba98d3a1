import Foundation
import XCTest
import SeqCore
import SeqTestSupport
@testable import SeqCatalog

/// Embeddings in the catalog and the decisions made from them, over hand-made vectors: each
/// person is a random unit vector, each of their faces that vector plus a little noise.
final class IdentityOverlapTests: XCTestCase {
    private var rng = TestRandom(seed: 23)
    private let model = "test-model"

    private func person() -> [Float] {
        let v = (0..<128).map { _ in Float.random(in: -1...1, using: &rng) }
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    private func face(of p: [Float]) -> [Float] {
        p.map { $0 + Float.random(in: -0.02...0.02, using: &rng) }
    }

    /// The fixture catalog with Alice's face on sequence 1 (video 1), Bob's on sequence 3
    /// (video 2), strangers on the others, and every identity image embedded as its person.
    private func embeddedCatalog() throws -> (Catalog, URL, alice: [Float], bob: [Float]) {
        let (catalog, dir) = try makeFixtureCatalog(self)
        let alice = person(), bob = person()
        var people: [Int64: [Float]] = [:]
        for q in try catalog.sequences() { people[q.id!] = q.id == 1 ? alice : q.id == 3 ? bob : person() }
        var rows: [FaceEmbeddingRecord] = []
        for q in try catalog.sequences() {
            for f in try catalog.faces(trackID: q.trackID) where f.frameIndex % 2 == 0 {
                rows.append(FaceEmbeddingRecord(ownerID: f.id!, model: model, vector: face(of: people[q.id!]!)))
            }
        }
        try catalog.insertFaceEmbeddings(rows)
        let names = Dictionary(uniqueKeysWithValues: try catalog.identities().map { ($0.id!, $0.name) })
        let byName = ["Alice_Smith": alice, "Bob_Jones": bob]
        let images = try catalog.identityImages().filter { $0.status == .ok }.map { image in
            FaceEmbeddingRecord(ownerID: image.id!, model: model, vector: face(of: byName[names[image.identityID]!] ?? person()))
        }
        try catalog.setIdentityImageEmbeddings(images)
        return (catalog, dir, alice, bob)
    }

    func testEmbeddingsRoundTripAsFloat32Blobs() throws {
        let (catalog, _) = try makeFixtureCatalog(self)
        let faceID = try XCTUnwrap(catalog.faces(trackID: 1).first?.id)
        let v: [Float] = [0, -1.5, 3.25e-7, .greatestFiniteMagnitude]
        try catalog.insertFaceEmbeddings([FaceEmbeddingRecord(ownerID: faceID, model: "m", vector: v)])
        XCTAssertEqual(try catalog.faceEmbeddings(model: "m"), [FaceEmbeddingRecord(ownerID: faceID, model: "m", vector: v)])
        XCTAssertEqual(try catalog.faceEmbeddings(model: "other"), [])
        XCTAssertEqual(try catalog.embeddingModels(), ["m"])
    }

    func testSequencesMatchTheIdentityOfTheirPerson() throws {
        let (catalog, _, _, _) = try embeddedCatalog()
        let matches = try catalog.sequenceIdentityMatches(model: model, threshold: 0.6)
        XCTAssertEqual(matches.mapValues(\.name), [1: "Alice_Smith", 3: "Bob_Jones"])
        XCTAssertLessThan(matches[1]!.distance, 0.3)
        XCTAssertEqual(try catalog.sequenceIdentityMatches(model: model, threshold: 0.01), [:], "nothing under a tiny threshold")
        XCTAssertEqual(try catalog.sequenceIdentityMatches(model: "other", threshold: 0.6), [:], "models are never mixed")
    }

    func testSequencesOfOnePersonInOneVideoAreGrouped() throws {
        let (catalog, _, alice, _) = try embeddedCatalog()
        XCTAssertEqual(try catalog.samePersonSequences(model: model).map(\.sequenceIDs), [], "four different people")
        // Sequence 2 (video 1) shows Alice too; sequence 4 (video 2) as well, but in another video.
        var rows: [FaceEmbeddingRecord] = []
        for q in try catalog.sequences() where q.id == 2 || q.id == 4 {
            for f in try catalog.faces(trackID: q.trackID) { rows.append(FaceEmbeddingRecord(ownerID: f.id!, model: model, vector: face(of: alice))) }
        }
        try catalog.insertFaceEmbeddings(rows)
        let groups = try catalog.samePersonSequences()
        XCTAssertEqual(groups.map(\.sequenceIDs), [[1, 2]])
        XCTAssertEqual(groups.first?.videoID, 1)
    }

    func testExportRelabelsDropsOrKeepsOverlappingSequences() throws {
        let (catalog, dir, _, _) = try embeddedCatalog()
        func export(_ overlap: ExportOptions.SequenceOverlap) throws -> (ExportResult, JSONValue) {
            var options = ExportOptions(outDir: dir.appendingPathComponent("lists-\(overlap.rawValue)"))
            options.sequenceOverlap = overlap
            let result = try TrainingListExporter(catalog: catalog).export(options)
            let m = try JSONValue.parse(try Data(contentsOf: options.outDir.appendingPathComponent("manifest.json")))
            return (result, m)
        }
        let (relabel, m) = try export(.relabel)
        XCTAssertEqual(relabel.faceidNum, 4)
        XCTAssertEqual(relabel.seqidNum, 2, "sequences 1 and 3 went to Alice and Bob")
        XCTAssertEqual(relabel.identityImages, 8 + 6 + 7)
        XCTAssertEqual(m["counts"]?["relabelled_sequences"]?.int, 2)
        XCTAssertEqual(m["counts"]?["dropped_sequences"]?.int, 0)
        XCTAssertEqual(m["filters"]?["sequence_overlap"]?.string, "relabel")
        XCTAssertEqual(m["filters"]?["embedding_model"]?.string, model)
        let part1 = try String(contentsOf: dir.appendingPathComponent("lists-relabel/image_train_part1.txt"), encoding: .utf8)
        let aliceLines = part1.split(separator: "\n").filter { $0.hasSuffix(" 0") }
        XCTAssertEqual(aliceLines.count, 3 + 6)
        XCTAssertTrue(aliceLines.contains { $0.hasPrefix("crops/v1/t1/") }, "sequence 1's faces carry Alice's label")
        let schema = try JSONValue.parse(try Data(contentsOf: TestFiles.repoRoot.appendingPathComponent("schemas/export-manifest.schema.json")))
        XCTAssertEqual(MiniJSONSchema(root: schema).validate(m, schema), [])

        let (drop, dm) = try export(.drop)
        XCTAssertEqual(drop.seqidNum, 2)
        XCTAssertEqual(drop.identityImages, 8)
        XCTAssertEqual(dm["counts"]?["dropped_sequences"]?.int, 2)
        XCTAssertEqual(dm["counts"]?["relabelled_sequences"]?.int, 0)

        let (keep, km) = try export(.keep)
        XCTAssertEqual(keep.seqidNum, 4)
        XCTAssertEqual(km["filters"]?["embedding_model"], .null)
    }

    func testATestPersonsFaceExcludesTheirSequenceAndIdentityImages() throws {
        let (catalog, _, alice, _) = try embeddedCatalog()
        let s = try catalog.excludeMatchingFaces([EmbeddedPerson(name: "Alice_Smith", embeddings: [face(of: alice)])], model: model,
                                                 threshold: 0.6, protocolName: "lfw", source: "/lfw")
        XCTAssertEqual(s.matchedSequences, 1)
        XCTAssertEqual(s.matchedFaces, 6)
        XCTAssertEqual(s.matchedIdentityImages, 3)
        XCTAssertEqual(s.added, 9)
        for reason in try catalog.exclusions().map(\.reason) {
            XCTAssertTrue(reason.hasPrefix("face of Alice_Smith in lfw (distance 0.") && reason.hasSuffix(" < 0.60)"), reason)
        }
        let candidates = try catalog.trainingCandidates()
        XCTAssertFalse(candidates.sequences.contains { $0.id == 1 })
        XCTAssertFalse(candidates.identities.contains { $0.name == "Alice_Smith" })
        // Again: nothing new.
        XCTAssertEqual(try catalog.excludeMatchingFaces([EmbeddedPerson(name: "Alice_Smith", embeddings: [face(of: alice)])],
                                                        model: model, threshold: 0.6, protocolName: "lfw", source: "/lfw").added, 0)
    }
}
