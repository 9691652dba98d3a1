import ArgumentParser
import Foundation
import SeqCatalog

/// Checks shared by the commands that take `--catalog`.
enum CatalogArguments {
    /// A PostgreSQL catalog has no folder of its own: commands that write crops need
    /// `--crops DIR` (or `SEQCURATE_CROPS`).
    static func requireCrops(catalog: String, crops: String?) throws {
        guard CatalogLocation(catalog).isPostgres, crops == nil,
              (ProcessInfo.processInfo.environment["SEQCURATE_CROPS"] ?? "").isEmpty else { return }
        throw ValidationError("--crops DIR is required with a PostgreSQL catalog (crops are files; give a folder every worker can reach)")
    }
}
