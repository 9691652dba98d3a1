import ArgumentParser
import Foundation
import SeqCore

@main
struct Seqcurate: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "seqcurate",
        abstract: "Turn raw videos into SeqFace training data, train, and evaluate.",
        discussion: """
        Examples:
          seqcurate probe assets/carphone_pristine.mp4
          seqcurate ingest video.mp4 more_videos/ --catalog seqcurate.db
          seqcurate export --out lists/
        """,
        version: version,
        subcommands: [
            ProbeCommand.self,
            FramesCommand.self,
        ]
    )
}
