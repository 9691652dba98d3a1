import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore
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

        Exclusions are rows with a reason; nothing is deleted. Running the
        same exclusion again adds nothing. `seqcurate stats` counts them.

        Examples:
          seqcurate exclude --protocol lfw lfw/pairs.txt
          seqcurate exclude --protocol ytf ytf/splits.txt
          seqcurate exclude --names test_people.txt
          seqcurate exclude --images lfw_aligned/ --max-distance 6
        """)

    @Option(help: "The catalog file, or a postgresql:// URL.") var catalog = Catalog.defaultPath
    @Option(name: .customLong("protocol"), help: "The protocol of PAIRS_FILE: lfw or ytf.") var testProtocol: Benchmark?
    @Argument(help: "The protocol's pairs file (with --protocol).") var pairsFile: String?
    @Option(help: "A file of names, one per line (# comments).") var names: String?
    @Option(help: "A folder of (aligned) test images; near-duplicates in the catalog are excluded.") var images: String?
    @Option(parsing: .unconditional, help: "Largest dHash distance (bits of 64) that counts as a near-duplicate.") var maxDistance = 6
    @Flag(help: "No progress output.") var quiet = false

    func validate() throws {
        if testProtocol != nil && pairsFile == nil { throw ValidationError("--protocol needs the pairs file: --protocol lfw pairs.txt") }
        if testProtocol == nil && pairsFile != nil { throw ValidationError("a pairs file needs --protocol lfw or --protocol ytf") }
        if testProtocol == nil && names == nil && images == nil {
            throw ValidationError("say what to exclude: --protocol lfw|ytf PAIRS_FILE, --names FILE or --images DIR")
        }
        if !(0...32).contains(maxDistance) { throw ValidationError("--max-distance must be in 0…32") }
    }

    func run() throws {
        let db = try Catalog.openExisting(location: catalog)
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
