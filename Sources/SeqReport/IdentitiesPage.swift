import Foundation
import SeqCatalog
import SeqMedia

/// `identities.html` (`identities-p2.html`, … for many identities): per identity dataset,
/// sample images of each identity, then every image that failed to import with its reason
/// (the same list as `import-failures.tsv` beside the catalog).
struct IdentitiesPage {
    struct Person {
        var identity: IdentityRecord
        var okImages: [IdentityImageRecord]
        var failed: Int
        var exclusions: [String]
        /// Images of this identity kept out of training by `exclude --images` (outlined red).
        var excludedImageIDs: Set<Int64>
        var excludedImages: Int { excludedImageIDs.count }
    }

    var title: String
    var people: [Person]
    var failures: [(dataset: String, sourcePath: String, reason: String)]
    /// The catalog, to resolve crop paths.
    var catalog: Catalog
    var samplesPerIdentity = 6
    var identitiesPerPage = 200
    /// Failed images listed on the page; the TSV beside the catalog lists all.
    var failuresShown = 2000

    static func fileName(page: Int) -> String { page == 0 ? "identities.html" : "identities-p\(page + 1).html" }

    var pageCount: Int { max(1, (people.count + identitiesPerPage - 1) / identitiesPerPage) }

    /// Reasons whose image decodes (the detector found no face in it): shown as thumbnails.
    /// Others (`unreadable`, `too_large`, …) are only linked, since a browser may not show them either.
    static let viewableFailures: Set<String> = ["no_face"]

    func render(out: URL) -> [(name: String, html: String)] {
        var linker = CropLinker(catalogFolder: catalog.folder, pageFolder: out)
        var pages: [(name: String, html: String)] = []
        for p in 0..<pageCount {
            var body = overview(page: p)
            let chunk = people.dropFirst(p * identitiesPerPage).prefix(identitiesPerPage)
            var dataset: String?
            for person in chunk {
                if person.identity.dataset != dataset {
                    if dataset != nil { body += "</div></section>\n" }
                    dataset = person.identity.dataset
                    body += "<section class=\"dataset\"><h2>Dataset \(HTML.escape(person.identity.dataset))</h2><div>"
                }
                body += identitySection(person, linker: &linker)
            }
            if dataset != nil { body += "</div></section>\n" }
            if p == pageCount - 1 { body += failureSection(linker: linker) }
            body += pager(current: p)
            pages.append((Self.fileName(page: p),
                          PageTemplate.document(title: "Identity datasets – \(title)" + (pageCount > 1 ? " (page \(p + 1))" : ""),
                                                nav: [("index.html", "Overview"), ("sequences.html", "Sequences")], body: body)))
        }
        return pages
    }

    private func overview(page: Int) -> String {
        var byDataset: [String: (identities: Int, images: Int)] = [:]
        for p in people {
            let d = byDataset[p.identity.dataset] ?? (0, 0)
            byDataset[p.identity.dataset] = (d.identities + 1, d.images + p.okImages.count)
        }
        var failedByDataset: [String: [String: Int]] = [:]
        for f in failures { failedByDataset[f.dataset, default: [:]][f.reason, default: 0] += 1 }
        let datasets = Set(byDataset.keys).union(failedByDataset.keys).sorted()
        var out = "<section id=\"datasets\"><h2>Identity datasets</h2>"
        if datasets.isEmpty { return out + "<p class=\"muted\">No identity dataset imported (seqcurate import-identities).</p></section>\n" }
        out += PageTemplate.table(header: ["dataset", "identities", "images", "failed images by reason"], rows: datasets.map { d in
            let failed = failedByDataset[d].map { r in r.keys.sorted().map { "\(HTML.escape($0)) \(r[$0]!)" }.joined(separator: ", ") } ?? "none"
            return [HTML.escape(d), HTML.count(byDataset[d]?.identities ?? 0), HTML.count(byDataset[d]?.images ?? 0),
                    failures.isEmpty ? "none" : "<a href=\"\(Self.fileName(page: pageCount - 1))#failures\">\(failed)</a>"]
        })
        out += "<p class=\"muted\">Up to \(samplesPerIdentity) sample images per identity (the files training reads), "
            + "\(identitiesPerPage) identities per page. <input type=\"search\" placeholder=\"filter identities\" "
            + "data-filter=\"section.identity\"></p>"
        return out + pager(current: page) + "</section>\n"
    }

    private func identitySection(_ p: Person, linker: inout CropLinker) -> String {
        var heading = "\(p.identity.name) · \(p.okImages.count) images"
        if p.failed > 0 { heading += ", \(p.failed) failed" }
        if p.excludedImages > 0 { heading += ", \(p.excludedImages) excluded" }
        var out = "<section class=\"identity\" id=\"identity-\(p.identity.id!)\"><h3>\(HTML.escape(heading))"
        for e in p.exclusions { out += " <span class=\"badge excluded\">excluded: \(HTML.escape(e))</span>" }
        out += "</h3><div class=\"sheet\">"
        for image in VideoPages.spread(p.okImages, limit: samplesPerIdentity) {
            let file = catalog.trainingFile(of: image)
            let name = URL(fileURLWithPath: image.sourcePath).lastPathComponent
            let excluded = p.excludedImageIDs.contains(image.id ?? -1)
            out += "<div class=\"tile\(excluded ? " excluded" : "")\" title=\"\(HTML.escape(image.sourcePath + (excluded ? " (excluded)" : "")))\">"
            let stored = image.cropPath ?? image.sourcePath
            if ImageIO.isImageFile(file), let href = linker.href(for: stored) {
                out += "<a href=\"\(href)\"><img src=\"\(href)\" loading=\"lazy\" width=\"72\" height=\"72\" alt=\"\(HTML.escape(name))\"></a>"
            } else {
                out += "<div class=\"ph\">missing</div>"
            }
            out += "<div>\(HTML.escape(String(name.prefix(14))))</div></div>"
        }
        return out + "</div></section>\n"
    }

    private func failureSection(linker: CropLinker) -> String {
        var out = "<section id=\"failures\"><h2>Failed images (\(HTML.count(failures.count)))</h2>"
        guard !failures.isEmpty else { return out + "<p class=\"muted\">None.</p></section>\n" }
        out += "<p class=\"muted\">Images import-identities could not use, with the reason "
            + "(<code>no_face</code>: the detector found no face; <code>unreadable</code>: not a decodable image; "
            + "<code>too_large</code>: over the pixel limit). The same list is in <code>import-failures.tsv</code> beside the catalog.</p>"
        var rows: [[String]] = []
        for f in failures.prefix(failuresShown) {
            let file = URL(fileURLWithPath: f.sourcePath)
            var cell = ""
            if let href = linker.href(forFile: file) {
                if Self.viewableFailures.contains(f.reason), ImageIO.isImageFile(file) {
                    cell = "<a href=\"\(href)\"><img src=\"\(href)\" loading=\"lazy\" class=\"thumb\" alt=\"\(HTML.escape(file.lastPathComponent))\"></a>"
                } else {
                    cell = "<a href=\"\(href)\">open</a>"
                }
            } else {
                cell = "<span class=\"muted\">file gone</span>"
            }
            rows.append([HTML.escape(f.dataset), "<code>\(HTML.escape(f.sourcePath))</code>", "<b>\(HTML.escape(f.reason))</b>", cell])
        }
        out += PageTemplate.table(header: ["dataset", "image", "reason", "image"], rows: rows)
        if failures.count > failuresShown {
            out += "<p class=\"muted\">\(HTML.count(failures.count - failuresShown)) more in import-failures.tsv.</p>"
        }
        return out + "</section>\n"
    }

    private func pager(current: Int) -> String {
        guard pageCount > 1 else { return "" }
        let links = (0..<pageCount).map { p in
            p == current ? "<strong>\(p + 1)</strong>" : "<a href=\"\(Self.fileName(page: p))\">\(p + 1)</a>"
        }
        return "<p class=\"pager\">Pages: \(links.joined(separator: " "))</p>"
    }
}
