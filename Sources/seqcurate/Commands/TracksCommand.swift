import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore

struct TracksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracks",
        abstract: "List the face tracks of the catalog and the sequences selected from them.",
        discussion: """
        One line per track: video, track, shot, frames, faces, mean box size
        (pixels) and score, the largest jump of the box centre between
        consecutive faces (jump px, in pixels; max_center_step in --json), why
        the track ended (end: cut, lost, split, identity or end of video; `-`,
        null in --json, for tracks ingested before the catalog recorded it), and
        the track's sequence (kept faces) if it gave one. With --json --faces each
        track also lists its faces: frame, box [x1, y1, x2, y2], score, eye
        distance (pixels) and source
        (detected: full MTCNN; refined: R-Net/O-Net around the predicted box;
        interpolated: --detect-every; null for faces ingested before it was recorded).

        Examples:
          seqcurate tracks
          seqcurate tracks --video 3
          seqcurate tracks --video 3 --json
          seqcurate tracks --video 3 --json --faces
        """)

    @Option(help: "The catalog file, or a postgresql:// URL.") var catalog = Catalog.defaultPath
    @Option(help: "Only the tracks of this video id (see `seqcurate stats` or --json).") var video: Int64?
    @Flag(help: "Print a JSON array instead of a table.") var json = false
    @Flag(help: "With --json: list every face of each track (frame, box, score, eye distance, source).") var faces = false

    func validate() throws {
        if faces && !json { throw ValidationError("--faces lists faces in the JSON output; add --json") }
    }

    func run() throws {
        let db = try Catalog.openForReading(location: catalog)
        if let video, try db.video(id: video) == nil {
            throw SeqError("no video with id \(video) in the catalog", file: catalog)
        }
        let tracks = try db.tracks(videoID: video)
        var sequenceByTrack: [Int64: SequenceRecord] = [:]
        for s in try db.sequences(videoID: video) { sequenceByTrack[s.trackID] = s }
        var shotIndex: [Int64: Int] = [:]
        var paths: [Int64: String] = [:]
        for v in try db.videos() where video == nil || v.id == video {
            paths[v.id!] = v.path
            for s in try db.shots(videoID: v.id!) { shotIndex[s.id!] = s.index }
        }
        if json {
            var facesByTrack: [Int64: [FaceRecord]] = [:]
            if faces {
                for v in paths.keys.sorted() { for f in try db.faces(videoID: v) { facesByTrack[f.trackID, default: []].append(f) } }
            }
            let items: [JSONValue] = tracks.map { t in
                let s = sequenceByTrack[t.id!]
                var fields: [(String, JSONValue)] = [
                    ("video_id", .int(Int(t.videoID))), ("video", .optional(paths[t.videoID])),
                    ("track_id", .int(Int(t.id!))), ("track_index", .int(t.index)),
                    ("shot_index", .optional(t.shotID.flatMap { shotIndex[$0] })),
                    ("first_frame", .int(t.firstFrame)), ("last_frame", .int(t.lastFrame)), ("faces", .int(t.faceCount)),
                    ("mean_box_width", .double(Double(t.meanBoxWidth))), ("mean_box_height", .double(Double(t.meanBoxHeight))),
                    ("mean_score", .double(Double(t.meanScore))), ("min_score", .double(Double(t.minScore))),
                    ("max_center_step", .double(Double(t.maxCenterStep))),
                    ("end_reason", .optional(t.endReason?.rawValue)),
                    ("sequence_id", .optional(s.map { Int($0.id!) })), ("sequence_faces", .optional(s?.faceCount)),
                ]
                if faces { fields.append(("face_list", .array(facesByTrack[t.id!, default: []].map(Self.faceJSON)))) }
                return .object(fields)
            }
            print(JSONValue.array(items).serialized(.condensed))
            return
        }
        if tracks.isEmpty {
            print(video == nil ? "no tracks in the catalog" : "no tracks in video \(video!)")
            return
        }
        print("video  track  idx  shot  frames         faces  box(w x h)   score  jump px  end       sequence")
        for t in tracks {
            let s = sequenceByTrack[t.id!]
            let shot = t.shotID.flatMap { shotIndex[$0] }.map(String.init) ?? "-"
            let seq = s.map { "#\($0.id!) (\($0.faceCount) faces)" } ?? "-"
            func pad(_ text: String, _ width: Int) -> String {
                text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
            }
            let frames = "\(t.firstFrame)-\(t.lastFrame)"
            let box = String(format: "%4.0f x %-4.0f", Double(t.meanBoxWidth), Double(t.meanBoxHeight))
            print("\(pad(String(t.videoID), 5))  \(pad(String(t.id!), 5))  \(pad(String(t.index), 3))  \(pad(shot, 4))  "
                  + frames.padding(toLength: max(13, frames.count), withPad: " ", startingAt: 0)
                  + "  \(pad(String(t.faceCount), 5))  \(box)  " + String(format: "%.3f  %7.1f  ", Double(t.meanScore), Double(t.maxCenterStep))
                  + (t.endReason?.rawValue ?? "-").padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + seq)
        }
        let withSequence = tracks.filter { sequenceByTrack[$0.id!] != nil }.count
        print("\(tracks.count) tracks, \(withSequence) with a sequence")
    }

    /// One face of `--json --faces`.
    private static func faceJSON(_ f: FaceRecord) -> JSONValue {
        .object([
            ("frame", .int(f.frameIndex)),
            ("box", .array([f.x1, f.y1, f.x2, f.y2].map { .double(Double($0)) })),
            ("score", .double(Double(f.score))),
            ("eye_distance", .double(Double(f.eyeDistance))),
            ("source", .optional(f.source?.rawValue)),
        ])
    }
}
