import XCTest
import SeqCore
import SeqTestSupport
@testable import SeqTrain

/// Config files: messages that name the key, repeated keys, and bounds that keep a typo from
/// aborting the process.
final class TrainConfigTests: XCTestCase {
    private func load(_ json: String) throws -> TrainConfig {
        let dir = try TestFiles.tempDirectory("seqconfig", removedAfter: self)
        let url = dir.appendingPathComponent("config.json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        return try TrainConfig.load(from: url)
    }

    private func assertRefused(_ json: String, _ expected: String, line: Int? = nil,
                               file: StaticString = #filePath, fileLine: UInt = #line) {
        XCTAssertThrowsError(try load(json), file: file, line: fileLine) { e in
            guard let e = e as? SeqError else { return XCTFail("not a SeqError: \(e)", file: file, line: fileLine) }
            XCTAssertTrue(e.reason.contains(expected), "\(e)", file: file, line: fileLine)
            XCTAssertTrue(e.file?.hasSuffix("config.json") == true, "\(e)", file: file, line: fileLine)
            if let line { XCTAssertEqual(e.line, line, "\(e)", file: file, line: fileLine) }
        }
    }

    /// `"max_iter": 2.5` was reported as "not valid JSON".
    func testNumbersOfTheWrongKindNameTheKey() {
        assertRefused(#"{"solver": {"max_iter": 2.5}}"#, "key solver.max_iter must be an integer, got 2.5")
        assertRefused(#"{"data": {"identity_batch": 1e30}}"#, "key data.identity_batch must be an integer (out of range)")
        assertRefused(#"{"solver": {"seed": -3}}"#, "key solver.seed must be a non-negative integer, got -3")
        assertRefused(#"{"solver": {"stepvalues": [10, 20.5]}}"#, "key solver.stepvalues must be a list of integers")
        assertRefused(#"{"solver": {"base_lr": 1e50}}"#, "key solver.base_lr is out of range for a 32-bit float")
        assertRefused(#"{"solver": {"max_iter": "10"}}"#, "solver.max_iter")
        assertRefused(#"{"solver": {"max_iter": 10"#, "not valid JSON")
        assertRefused("[1, 2]", "the config must be a JSON object")
    }

    /// The decoder silently kept the last of two values for one key.
    func testRepeatedKeysAreRefusedNamingKeyAndLine() throws {
        assertRefused("{\"solver\": {\"base_lr\": 0.1,\n  \"base_lr\": 0.2}}", "key \"base_lr\" appears twice in solver", line: 2)
        assertRefused(#"{"head": {"kind": "cosface"}, "dsa": {}, "head": {"kind": "arcface"}}"#, "key \"head\" appears twice in config", line: 1)
        // Escapes do not hide a repeat.
        assertRefused(#"{"data": {"threads": 1, "thr\u0065ads": 2}}"#, "key \"threads\" appears twice in data")
        // The same key in different objects, and keys inside strings and lists, are fine.
        let config = try load(#"{"head": {"kind": "sphereface", "gamma": 0.1}, "solver": {"gamma": 0.5, "lr_policy": "multistep", "stepvalues": [1, 2]}, "network": {"channels": [8, 8], "units": [0, 0], "input_size": 16}}"#)
        XCTAssertEqual(config.head.gamma, 0.1)
        XCTAssertEqual(config.solver.gamma, 0.5)
        // The parser that refuses repeated keys finds none here.
        XCTAssertNoThrow(try JSONValue.parse(Data(#"{"a": "x, \"a\": 1", "b": [{"a": 1}, {"a": 2}]}"#.utf8)))
    }

    /// Settings come from each section's `init()` unless given; null counts as not given.
    func testMissingAndNullSettingsTakeTheDefaults() throws {
        XCTAssertEqual(try load("{}"), TrainConfig())
        XCTAssertEqual(try load(#"{"solver": null, "data": {"threads": null}}"#), TrainConfig())
        let cosface = try load(#"{"head": {"kind": "cosface"}, "dsa": {"lambda": 0.25}, "data": {"mirror": false}}"#)
        XCTAssertEqual(cosface.head, MarginConfig(kind: .cosface))
        XCTAssertEqual(cosface.dsa.lambda, 0.25)
        XCTAssertEqual(cosface.dsa.alpha, DSASettings().alpha)
        XCTAssertFalse(cosface.data.mirror)
        XCTAssertEqual(cosface.solver, SolverConfig())
    }

    /// Sizes that would trap (Int(inf) in the width) or abort in the allocator are errors.
    func testSizesBeyondTheLimitsAreErrors() {
        assertRefused(#"{"network": {"width": 1e300}}"#, "width must be positive and keep every stage at most")
        assertRefused(#"{"network": {"channels": [64, 128, 256, 9999999]}}"#, "channels must be in 1…")
        assertRefused(#"{"network": {"input_size": 100000}}"#, "input_size must be at most")
        assertRefused(#"{"network": {"feature_dim": 100000000}}"#, "feature_dim must be in 1…")
        assertRefused(#"{"data": {"identity_batch": 100000000}}"#, "identity_batch must be in 1…")
        assertRefused(#"{"data": {"threads": 100000}}"#, "threads must be in 1…")
        assertRefused(#"{"solver": {"max_iter": 9223372036854775807}}"#, "max_iter must be in 1…")
        assertRefused(#"{"dsa": {"alpha": 0.5}}"#, "alpha must be >= 1")
        var huge = NetworkConfig()
        huge.featureDim = TrainLimits.maxChannels
        XCTAssertThrowsError(try TrainLimits.checkMemory(network: huge, batch: 32, classes: TrainLimits.maxClasses, agents: 0)) { e in
            XCTAssertTrue("\(e)".contains("training needs about"), "\(e)")
        }
        var wide = NetworkConfig()
        wide.inputSize = TrainLimits.maxInputSize
        XCTAssertThrowsError(try TrainLimits.checkMemory(network: wide, batch: TrainLimits.maxBatch * 2, classes: 10, agents: 0))
        // The published setup (64 images of 128x128, 10k classes) fits anywhere training is sensible.
        let published = TrainLimits.memoryEstimate(network: NetworkConfig(), batch: 64, classes: 10_000, agents: 20_000)
        XCTAssertLessThan(published.parameters + published.activations + published.head, 8 * 1_073_741_824.0)
        XCTAssertNoThrow(try TrainLimits.checkMemory(network: .tiny, batch: 64, classes: 1000, agents: 2000))
    }

    func testDifferencesNameTheKeys() {
        var a = TrainConfig(), b = TrainConfig()
        XCTAssertEqual(a.differences(from: b), [])
        a.solver.baseLR = 0.5
        b.network.channels = [8, 8, 8, 8]
        let diffs = a.differences(from: b)
        XCTAssertEqual(diffs.count, 2, "\(diffs)")
        XCTAssertTrue(diffs[0].hasPrefix("network.channels [64,128,256,512] (was [8,8,8,8])"), "\(diffs)")
        XCTAssertTrue(diffs[1].hasPrefix("solver.base_lr 0.5 (was 0.01"), "\(diffs)")
    }

    /// A feature batch no machine can hold is refused before the network is built.
    func testFeatureExtractionBeyondMemoryIsAnError() throws {
        let run = try TestFiles.tempDirectory("seqfeatures", removedAfter: self)
        try #"{"network": {"input_size": 1024}}"#.write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try FeatureExtractor.load(run: run, batchSize: TrainLimits.maxBatch)) { e in
            XCTAssertTrue("\(e)".contains("feature extraction needs about"), "\(e)")
        }
    }
}
