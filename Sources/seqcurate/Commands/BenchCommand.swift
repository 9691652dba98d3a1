import ArgumentParser
import Foundation
import SeqCore
import SeqEmbed
import SeqMedia
import SeqNN

/// `seqcurate bench …`: micro-benchmarks of the compute core, printed as JSON.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of the numeric core.",
        discussion: """
        Examples:
          seqcurate bench sgemm --size 1024 --repeat 20
          seqcurate bench embed Tests/Fixtures/embedding/*_chip.png --repeat 20
        """,
        subcommands: [Sgemm.self, Embed.self]
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

    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "embed",
            abstract: "Time the dlib face embedding on 150x150 chips (chips/s as JSON).",
            discussion: """
            Reads the chips once, embeds them once to warm up, then --repeat times in batches of \
            --batch-size (the chips are repeated to fill one batch), and prints one JSON line with \
            the median and best chips/s over the repeats and the OpenBLAS core in use. Weights \
            loading and image decoding are not timed. tools/bench_embed.sh compares it with dlib.

            Examples:
              seqcurate bench embed Tests/Fixtures/embedding/*_chip.png
              seqcurate bench embed --repeat 5 --batch-size 64 chips/*.png
            """
        )

        @Argument(help: "150x150 RGB face chips (PNG, JPEG, BMP).") var chips: [String]
        @Option(name: .customLong("repeat"), help: "Timed passes over the chips (after one warm-up).") var repeats = 10
        @Option(help: "Chips per forward pass; the chips are repeated to fill one batch at least.") var batchSize = 32
        @Option(name: .customLong("embedding-weights"), help: "dlib face embedding weights (default: found as for embed).") var embeddingWeights: String?

        func validate() throws {
            guard repeats > 0 else { throw ValidationError("--repeat must be positive") }
            guard (1...1024).contains(batchSize) else { throw ValidationError("--batch-size must be in 1…1024, got \(batchSize)") }
        }

        func run() throws {
            let embedder = try FaceEmbedder(weights: WeightsLocator.dlibFace(embeddingWeights))
            embedder.batchSize = batchSize
            let images = try chips.map { try ImageIO.read(URL(fileURLWithPath: $0)) }
            let work = (0..<max(batchSize, images.count)).map { images[$0 % images.count] }
            _ = try embedder.embed(work)
            var rates: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try embedder.embed(work)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                rates.append(Double(work.count) / seconds)
            }
            rates.sort()
            let line = JSONValue.object([
                ("chips", .int(work.count)), ("batch_size", .int(batchSize)), ("repeats", .int(repeats)),
                ("chips_per_second_median", .fixed(rates[rates.count / 2], decimals: 2)),
                ("chips_per_second_best", .fixed(rates.last!, decimals: 2)),
                ("blas_core", .string(BLASRuntime.coreName)), ("blas_threads", .int(BLASRuntime.threads)),
            ])
            print(line.serialized(.compact))
        }
    }
}
