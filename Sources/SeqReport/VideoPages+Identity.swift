import Foundation
import SeqCatalog

/// The "Who and what is left out" section of a video page (issue #11, "See it"): which
/// sequences show the same person, and every exclusion or relabelling with its reason.
extension VideoPages {
    /// The section; `link` gives a sequence's reference on the video's pages.
    func identitySection(link: (SequenceListing) -> String) -> String {
        var out = "<section id=\"identity\"><h2>Same person, relabelled, excluded</h2>"
        out += samePerson(link: link)
        out += exclusionsAndRelabellings(link: link)
        return out + "</section>\n"
    }

    private func anchor(_ q: SequenceListing, _ link: (SequenceListing) -> String) -> String {
        "<a href=\"\(HTML.escape(link(q)))\">\(q.id)</a>"
    }

    /// Sequences grouped by person: the person group identity matching gave, else the
    /// identity they match. Without either, a note says no identity data exists yet.
    private func samePerson(link: (SequenceListing) -> String) -> String {
        var out = "<h3>Same person</h3>"
        let known = listings.filter { $0.identity.person != nil || $0.identity.match != nil }
        guard !known.isEmpty else {
            return out + "<p class=\"muted\" id=\"no-identity-data\">No identity data for this video: the catalog records no identity "
                + "match or person group for its sequences (identity matching has not run on it), so each sequence counts as a person of its own.</p>"
        }
        struct Group { var key: String; var members: [SequenceListing] }
        var groups: [Group] = []
        for q in known {
            let key = q.identity.person.map { "person \($0)" } ?? "identity \(q.identity.match!.identityID)"
            if let i = groups.firstIndex(where: { $0.key == key }) { groups[i].members.append(q) } else { groups.append(Group(key: key, members: [q])) }
        }
        let rows = groups.map { g -> [String] in
            let names = Set(g.members.compactMap { $0.identity.match.map { "\($0.dataset)/\($0.name)" } }).sorted()
            return [HTML.escape(g.key), g.members.map { anchor($0, link) }.joined(separator: ", "),
                    names.isEmpty ? "<span class=\"muted\">no imported identity</span>" : HTML.escape(names.joined(separator: ", "))]
        }
        out += PageTemplate.table(header: ["person", "sequences", "matched identity"], rows: rows, id: "same-person")
        let alone = listings.count - known.count
        if alone > 0 { out += "<p class=\"muted\">\(alone) other sequences have no identity data.</p>" }
        return out
    }

    /// Every sequence export relabels or leaves out, and every excluded face, with the reason.
    private func exclusionsAndRelabellings(link: (SequenceListing) -> String) -> String {
        var out = "<h3>Exclusions and relabellings</h3>"
        var rows: [[String]] = []
        for q in listings {
            switch q.status {
            case .sequence: break
            case .identity(let name):
                var why = "faces match the imported identity \(name)"
                if let m = q.identity.match { why += " (\(m.dataset))" + (m.distance.map { String(format: ", distance %.3f", $0) } ?? "") }
                rows.append([anchor(q, link), "<span class=\"badge status-identity\">relabelled</span>", HTML.escape(why)])
            case .excluded(let reason):
                rows.append([anchor(q, link), "<span class=\"badge status-excluded\">excluded</span>", HTML.escape(reason)])
            }
            let excludedFaces = q.faces.filter { !$0.exclusions.isEmpty }
            if !excludedFaces.isEmpty, case .sequence = q.status {
                let reasons = Set(excludedFaces.flatMap(\.exclusions)).sorted()
                rows.append([anchor(q, link), "<span class=\"badge excluded\">\(excludedFaces.count) faces excluded</span>",
                             HTML.escape(reasons.joined(separator: "; "))])
            }
        }
        for reason in videoExclusions {
            rows.insert(["video", "<span class=\"badge status-excluded\">excluded</span>", HTML.escape(reason)], at: 0)
        }
        guard !rows.isEmpty else { return out + "<p class=\"muted\">None: every sequence of this video is exported under a sequence label.</p>" }
        return out + PageTemplate.table(header: ["sequence", "what", "reason"], rows: rows, id: "exclusions-relabellings")
    }
}
