import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Summarise a catalog: videos, tracks, sequences, faces, identities, exclusions, F and S.",
        discussion: """
        F (faceid_num) and S (seqid_num) are the label counts an export with
        default options would write: after exclusions, before checking that
        the files exist.

        Examples:
          seqcurate stats
          seqcurate stats --catalog work/seqcurate.db --json
        """)

    @Option(help: "The catalog file, or a postgresql:// URL.") var catalog = Catalog.defaultPath
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func run() throws {
        let db = try Catalog.openForReading(location: catalog)
        let stats = try db.stats()
        print(json ? stats.json.serialized(.condensed) + "\n" : stats.text, terminator: "")
    }
}
