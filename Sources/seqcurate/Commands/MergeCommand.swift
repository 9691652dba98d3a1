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

        Any catalog may be a PostgreSQL one (a postgresql:// URL), in any mix with SQLite
        files. A PostgreSQL catalog keeps its crops in the folder given with --crops (or
        SEQCURATE_CROPS); that folder serves every PostgreSQL catalog named here.

        Examples:
          seqcurate merge shard0.db shard1.db shard2.db --into all.db
          seqcurate merge night/*.db --into seqcurate.db --move
          seqcurate merge s0.db s1.db --into postgresql://me@db/faces --crops /crops
        """)

    @Argument(help: "Source catalogs.") var sources: [String]
    @Option(help: "The catalog to merge into (created when missing).") var into: String
    @Option(help: "The crops folder of the PostgreSQL catalogs named (a SQLite catalog keeps its crops beside it).") var crops: String?
    @Flag(help: "Move the crops out of the sources instead of linking them (the sources lose their crops).") var move = false

    func validate() throws {
        if sources.isEmpty { throw ValidationError("give at least one source catalog") }
        for catalog in sources + [into] { try CatalogArguments.requireCrops(catalog: catalog, crops: crops) }
    }

    func run() throws {
        // Sources first: a missing one must not leave an empty destination behind.
        let catalogs = try sources.map { try Catalog.openExistingPreferringWrite(location: $0, crops: crops) }
        let dst = try Catalog.open(location: into, crops: crops)
        let s = try CatalogMerger(into: dst, crops: move ? .move : .link).merge(catalogs)
        print("merged \(s.sources) catalogs into \(dst.locationDescription): \(s.videosAdded) videos added, \(s.videosSkipped) already there; "
              + "\(s.runsAdded) runs, \(s.identitiesAdded) identities, \(s.identityImagesAdded) identity images, "
              + "\(s.exclusionsAdded) exclusions added; \(s.cropFiles) crop files \(move ? "moved" : "linked")")
    }
}
