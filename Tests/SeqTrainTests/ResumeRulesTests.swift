import XCTest
import SeqCore
import SeqTestSupport
@testable import SeqTrain

/// What a resumed run may change (`ResumeRules`), and flags over a config (`TrainOverrides`).
final class ResumeRulesTests: XCTestCase {
    /// A run as `train --network tiny --base-lr 0.01 --seed 3` starts it.
    private func savedRun() throws -> (TrainConfig, TrainRunInfo) {
        var config = TrainConfig()
        var flags = TrainOverrides()
        flags.network = .tiny
        flags.baseLR = 0.01
        flags.seed = 3
        flags.identityBatch = 4
        try flags.apply(to: &config)
        return (config, TrainRunInfo(identityList: "/data/id.txt", faceidNum: 3))
    }

    func testTheRunsOwnValuesAndTheChangeableSettingsAreAccepted() throws {
        let (saved, info) = try savedRun()
        var same = TrainOverrides()
        same.network = .tiny
        same.baseLR = 0.01
        same.seed = 3
        same.identityList = "/data/../data/id.txt"
        same.maxIter = 99
        same.snapshot = 7
        same.threads = 1
        XCTAssertEqual(try ResumeRules.refusedChanges(saved: saved, info: info, requested: same), [])
        XCTAssertEqual(try ResumeRules.refusedChanges(saved: saved, info: info, requested: TrainOverrides()), [])
    }

    func testEachChangedFlagIsNamedWithBothValues() throws {
        let (saved, info) = try savedRun()
        var changed = TrainOverrides()
        changed.baseLR = 0.1
        changed.margin = .cosface
        changed.network = .faceRes20net
        changed.faceidNum = 5
        let refused = try ResumeRules.refusedChanges(saved: saved, info: info, requested: changed)
        XCTAssertEqual(refused, ["--base-lr 0.1 differs from the run's 0.01", "--margin cosface differs from the run's sphereface",
                                 "--network face_res20net differs from the run's tiny", "--faceid-num 5 differs from the run's 3"])
        XCTAssertEqual(ResumeRules.refusal(Array(refused.prefix(1))),
                       "--base-lr 0.1 differs from the run's 0.01; only --max-iter, --snapshot, --threads and --root may change "
                       + "with --resume (start a new run in another --out folder to change the others)")
    }

    /// The head's backward rule changes the gradients, so a resumed run keeps it.
    func testTheHeadBackwardRuleCannotChangeOnResume() throws {
        let (saved, info) = try savedRun()
        XCTAssertEqual(saved.head.backward, .caffe)
        var same = TrainOverrides()
        same.headBackward = .caffe
        XCTAssertEqual(try ResumeRules.refusedChanges(saved: saved, info: info, requested: same), [])
        var changed = TrainOverrides()
        changed.headBackward = .exact
        XCTAssertEqual(try ResumeRules.refusedChanges(saved: saved, info: info, requested: changed),
                       ["--head-backward exact differs from the run's caffe"])
    }

    func testAConfigFileIsComparedAsAWhole() throws {
        let (saved, info) = try savedRun()
        var other = saved
        other.solver.momentum = 0.5
        other.solver.maxIter = 123  // may change: not counted
        let refused = try ResumeRules.refusedChanges(saved: saved, info: info, requested: TrainOverrides(), config: other, configName: "c.json")
        XCTAssertEqual(refused.count, 1)
        XCTAssertTrue(refused[0].hasPrefix("--config c.json differs from the run's settings in solver.momentum 0.5 (was 0.9"), refused[0])
    }

    func testPresetsAreRecognisedWhateverTheWidth() {
        var network = NetworkConfig.tiny
        network.width = 2
        network.inputSize = 48
        XCTAssertEqual(NetworkPreset.matching(network), .tiny)
        XCTAssertEqual(NetworkPreset.matching(.faceRes20), .faceRes20net)
        network.units = [2, 2, 2, 2]
        XCTAssertNil(NetworkPreset.matching(network))
    }

    func testRunInfoReadsRunJSON() throws {
        let dir = try TestFiles.tempDirectory("runinfo", removedAfter: self)
        XCTAssertEqual(try TrainRunInfo.load(run: dir), TrainRunInfo())
        let written = TrainingRunInfo(faceidNum: 4, identityImages: 40, identityList: "/a/id.txt", identityRoot: "/a",
                                      seqidNum: 0, sequenceImages: 0, sequenceList: nil, sequenceRoot: nil)
        try written.serialized().write(to: dir.appendingPathComponent("run.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try TrainRunInfo.load(run: dir), TrainRunInfo(identityList: "/a/id.txt", identityRoot: "/a", faceidNum: 4))
        // The contract's reader: a missing key is an error, not a silent fallback.
        try #"{"identity_list": "/a/id.txt", "faceid_num": 4}"#.write(to: dir.appendingPathComponent("run.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainRunInfo.load(run: dir))
        try "[1]".write(to: dir.appendingPathComponent("run.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainRunInfo.load(run: dir))
    }
}
