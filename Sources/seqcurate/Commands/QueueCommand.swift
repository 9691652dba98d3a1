import ArgumentParser
import Foundation
import SeqCatalog
import SeqCore

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "A work queue of videos in the catalog, for any number of `ingest --from-queue` workers.",
        discussion: """
        Workers on any machine claim one video at a time under a lease they renew while they
        work; a worker that dies lets its lease expire and the video returns to the queue. A
        video that fails --max-attempts times is marked failed with its last error.

        Examples:
          seqcurate queue add videos/ --catalog postgresql://me@db:5432/faces
          seqcurate queue add --list todo.txt
          seqcurate queue status --json
        """,
        subcommands: [QueueAddCommand.self, QueueStatusCommand.self])
}

struct QueueAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Enqueue videos (files, folders searched for videos, or a list); paths already queued are left as they are.",
        discussion: """
        Examples:
          seqcurate queue add videos/ clip.mp4 --catalog postgresql://me@db:5432/faces
          seqcurate queue add --list todo.txt
        """)

    @Argument(help: "Video files or folders.") var inputs: [String] = []
    @Option(help: "A file with one video path or http(s):// URL a line.") var list: [String] = []
    @Option(help: "The catalog file, or a postgresql:// URL (default: $SEQCURATE_CATALOG).") var catalog = Catalog.defaultPath

    func validate() throws {
        if inputs.isEmpty && list.isEmpty { throw ValidationError("give video files, folders or --list FILE") }
    }

    func run() throws {
        var paths = try VideoInputs.expand(inputs).map(\.path)
        for file in list {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw SeqError("cannot read the list: \(error.localizedDescription)", file: file)
            }
            for line in text.split(whereSeparator: \.isNewline) {
                let entry = line.trimmingCharacters(in: .whitespaces)
                if entry.isEmpty || entry.hasPrefix("#") { continue }
                paths.append(entry.contains("://") ? entry : URL(fileURLWithPath: entry).standardizedFileURL.path)
            }
        }
        let db = try Catalog.open(location: catalog)
        defer { db.close() }
        let added = try db.enqueue(paths)
        print("queued \(added) of \(paths.count) videos (\(paths.count - added) already in the queue); catalog \(db.locationDescription)")
    }
}

struct QueueStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Counts of queued, running, done and failed videos, and what each worker did.",
        discussion: """
        A running video whose lease expired counts as queued.

        Examples:
          seqcurate queue status --catalog postgresql://me@db:5432/faces
          seqcurate queue status --json
        """)

    @Option(help: "The catalog file, or a postgresql:// URL (default: $SEQCURATE_CATALOG).") var catalog = Catalog.defaultPath
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let db = try Catalog.openForReading(location: catalog)
        defer { db.close() }
        let s = try db.queueStatus()
        if json {
            let workers: [JSONValue] = s.workers.map {
                .object([("worker", .string($0.worker)), ("done", .int($0.done)), ("failed", .int($0.failed)),
                         ("running", .optional($0.running))])
            }
            let out: JSONValue = .object([("queued", .int(s.queued)), ("running", .int(s.running)),
                                          ("done", .int(s.done)), ("failed", .int(s.failed)), ("workers", .array(workers))])
            print(out.serialized(.condensed))
        } else {
            print("queued \(s.queued), running \(s.running), done \(s.done), failed \(s.failed)")
            for w in s.workers {
                print("  \(w.worker): \(w.done) done, \(w.failed) failed\(w.running.map { ", working on \($0)" } ?? "")")
            }
        }
    }
}
