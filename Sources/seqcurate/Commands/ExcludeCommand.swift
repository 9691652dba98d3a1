import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore
import SeqDetect
import SeqEval
import SeqIngest
import SeqMedia

struct ExcludeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exclude",
        abstract: "Keep test-set people and images out of training.",
        discussion: """
        --protocol lfw|ytf PAIRS_FILE and --names FILE exclude every identity
        whose name is in the list, and every video whose file or folder name
        carries such a name. Names match ignoring case, spaces and underscores
        (George_W_Bush matches "george w bush"). Understood pair files: LFW
        pairs.txt, the SeqFace LFW and YTF pair lists, YTF splits.txt.

        --images DIR excludes catalog faces and identity images whose aligned
        crop is a near-duplicate (dHash distance <= --max-distance) of an
        image in DIR.

        By face: with --protocol, --root DIR also embeds the test people's
        images (lfw: DIR/Name/Name_0001.jpg; ytf: DIR/Name/N/*.jpg, a few
        frames per video) and excludes every sequence (its kept faces) and
        every identity image whose face lies within --identity-threshold of
        a test person's face, with a reason naming the person and the
        distance. --faces DIR does the same for any DIR/Name/*.jpg folder.
        Identity images without an embedding are embedded first (and kept).

        Exclusions are rows with a reason; nothing is deleted. Running the
        same exclusion again adds nothing. `seqcurate stats` counts them.

        Examples:
          seqcurate exclude --protocol lfw lfw/pairs.txt
          seqcurate exclude --protocol ytf ytf/splits.txt
          seqcurate exclude --names test_people.txt
          seqcurate exclude --images lfw_aligned/ --max-distance 6
          seqcurate exclude --protocol lfw lfw/pairs.txt --root lfw/
          seqcurate exclude --faces test_people/ --identity-threshold 0.5
        """)

    @Option(help: "The catalog file.") var catalog = Catalog.defaultPath
    @Option(name: .customLong("protocol"), help: "The protocol of PAIRS_FILE: lfw or ytf.") var testProtocol: Benchmark?
    @Argument(help: "The protocol's pairs file (with --protocol).") var pairsFile: String?
    @Option(help: "A file of names, one per line (# comments).") var names: String?
    @Option(help: "A folder of (aligned) test images; near-duplicates in the catalog are excluded.") var images: String?
    @Option(parsing: .unconditional, help: "Largest dHash distance (bits of 64) that counts as a near-duplicate.") var maxDistance = 6
    @Option(help: "With --protocol: the test images (lfw DIR/Name/*.jpg, ytf DIR/Name/N/*.jpg), matched by face.") var root: String?
    @Option(help: "A folder of faces, DIR/Name/*.jpg, matched by face.") var faces: String?
    @Option(parsing: .unconditional, help: "Largest embedding distance that counts as the same person (see docs/catalog.md).") var identityThreshold = IdentityExclusion.defaultThreshold
    @Option(help: "Face embedding weights (default: dlib_face_resnet.safetensors where the MTCNN weights are found).") var embeddingWeights: String?
    @OptionGroup var detector: DetectorOptions
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if testProtocol != nil && pairsFile == nil { throw ValidationError("--protocol needs the pairs file: --protocol lfw pairs.txt") }
        if testProtocol == nil && pairsFile != nil { throw ValidationError("a pairs file needs --protocol lfw or --protocol ytf") }
        if root != nil && testProtocol == nil { throw ValidationError("--root needs --protocol lfw|ytf PAIRS_FILE (for --faces DIR, any folder)") }
        if testProtocol == nil && names == nil && images == nil && faces == nil {
            throw ValidationError("say what to exclude: --protocol lfw|ytf PAIRS_FILE, --names FILE, --images DIR or --faces DIR")
        }
        if !(identityThreshold > 0) { throw ValidationError("--identity-threshold must be positive, got \(identityThreshold)") }
        if !(0...32).contains(maxDistance) { throw ValidationError("--max-distance must be in 0…32") }
    }

    func run() throws {
        let db = try Catalog.openExisting(at: URL(fileURLWithPath: catalog))
        if let testProtocol, let pairsFile {
            let url = URL(fileURLWithPath: pairsFile)
            // The reader `eval` uses, so both agree on who is in the test set.
            let list = try PairFileReader.read(url, expected: testProtocol)
            let people = list.people
            print("\(pairsFile): \(list.layout.summary), \(list.pairs.count) pairs, \(people.count) names")
            report(try db.excludeNames(people, protocolName: testProtocol.rawValue, source: url.standardizedFileURL.path))
        }
        if let names {
            let url = URL(fileURLWithPath: names)
            let list = try NameMatching.readNameList(url)
            print("\(names): \(list.count) names")
            report(try db.excludeNames(list, protocolName: "names", source: url.standardizedFileURL.path))
        }
        if let images {
            try excludeImages(URL(fileURLWithPath: images), db: db)
        }
        if let testProtocol, let root {
            try excludeFaces(URL(fileURLWithPath: root), layout: testProtocol == .ytf ? .perPersonVideos : .perPerson,
                             protocolName: testProtocol.rawValue, db: db)
        }
        if let faces {
            try excludeFaces(URL(fileURLWithPath: faces), layout: .perPerson, protocolName: "faces", db: db)
        }
    }

    /// Embeds the test people's faces and the catalog's identity images that lack one, then
    /// excludes whatever matches.
    private func excludeFaces(_ dir: URL, layout: FaceFolders.Layout, protocolName: String, db: Catalog) throws {
        let people = try FaceFolders.people(in: dir, layout: layout)
        let embedding = ImageFaceEmbedding(detector: try detector.makeDetector(parallelPyramid: false),
                                           embedder: try EmbedderLoading.load(embeddingWeights))
        let filled = try embedding.fillIdentityImages(in: db, quiet: quiet)
        if filled.noFace > 0 { printError("seqcurate: warning: \(filled.noFace) identity images show no face and cannot be matched by face") }
        let all = people.flatMap(\.images)
        let (vectors, failures) = embedding.embedAll(all, label: "embedding test faces", quiet: quiet)
        for (url, why) in failures.prefix(5) { printError("seqcurate: warning: \(url.path): \(why)") }
        if failures.count > 5 { printError("seqcurate: warning: \(failures.count - 5) more test images gave no embedding") }
        var embedded: [EmbeddedPerson] = []
        var k = 0
        for p in people {
            let own = vectors[k..<(k + p.images.count)].compactMap { $0 }
            k += p.images.count
            if !own.isEmpty { embedded.append(EmbeddedPerson(name: p.name, embeddings: own)) }
        }
        let s = try db.excludeMatchingFaces(embedded, model: embedding.embedder.model, threshold: identityThreshold,
                                            protocolName: protocolName, source: dir.standardizedFileURL.path)
        print("\(embedded.count) test people by face: \(s.matchedSequences) sequences (\(s.matchedFaces) faces) and "
              + "\(s.matchedIdentityImages) identity images match; \(s.added) new exclusions")
    }

    private func report(_ s: ExclusionSummary) {
        print("matched \(s.matchedIdentities) identities and \(s.matchedVideos) videos; \(s.added) new exclusions"
              + (s.unmatchedNames.isEmpty ? "" : "; \(s.unmatchedNames.count) names match nothing in the catalog"))
    }

    private func excludeImages(_ dir: URL, db: Catalog) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            throw SeqError("no such folder", file: dir.path)
        }
        var files: [URL] = []
        if let walker = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where ImageIO.isImageFile(url) { files.append(url) }
        }
        files.sort { $0.path < $1.path }
        guard !files.isEmpty else { throw SeqError("no JPEG, PNG or BMP images in the folder", file: dir.path) }

        let test = ImageHashing.dHashAll(files, label: "hashing test images", quiet: quiet)
        for (_, error) in test.failures { printError("seqcurate: warning: skipped \(error)") }

        // Catalog crops hashed on demand, then kept in the catalog for the next run.
        let missing = try db.itemsMissingCropHash()
        let faceHashes = ImageHashing.dHashAll(missing.faces.map(\.path), label: "hashing catalog face crops", quiet: quiet)
        let imageHashes = ImageHashing.dHashAll(missing.identityImages.map(\.path), label: "hashing identity images", quiet: quiet)
        try db.setFaceCropHashes(faceHashes.hashes.indices.compactMap { i in faceHashes.hashes[i].map { (missing.faces[i].id, $0) } })
        try db.setIdentityImageHashes(imageHashes.hashes.indices.compactMap { i in imageHashes.hashes[i].map { (missing.identityImages[i].id, $0) } })
        let unreadable = faceHashes.failures.count + imageHashes.failures.count
        if unreadable > 0 { printError("seqcurate: warning: \(unreadable) catalog crops could not be read and were not compared") }

        var hashes: [UInt64] = []
        var names: [String] = []
        for (i, h) in test.hashes.enumerated() {
            if let h { hashes.append(h); names.append(files[i].lastPathComponent) }
        }
        let s = try db.excludeNearDuplicates(hashes: hashes, names: names, maxDistance: maxDistance, source: dir.standardizedFileURL.path)
        print("\(hashes.count) test images: \(s.matchedFaces) faces and \(s.matchedIdentityImages) identity images are near-duplicates; \(s.added) new exclusions")
    }
}
