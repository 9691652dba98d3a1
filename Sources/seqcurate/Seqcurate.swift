import ArgumentParser
import Foundation
import SeqCore
import SeqNN

@main
struct Seqcurate: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "seqcurate",
        abstract: "Turn raw videos into SeqFace training data, train, and evaluate.",
        discussion: """
        Typical session:
          seqcurate probe assets/carphone_pristine.mp4
          seqcurate ingest video.mp4 more_videos/ --catalog seqcurate.db
          seqcurate import-identities casia/ --name casia
          seqcurate exclude --protocol lfw lfw_pairs.txt
          seqcurate stats
          seqcurate export --out lists/
          seqcurate train --identity-list lists/image_train_part1.txt --sequence-list lists/image_train_part2_seq.txt --out run/
          seqcurate eval lfw --pairs lfw_pairs.txt --features f.npy --keys keys.txt

        Errors: a failure is one line on standard error (seqcurate: …) and exit code \
        1; a usage mistake exits with 64. Commands that go on past bad files list \
        the failures at the end and exit with 1.


        """ + Renamed.helpText,
        version: version,
        subcommands: [
            ProbeCommand.self,
            FramesCommand.self, DetectCommand.self, AlignCommand.self, EmbedCommand.self,
            IngestCommand.self, QueueCommand.self, MergeCommand.self,
            ImportIdentitiesCommand.self,
            LossCommand.self, TrainCommand.self, FeaturesCommand.self, ImportCaffeCommand.self,
            EvalCommand.self,
            StatsCommand.self, TracksCommand.self, SequencesCommand.self, ExportCommand.self, ExcludeCommand.self, ReportCommand.self,
            BenchCommand.self,
        ]
    )

    /// OpenBLAS picks its kernels when it loads; re-exec with the right core type first if needed.
    /// Then parse and run, with every error a command throws reported in one place
    /// (`ErrorReport`): commands never print their own failure.
    static func main() {
        BLASRuntime.ensureOptimalKernels()
        var command: ParsableCommand
        do {
            command = try parseAsRoot(nil)
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            ErrorReport.exit(for: error)
        }
        BLASRuntime.exitSkippingLibraryShutdown(0)
    }
}
