/// One step of the catalog schema, from version `version - 1` to `version`.
struct CatalogMigration: Sendable {
    let version: Int
    /// The file in `schemas/catalog/` this SQL was embedded from.
    let fileName: String
    let sql: String
}
