// swift-tools-version:5.9
import Foundation
import PackageDescription

// Dependencies point one way: C libraries and SeqCore at the bottom, the CLI on top.
//
//   CFFmpeg, CTurboJPEG, COpenBLAS, CSQLite, CLibPQ (system libraries)
//   SeqCore   errors, .npy, progress, atomic files
//   SeqMedia  FFmpeg decode, image I/O              -> SeqCore, CFFmpeg, CTurboJPEG
//   SeqNN     tensors and layers on BLAS            -> SeqCore, COpenBLAS
//   SeqDetect MTCNN, alignment                      -> SeqNN, SeqMedia
//   SeqTrack  shots, tracks, quality, sequences     -> SeqDetect
//   SeqEmbed  dlib's face descriptor ResNet, chips   -> SeqNN, SeqMedia, SeqDetect
//   SeqCatalog SQLite or PostgreSQL catalog         -> SeqCore, CSQLite, CLibPQ
//   SeqTrain  network, heads, losses, solver        -> SeqNN, SeqMedia
//   SeqEval   protocols, metrics                    -> SeqCore
//   SeqIngest videos -> catalog pipeline, identity import -> SeqMedia, SeqDetect, SeqTrack, SeqCatalog
//   SeqModelEval a trained run (or dlib's embedding) over dataset images (eval model mode) -> SeqDetect, SeqTrain, SeqEval, SeqEmbed
//   SeqCaffe  Caffe prototxt/caffemodel import -> SeqNN, SeqTrain, SwiftProtobuf
//   SeqReport static HTML report                    -> SeqCatalog, SeqMedia (image file names)
//   seqcurate thin commands                         -> all of the above
//   SeqTestSupport shared test helpers (tests only) -> XCTest
//   SeqFuzz, seqfuzz  fuzz targets and their driver  -> SeqCore, SeqNN, SeqMedia, SeqEval, SeqTrain
// The numeric modules are optimised in debug builds too, so `swift test` runs real video and
// real networks in seconds rather than minutes, and compiled for the build machine's CPU when it
// is an x86-64 with AVX2 and FMA (LLVM's `haswell`, the x86-64-v3 level): the compiler then
// vectorises their kernels 8 floats wide. Results do not change (Swift forms no fused
// multiply-add from separate operations; ingest's tracks and embeddings were compared byte for
// byte); ingest of the 720p Megamind sample runs about 12% faster (docs/performance.md).
// Two kernels ask for more by name: `SEQCURATE_FMA` lets MTCNN's direct convolutions
// (SeqDetect's DirectConvolution) fuse their multiply-adds, as OpenBLAS's products do, and where
// the CPU has AVX-512 (F, CD, BW, DQ, VL) SeqDetect alone is built for `skylake-avx512` with
// `SEQCURATE_AVX512`, so those convolutions run 16 floats wide.
// `SEQCURATE_PORTABLE=1 swift build ...` compiles for baseline x86-64 instead: a binary to copy
// to machines without AVX2.
/// The build machine's CPU flags (x86-64 Linux; empty elsewhere or with SEQCURATE_PORTABLE=1).
let cpuFlags: Set<String> = {
    #if arch(x86_64)
    if ProcessInfo.processInfo.environment["SEQCURATE_PORTABLE"] == "1" { return [] }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    return Set(line.split(separator: " ").map(String.init))
    #else
    return []
    #endif
}()
let haswell = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "popcnt", "sse4_2", "xsave"].allSatisfy(cpuFlags.contains)
let avx512 = haswell && ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(cpuFlags.contains)
let nativeFlags: [String] = haswell ? ["-target-cpu", "haswell", "-DSEQCURATE_FMA"] : []
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]
    + (nativeFlags.isEmpty ? [] : [.unsafeFlags(nativeFlags)])
/// SeqDetect: as `optimised`, 16 floats wide where the CPU has AVX-512.
let detectSettings: [SwiftSetting] = avx512
    ? [.unsafeFlags(["-O"], .when(configuration: .debug)), .unsafeFlags(["-target-cpu", "skylake-avx512", "-DSEQCURATE_FMA", "-DSEQCURATE_AVX512"])]
    : optimised

let package = Package(
    name: "seqcurate",
    products: [
        .executable(name: "seqcurate", targets: ["seqcurate"]),
        .executable(name: "seqfuzz", targets: ["seqfuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only SeqCaffe parses protobuf (Caffe's files); its generated code is committed.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "SeqCore", exclude: ["README.md"]),
        .target(name: "SeqMedia", dependencies: ["SeqCore", "CFFmpeg", "CTurboJPEG"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqNN", dependencies: ["SeqCore", "COpenBLAS"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqDetect", dependencies: ["SeqCore", "SeqNN", "SeqMedia"], exclude: ["README.md"], swiftSettings: detectSettings),
        .target(name: "SeqEmbed", dependencies: ["SeqCore", "SeqNN", "SeqMedia", "SeqDetect"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqTrack", dependencies: ["SeqCore", "SeqMedia", "SeqDetect"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqCatalog", dependencies: ["SeqCore", "CSQLite", "CLibPQ"], exclude: ["README.md"]),
        .target(name: "SeqTrain", dependencies: ["SeqCore", "SeqNN", "SeqMedia"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqEval", dependencies: ["SeqCore"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqIngest", dependencies: ["SeqCore", "SeqMedia", "SeqDetect", "SeqTrack", "SeqCatalog"], exclude: ["README.md"], swiftSettings: optimised),
        .target(name: "SeqModelEval", dependencies: ["SeqCore", "SeqMedia", "SeqDetect", "SeqTrain", "SeqEval", "SeqEmbed"], exclude: ["README.md"], swiftSettings: optimised),
        // Caffe files are parsed here only, so no other module depends on SwiftProtobuf.
        .target(name: "SeqCaffe", dependencies: ["SeqCore", "SeqNN", "SeqTrain", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["README.md"]),
        .target(name: "SeqReport", dependencies: ["SeqCore", "SeqCatalog", "SeqMedia"], exclude: ["README.md"]),
        // Shared test helpers (repository paths, assets, temporary folders); only tests use it.
        .target(name: "SeqTestSupport", dependencies: ["SeqCore"], path: "Sources/SeqTestSupport", exclude: ["README.md"]),
        .executableTarget(name: "seqcurate", dependencies: [
            "SeqCore", "SeqMedia", "SeqNN", "SeqDetect", "SeqTrack", "SeqCatalog", "SeqTrain", "SeqEval",
            "SeqIngest", "SeqModelEval", "SeqReport", "SeqCaffe", "SeqEmbed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], exclude: ["README.md"]),
        // Fuzzing (docs/reliability.md): the parsers as functions of bytes, the seqfuzz driver
        // (libFuzzer when built with -DFUZZING by tools/fuzz.sh, else a replayer) and the test
        // that replays every committed seed and regression input.
        .target(name: "SeqFuzz", dependencies: ["SeqCore", "SeqNN", "SeqMedia", "SeqEval", "SeqTrain"]),
        .executableTarget(name: "seqfuzz", dependencies: ["SeqFuzz"]),
        .testTarget(name: "SeqFuzzTests", dependencies: ["SeqFuzz", "SeqTestSupport"]),
        .testTarget(name: "SeqCoreTests", dependencies: ["SeqCore", "SeqTestSupport"]),
        .testTarget(name: "SeqMediaTests", dependencies: ["SeqMedia", "SeqTestSupport"]),
        .testTarget(name: "SeqNNTests", dependencies: ["SeqNN", "SeqTestSupport"]),
        .testTarget(name: "SeqDetectTests", dependencies: ["SeqDetect", "SeqTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "SeqEmbedTests", dependencies: ["SeqEmbed", "SeqTestSupport"]),
        .testTarget(name: "SeqTrackTests", dependencies: ["SeqTrack", "SeqTestSupport"]),
        .testTarget(name: "SeqCatalogTests", dependencies: ["SeqCatalog", "SeqTestSupport"]),
        .testTarget(name: "SeqTrainTests", dependencies: ["SeqTrain", "SeqTestSupport"]),
        .testTarget(name: "SeqEvalTests", dependencies: ["SeqEval", "SeqTestSupport"]),
        .testTarget(name: "SeqIngestTests", dependencies: ["SeqIngest", "SeqTestSupport"]),
        .testTarget(name: "SeqModelEvalTests", dependencies: ["SeqModelEval", "SeqTestSupport"]),
        .testTarget(name: "SeqCaffeTests", dependencies: ["SeqCaffe", "SeqTestSupport"]),
        .testTarget(name: "SeqReportTests", dependencies: ["SeqReport", "SeqTestSupport"]),
        .testTarget(name: "seqcurateTests", dependencies: ["seqcurate", "SeqTestSupport"]),
    ]
)
