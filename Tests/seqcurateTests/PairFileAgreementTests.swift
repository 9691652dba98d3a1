import Foundation
import SeqCatalog
import SeqCore
import SeqEval
import SeqTestSupport
import XCTest

/// `exclude` (the leakage guard) and `eval` (the evaluator) read the same pair files with the
/// same reader, so every file one accepts the other accepts, and the reverse: they can never
/// disagree about who is in the test set.
final class PairFileAgreementTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("pair-agreement")
    }

    private func lines(_ fixture: String) throws -> [String] {
        try String(contentsOf: try TestFiles.fixture("protocols/\(fixture)"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Pair files, valid and not, each with the benchmark it is given as.
    private func variants() throws -> [(name: String, benchmark: Benchmark, text: String)] {
        let official = try lines("lfw_pairs.txt"), seqface = try lines("lfw_pairs_seqface.txt")
        let ytf = try lines("ytf_pairs_seqface.txt"), splits = try lines("ytf_splits.txt")
        // Fold 1 of LFW: 10 same and 10 different pairs, in each layout.
        let smallOfficial = ["1\t10"] + official[1...10] + official[301...310]
        let smallSeqFace = Array(seqface[0..<10] + seqface[300..<310])
        let smallYTF = Array(ytf[0..<10] + ytf[250..<260])
        return [
            ("lfw_pairs.txt", .lfw, official.joined(separator: "\n")),
            ("lfw_pairs_seqface.txt", .lfw, seqface.joined(separator: "\n")),
            ("ytf_pairs_seqface.txt", .ytf, ytf.joined(separator: "\n")),
            ("ytf_splits.txt", .ytf, splits.joined(separator: "\n")),
            ("commented.txt", .lfw, (["# pairs of fold 1"] + smallOfficial).joined(separator: "\n")),
            ("crlf.txt", .lfw, smallSeqFace.joined(separator: "\r\n")),
            ("label2.txt", .lfw, (smallSeqFace.dropLast() + [smallSeqFace.last!.replacingOccurrences(of: " 0", with: " 2")]).joined(separator: "\n")),
            ("noslash.txt", .ytf, (smallYTF + ["1 999 clip2 clip3 1"]).joined(separator: "\n")),
            ("short.txt", .lfw, (["2\t10"] + smallOfficial.dropFirst()).joined(separator: "\n")),
            ("otherbenchmark.txt", .lfw, smallYTF.joined(separator: "\n")),
            ("garbage.txt", .lfw, "this is not\na pair file\n"),
        ]
    }

    /// Features for every key the file names (frames of each video for YTF); one dummy key when
    /// the file cannot be read, so that only the pair file can make `eval` fail.
    private func writeFeatures(for url: URL, _ benchmark: Benchmark, name: String) throws -> (URL, URL) {
        var keys = ["x/1"]
        if let list = try? PairFileReader.read(url) {
            var seen = Set<String>()
            keys = list.pairs.flatMap { [$0.first, $0.second] }.filter { seen.insert($0).inserted }
                .map { list.benchmark == .lfw ? $0 : $0 + "/0.jpg" }
        }
        let dim = 4
        var rng = SystemRandomNumberGenerator()
        let values = (0..<(keys.count * dim)).map { _ in Float.random(in: -1...1, using: &rng) }
        let features = dir.appendingPathComponent("\(name).npy"), keyFile = dir.appendingPathComponent("\(name).keys.txt")
        try NPYArray<Float>(shape: [keys.count, dim], values: values).write(to: features)
        try (keys.joined(separator: "\n") + "\n").write(to: keyFile, atomically: true, encoding: .utf8)
        return (features, keyFile)
    }

    func testEvalAndExcludeAcceptTheSameFiles() throws {
        let db = dir.appendingPathComponent("seqcurate.db")
        try Catalog.open(at: db).close()
        var accepted = 0
        for v in try variants() {
            let url = dir.appendingPathComponent(v.name)
            try v.text.write(to: url, atomically: true, encoding: .utf8)
            let (features, keys) = try writeFeatures(for: url, v.benchmark, name: v.name)
            let exclude = try TestCLI.run(["exclude", "--protocol", v.benchmark.rawValue, url.path, "--catalog", db.path])
            let eval = try TestCLI.run(["eval", v.benchmark.rawValue, "--pairs", url.path, "--features", features.path, "--keys", keys.path])
            XCTAssertEqual(exclude.reason, .exit, "\(v.name): exclude killed by a signal")
            XCTAssertEqual(eval.reason, .exit, "\(v.name): eval killed by a signal")
            XCTAssertEqual(exclude.succeeded, eval.succeeded,
                           "\(v.name): exclude \(exclude.succeeded ? "accepts" : "refuses: \(exclude.err)"), eval \(eval.succeeded ? "accepts" : "refuses: \(eval.err)")")
            if exclude.succeeded { accepted += 1 } else {
                // A refusal names the pair file, in one line.
                for r in [exclude, eval] {
                    XCTAssertTrue(r.err.contains(url.path), "\(v.name): \(r.err)")
                }
            }
        }
        XCTAssertEqual(accepted, 6, "the four published files, the commented and the CRLF copy")
    }
}
