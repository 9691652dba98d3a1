import ArgumentParser
import Foundation
import SeqCore
import SeqNN

/// `seqcurate bench …`: micro-benchmarks of the compute core, printed as JSON.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of the numeric core.",
        discussion: """
        Examples:
          seqcurate bench sgemm --size 1024 --repeat 20
        """,
        subcommands: [Sgemm.self]
    )

    struct Sgemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sgemm",
            abstract: "Time OpenBLAS single-precision matrix products (GFLOP/s as JSON).",
            discussion: """
            Multiplies two random N x N float32 matrices with cblas_sgemm and prints one JSON line with the best and median GFLOP/s and the OpenBLAS core in use.

            Examples:
              seqcurate bench sgemm
              seqcurate bench sgemm --size 2048 --repeat 5
            """
        )

        @Option(help: "Matrix side N.")
        var size = 1024

        @Option(name: .customLong("repeat"), help: "Timed products (after one warm-up).")
        var repeats = 20

        func validate() throws {
            guard size > 0, size <= 16384 else { throw ValidationError("--size must be in 1...16384") }
            guard repeats > 0 else { throw ValidationError("--repeat must be positive") }
        }

        func run() throws {
            let result = SgemmBenchmark.run(size: size, repeats: repeats)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}
