import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore

struct SequencesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequences",
        abstract: "List every sequence with its video, shot, export status and faces.",
        discussion: """
        One block per sequence: its id, video, shot, track, frames and export
        status, then one line per kept face: frame, box [x1,y1,x2,y2] in
        pixels, track and crop (relative to the catalog folder). The status
        is what `export` does with the sequence:
          sequence          exported under a sequence label
          identity:NAME     its faces match the imported identity NAME, so it
                            is exported under that identity's label
          excluded:REASON   kept out of training (its video, or all its faces,
                            excluded by `exclude`)

        Examples:
          seqcurate sequences
          seqcurate sequences --video 3
          seqcurate sequences --video 3 --json
          seqcurate sequences --catalog data/seqcurate.db --json > sequences.json
        """)

    @Option(help: "The catalog file, or a postgresql:// URL.") var catalog = Catalog.defaultPath
    @Option(help: "Only the sequences of this video id (see `seqcurate tracks`).") var video: Int64?
    @Flag(help: "Print a JSON array (one object per sequence, with its faces) instead of text.") var json = false

    func run() throws {
        let db = try Catalog.openForReading(location: catalog)
        if let video, try db.video(id: video) == nil {
            throw SeqError("no video with id \(video) in the catalog", file: catalog)
        }
        let listings = try db.sequenceListing(videoID: video)
        if json {
            print(JSONValue.array(listings.map(\.json)).serialized(.condensed))
            return
        }
        if listings.isEmpty {
            print(video == nil ? "no sequences in the catalog" : "no sequences in video \(video!)")
            return
        }
        for q in listings {
            let shot = q.shotIndex.map(String.init) ?? "-"
            var line = "sequence \(q.id)  video \(q.videoID) (\(URL(fileURLWithPath: q.videoPath).lastPathComponent))  shot \(shot)"
            line += "  track \(q.trackIndex)  frames \(q.firstFrame)-\(q.lastFrame)  \(q.faces.count) faces  \(q.status.text)"
            if let d = q.identity.match?.distance { line += String(format: " (distance %.3f)", d) }
            print(line)
            for f in q.faces {
                let box = "[" + f.box.map { String(format: "%.1f", Double($0)) }.joined(separator: ",") + "]"
                var face = "  frame " + String(f.frame).padding(toLength: 6, withPad: " ", startingAt: 0)
                face += box.padding(toLength: max(28, box.count + 1), withPad: " ", startingAt: 0)
                face += "track \(f.trackIndex)  \(f.cropPath ?? "-")"
                if !f.exclusions.isEmpty { face += "  excluded: " + f.exclusions.joined(separator: "; ") }
                print(face)
            }
        }
        let counts = Dictionary(grouping: listings, by: { q -> String in
            switch q.status { case .sequence: return "sequence"; case .identity: return "identity"; case .excluded: return "excluded" }
        }).mapValues(\.count)
        print("\(listings.count) sequences: \(counts["sequence"] ?? 0) as sequences, \(counts["identity"] ?? 0) under an identity, "
              + "\(counts["excluded"] ?? 0) excluded")
    }
}
