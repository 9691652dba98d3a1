import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge catalogs (for example the shards of `ingest --shard`) into one.",
        discussion: """
        Rows get new ids in DST; their crops are hard-linked into DST's crops folder (copied
        across file systems), or moved with --move. Videos whose content DST already holds are
        skipped, runs are recorded with the catalog and run they came from, identities,
        identity images and exclusions are merged too. Merging the same catalogs again adds
        nothing. Videos are added in order of path, so shards of one input list merge into the
        catalog one run over the whole list gives. DST is created when missing.

        Examples:
          seqcurate merge shard0.db shard1.db shard2.db --into all.db
          seqcurate merge night/*.db --into seqcurate.db --move
        """)

    @Argument(help: "Source catalogs.") var sources: [String]
    @Option(help: "The catalog to merge into (created when missing).") var into: String
    @Flag(help: "Move the crops out of the sources instead of linking them (the sources lose their crops).") var move = false

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one source catalog") }
    }

    func run() throws {
        // Sources first: a missing one must not leave an empty destination behind.
        let catalogs = try sources.map { try Catalog.openExistingPreferringWrite(at: URL(fileURLWithPath: $0)) }
        let dst = try Catalog.open(at: URL(fileURLWithPath: into))
        let s = try CatalogMerger(into: dst, crops: move ? .move : .link).merge(catalogs)
        print("merged \(s.sources) catalogs into \(dst.url.path): \(s.videosAdded) videos added, \(s.videosSkipped) already there; "
              + "\(s.runsAdded) runs, \(s.identitiesAdded) identities, \(s.identityImagesAdded) identity images, "
              + "\(s.exclusionsAdded) exclusions added; \(s.cropFiles) crop files \(move ? "moved" : "linked")")
    }
}
