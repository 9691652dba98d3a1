import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore

extension ExportOptions.PathStyle: ExpressibleByArgument {}
extension ExportOptions.Format: ExpressibleByArgument {}
extension ExportOptions.SequenceOverlap: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the Caffe ImageData training lists and a manifest.",
        discussion: """
        Writes into --out (missing or empty, unless --force):
          image_train_part1.txt      identity images, labels 0 … F-1
          image_train_part2_seq.txt  sequence faces, labels -1 … -S
          image_val.txt              held-out identities (--val-fraction)
          manifest.json              F, S, counts, filters, checksums, labels
        --format csv writes train.csv (and val.csv) instead, with the columns
        path, face_id, seq_id, track, video, source. --format webdataset writes
        tar shards shard-000000.tar, … (--shard-size samples each; held-out
        identities in val-shard-*.tar) of KEY.jpg + KEY.json (label, identity or
        sequence, video and frame, crop geometry) and manifest.json.

        An export never mixes crop geometries (e.g. 144px seqface crops with
        112px similarity crops, or images imported --aligned): such an export is
        refused with the counts of each; pick one with --geometry METHOD/SIZE.
        manifest.json records the geometry (crop_geometry).

        A sequence whose person (mean embedding of its faces) lies within
        --identity-threshold of an imported identity's centre is that
        identity's person: --sequence-overlap relabel (default) exports its
        faces under the identity's label, drop leaves it out, keep exports it
        as a sequence; manifest.json counts relabelled_sequences and
        dropped_sequences (see docs/export.md).
        Excluded identities, videos and faces never appear; missing files are
        left out and counted. A failed export leaves nothing behind. --out is
        never the catalog's folder, a folder above it, or its crops folder, even
        with --force. On a read-only catalog the lists are written but the export
        is not recorded in it. The same catalog and options give byte-identical
        files. For the published Caffe train_val.prototxt, set root_folder to
        --root (default: the catalog folder) with a trailing slash, and F and S
        in the classifier and DSA layers (see docs/export.md).

        Examples:
          seqcurate export --out lists/
          seqcurate export --out lists/ --min-images-per-identity 10 \\
                           --max-sequences-per-video 20
          seqcurate export --out lists/ --val-fraction 0.05 --paths absolute --force
          seqcurate export --out lists-csv/ --format csv --sequences-only
          seqcurate export --out shards/ --format webdataset --shard-size 5000
          seqcurate export --out lists/ --sequence-overlap drop --identity-threshold 0.5
        """)

    @Option(help: "The catalog file.") var catalog = Catalog.defaultPath
    @Option(help: "The folder to write.") var out: String
    @Option(parsing: .unconditional, help: "Leave out identities with fewer usable images.") var minImagesPerIdentity = 1
    @Option(parsing: .unconditional, help: "Keep at most this many sequences per video (those with the most faces).") var maxSequencesPerVideo: Int?
    @Flag(help: "Write only the identity list.") var identitiesOnly = false
    @Flag(help: "Write only the sequence list.") var sequencesOnly = false
    @Option(parsing: .unconditional, help: "Fraction of identities held out for validation, in [0, 1).") var valFraction = 0.0
    @Option(help: "relative (to --root) or absolute paths.") var paths: ExportOptions.PathStyle = .relative
    @Option(help: "The folder relative paths start from (default: the catalog folder).") var root: String?
    @Option(help: "caffe (two `path label` lists), csv, or webdataset (tar shards).") var format: ExportOptions.Format = .caffe
    @Option(parsing: .unconditional, help: "Samples per tar shard of --format webdataset.") var shardSize = 1000
    @Option(help: "Export only crops of this geometry, METHOD/SIZE (seqface/144, similarity/112) or as-is[/SIZE].") var geometry: String?
    @Option(help: "A sequence that is an imported identity's person: relabel (under that identity), drop, or keep.") var sequenceOverlap: ExportOptions.SequenceOverlap = .relabel
    @Option(parsing: .unconditional, help: "Largest embedding distance between a sequence and an identity that counts as one person.") var identityThreshold = ExportOptions.defaultIdentityThreshold
    @Option(help: "The embedding model that decides (default: the only one in the catalog).") var embeddingModel: String?
    @Flag(help: "Replace a non-empty output folder.") var force = false

    /// The export the flags ask for.
    var options: ExportOptions {
        var options = ExportOptions(outDir: URL(fileURLWithPath: out))
        options.minImagesPerIdentity = minImagesPerIdentity
        options.maxSequencesPerVideo = maxSequencesPerVideo
        options.identitiesOnly = identitiesOnly
        options.sequencesOnly = sequencesOnly
        options.valFraction = valFraction
        options.paths = paths
        options.root = root.map { URL(fileURLWithPath: $0) }
        options.format = format
        options.shardSize = shardSize
        options.geometry = geometry.flatMap { ExportManifest.CropGeometry(parsing: $0) }
        options.force = force
        options.sequenceOverlap = sequenceOverlap
        options.identityThreshold = identityThreshold
        options.embeddingModel = embeddingModel
        options.toolVersion = Seqcurate.version
        return options
    }

    /// The ranges and combinations `ExportOptions` checks, before the catalog is opened.
    func validate() throws {
        if let geometry, ExportManifest.CropGeometry(parsing: geometry) == nil {
            throw ValidationError("--geometry must be METHOD/SIZE (e.g. seqface/144, similarity/112) or as-is; got '\(geometry)'")
        }
        do {
            try options.validate()
        } catch let error as SeqError {
            throw ValidationError(error.reason)
        }
    }

    func run() throws {
        // Read-only where it must be (read-only file system, or a catalog the user cannot
        // write): the lists are still written, only the exports row is not.
        let db = try Catalog.openExistingPreferringWrite(at: URL(fileURLWithPath: catalog))
        let result = try TrainingListExporter(catalog: db).export(options)

        if !result.missingFiles.isEmpty {
            printError("seqcurate: warning: \(result.missingFiles.count) catalog files do not exist and were left out, e.g.")
            for path in result.missingFiles.prefix(5) { printError("  \(path)") }
        }
        for f in result.files {
            print("wrote \(result.outDir.appendingPathComponent(f.name).path) (\(f.lines) \(f.role.hasSuffix("shard") ? "samples" : "lines"))")
        }
        print("wrote \(result.outDir.appendingPathComponent(TrainingListExporter.manifestName).path)")
        print("faceid_num (F) = \(result.faceidNum) identities, \(result.identityImages) images")
        print("seqid_num  (S) = \(result.seqidNum) sequences, \(result.sequenceFaces) faces")
        for m in result.relabelled {
            print("sequence \(m.sequenceID) relabelled as identity \(m.name) (distance \(String(format: "%.3f", m.distance)))")
        }
        for m in result.dropped {
            print("sequence \(m.sequenceID) dropped: the person of identity \(m.name) (distance \(String(format: "%.3f", m.distance)))")
        }
        if result.validationIdentities > 0 {
            print("validation     = \(result.validationIdentities) identities, \(result.validationImages) images")
        }
        if result.exportID == nil {
            printError("seqcurate: warning: the catalog is read-only here, so this export is not recorded in its exports table (manifest.json has everything)")
        }
        if result.faceidNum == 0 && result.seqidNum == 0 {
            printError("seqcurate: warning: the lists are empty; ingest videos or import identities first")
        }
    }
}
