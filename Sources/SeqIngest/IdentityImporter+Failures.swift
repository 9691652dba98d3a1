import Foundation
import SeqCatalog
import SeqCore

extension IdentityImporter {
    /// The name of the failure list written next to the catalog.
    public static let failureListName = "import-failures.tsv"

    /// Rewrites `import-failures.tsv` next to the catalog (atomically) with every identity image
    /// the catalog holds as failed, of every dataset and every run: a header line
    /// `path<TAB>reason<TAB>dataset`, then one line per image sorted by dataset and path. Tabs,
    /// line breaks and backslashes in a value are written as `\t`, `\n`, `\\`. Returns the file
    /// and the number of images it lists.
    @discardableResult
    public static func writeFailureList(catalog: Catalog) throws -> (url: URL, count: Int) {
        let failed = try catalog.failedIdentityImages()
        var text = "path\treason\tdataset\n"
        for f in failed {
            text += "\(PrintableName.escaped(f.sourcePath))\t\(PrintableName.escaped(f.reason))\t\(PrintableName.escaped(f.dataset))\n"
        }
        let url = catalog.folder.appendingPathComponent(failureListName)
        try AtomicFile.write(text, to: url)
        return (url, failed.count)
    }
}
