import Foundation
import SeqFuzz
import SeqTestSupport
import XCTest

/// Replays every committed fuzz seed and regression input (Tests/Fuzz/) through the same target
/// functions libFuzzer drives, without sanitizers: each must return or throw a one-line
/// `SeqError` naming the input, never trap. A regression input is one the fuzzer once crashed
/// on, so this is the test of each fix; see docs/reliability.md.
final class FuzzReplayTests: XCTestCase {
    static let fuzzRoot = TestFiles.repoRoot.appendingPathComponent("Tests/Fuzz")

    /// Files in `Tests/Fuzz/<kind>/<target>/`, sorted; none when the folder is absent.
    private func inputs(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let dir = Self.fuzzRoot.appendingPathComponent("\(kind)/\(target.rawValue)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { dir.appendingPathComponent($0) }
    }

    private func replay(_ kind: String, checkSeedNames: Bool) throws {
        var count = 0
        for target in FuzzTarget.allCases {
            let scratch = try TestFiles.tempDirectory("seqfuzz-replay", removedAfter: self)
            for url in inputs(kind, target) {
                let data = try Data(contentsOf: url)
                let outcome = target.run(data, scratch: scratch)
                count += 1
                let name = "\(kind)/\(target.rawValue)/\(url.lastPathComponent)"
                if let why = outcome.contractViolation(naming: target.inputPath(scratch: scratch)) {
                    XCTFail("\(name): \(why)")
                }
                // Seeds say what they are: "bad-*" must be refused, the rest accepted, so the
                // corpus keeps starting the fuzzer from both sides of each check.
                guard checkSeedNames else { continue }
                switch (url.lastPathComponent.hasPrefix("bad-"), outcome) {
                case (true, .accepted): XCTFail("\(name) is named bad- but was accepted")
                case (false, .refused), (false, .foreignError): XCTFail("\(name) should be accepted: \(outcome)")
                default: break
                }
            }
            let left = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []
            XCTAssertEqual(left, [], "\(target.rawValue) left files in its scratch folder")
        }
        if kind == "seeds" { XCTAssertGreaterThan(count, 0, "no seeds under \(Self.fuzzRoot.path)") }
    }

    func testSeedsAreAcceptedOrRefusedAsNamed() throws {
        try replay("seeds", checkSeedNames: true)
    }

    func testRegressionInputsReturnOrThrow() throws {
        try replay("regressions", checkSeedNames: false)
    }

    /// The sample media decode through the image and video targets (the fuzz seeds are cut
    /// from them), so the targets are known to reach the decoders.
    func testSampleMediaIsAccepted() throws {
        let scratch = try TestFiles.tempDirectory("seqfuzz-replay", removedAfter: self)
        for (target, asset) in [(FuzzTarget.image, "messi5.jpg"), (.video, "carphone_pristine.mp4"), (.video, "Megamind.avi")] {
            let data = try Data(contentsOf: try TestFiles.asset(asset))
            let outcome = target.run(data, scratch: scratch)
            guard case .accepted = outcome else { return XCTFail("\(asset): \(outcome)") }
        }
    }
}
