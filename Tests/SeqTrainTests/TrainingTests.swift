import XCTest
import SeqCore
import SeqNN
@testable import SeqTrain

final class TrainingTests: XCTestCase {
    private var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("seqtrain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    private func smallConfig(iterations: Int, sequenceBatch: Int) -> TrainConfig {
        var c = TrainConfig()
        c.network = .tiny
        c.head = MarginConfig(kind: .cosface, m: 0.2, scale: 16)
        c.solver.baseLR = 0.01
        c.solver.maxIter = iterations
        c.solver.lrPolicy = .fixed
        c.solver.snapshot = 0
        c.solver.dsaWeight = 0.04
        c.dsa.dropoutRatio = 0.5
        c.data.identityBatch = 16
        c.data.sequenceBatch = sequenceBatch
        c.data.imageSize = 36
        return c
    }

    func testIdentityTrainingLearnsAndGeneralises() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let train = try gen.writeList("identity.txt", folder: "id", classes: 12, perClass: 8, label: { $0 })
        let heldOut = try gen.writeList("heldout.txt", folder: "test", classes: 8, perClass: 5, label: { $0 })
        let config = smallConfig(iterations: 120, sequenceBatch: 0)
        let trainer = try Trainer(config: config, identity: try TrainingList(file: train, kind: .identity), sequence: nil,
                                  options: .init(runDir: work.appendingPathComponent("run"), quiet: true))
        let test = try TrainingList(file: heldOut, kind: .identity)
        let extractor = FeatureExtractor(network: trainer.network, imageSize: 36)
        let before = verificationAccuracy(features: try extractor.extract(test.entries.map { test.url(of: $0) }),
                                          dim: config.network.featureDim, classes: test.entries.map { Int($0.label) })
        let records = try trainer.run()
        XCTAssertEqual(records.count, 120)
        let first = records.prefix(10).map(\.lsro).reduce(0, +) / 10
        let last = records.suffix(10).map(\.lsro).reduce(0, +) / 10
        XCTAssertLessThan(last, 0.6 * first, "identity loss must fall clearly: \(first) -> \(last)")
        let after = verificationAccuracy(features: try extractor.extract(test.entries.map { test.url(of: $0) }, flip: true),
                                         dim: config.network.featureDim, classes: test.entries.map { Int($0.label) })
        print("verification on held-out classes: before \(before), after \(after); lsro \(first) -> \(last)")
        XCTAssertGreaterThan(after, 0.8, "held-out verification must beat chance (0.5) widely")
        XCTAssertGreaterThan(after, before, "training must improve held-out verification")
        // The run folder has everything a user needs.
        let run = work.appendingPathComponent("run")
        for f in ["config.json", "run.json", "metrics.jsonl", "checkpoint.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(f).path), f)
        }
        let lines = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 120)
    }

    func testSequenceDataWithDSARunsAndBothTermsFall() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try gen.writeList("identity.txt", folder: "id", classes: 8, perClass: 6, label: { $0 })
        let seqs = try gen.writeList("sequence.txt", folder: "seq", classes: 10, perClass: 5, label: { -($0 + 1) })
        let config = smallConfig(iterations: 80, sequenceBatch: 8)
        let trainer = try Trainer(config: config, identity: try TrainingList(file: ids, kind: .identity),
                                  sequence: try TrainingList(file: seqs, kind: .sequence),
                                  options: .init(runDir: work.appendingPathComponent("run"), quiet: true))
        XCTAssertEqual(trainer.sequenceIDCount, 10)
        XCTAssertEqual(trainer.agents?.value.shape, [18, config.network.featureDim])
        XCTAssertEqual(trainer.agents?.decayMult, 0)
        let records = try trainer.run()
        let dsa = records.compactMap(\.dsa)
        XCTAssertEqual(dsa.count, 80)
        XCTAssertTrue(dsa.allSatisfy { $0.isFinite } && records.allSatisfy { $0.lsro.isFinite })
        let mean = { (v: ArraySlice<Float>) in v.reduce(0, +) / Float(v.count) }
        print("dsa \(mean(dsa.prefix(10))) -> \(mean(dsa.suffix(10))); lsro \(mean(records.prefix(10).map(\.lsro)[...])) -> \(mean(records.suffix(10).map(\.lsro)[...]))")
        XCTAssertLessThan(mean(dsa.suffix(10)), mean(dsa.prefix(10)))
        XCTAssertLessThan(mean(records.suffix(10).map(\.lsro)[...]), mean(records.prefix(10).map(\.lsro)[...]))
    }

    /// The default (published) head: SphereFace, m 4, lambda 5, s 32, with Caffe's backward rule,
    /// on the demo-like setup (tiny network, identity + sequence batches, DSA). The loss falls and
    /// stays finite, and the class-weight rows stay at unit norm through training (Caffe
    /// rewrites them in place every forward; a normalised copy let them drift to norms 1.4-2.2).
    func testDefaultSphereFaceHeadLearnsAndKeepsUnitClassWeights() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try gen.writeList("identity.txt", folder: "id", classes: 10, perClass: 8, label: { $0 })
        let seqs = try gen.writeList("sequence.txt", folder: "seq", classes: 12, perClass: 5, label: { -($0 + 1) })
        var config = smallConfig(iterations: 100, sequenceBatch: 8)
        config.head = TrainConfig().head
        XCTAssertEqual(config.head, MarginConfig(kind: .sphereface, m: 4, scale: 32, lambdaBase: 5, gamma: 0.12, power: 1,
                                                 lambdaMin: 5, backward: .caffe))
        let trainer = try Trainer(config: config, identity: try TrainingList(file: ids, kind: .identity),
                                  sequence: try TrainingList(file: seqs, kind: .sequence),
                                  options: .init(runDir: work.appendingPathComponent("run"), quiet: true))
        let head = trainer.head, d = config.network.featureDim
        func rowNorms() -> [Float] {
            (0..<head.classes).map { r in
                head.weight.value.data[(r * d)..<((r + 1) * d)].reduce(0) { $0 + $1 * $1 }.squareRoot()
            }
        }
        let initial = rowNorms()
        XCTAssertGreaterThan(initial.map { abs($0 - 1) }.max()!, 0.1, "Xavier rows are not unit vectors to begin with")
        var records: [Trainer.Record] = []
        var drift: Float = 0
        for iteration in 0..<config.solver.maxIter {
            records.append(try trainer.step(try trainer.loader.batch(at: iteration, threads: 2)))
            // After the update, before the next forward rewrites them.
            drift = max(drift, rowNorms().map { abs($0 - 1) }.max()!)
        }
        XCTAssertTrue(records.allSatisfy { $0.lsro.isFinite && ($0.dsa?.isFinite ?? false) })
        let mean = { (v: [Float]) in v.reduce(0, +) / Float(v.count) }
        let first = mean(records.prefix(10).map(\.lsro)), last = mean(records.suffix(10).map(\.lsro))
        print("sphereface (caffe rule): lsro \(first) -> \(last); largest |row norm - 1| after an update \(drift)")
        XCTAssertLessThan(last, 0.8 * first, "identity loss must fall: \(first) -> \(last)")
        // Each update moves a row off the unit sphere by one step (lr x its gradient); the next
        // forward puts it back, so the deviation never accumulates.
        XCTAssertLessThan(drift, 0.15, "rows stay at unit norm through training")
        _ = head.forward(trainer.network.forward(try trainer.loader.batch(at: 0, threads: 2).images),
                         labels: try trainer.loader.batch(at: 0, threads: 2).labels)
        for n in rowNorms() { XCTAssertEqual(n, 1, accuracy: 1e-5) }
    }

    func testResumeReproducesTheUninterruptedLossSequence() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try TrainingList(file: try gen.writeList("identity.txt", folder: "id", classes: 5, perClass: 4, label: { $0 }), kind: .identity)
        let seqs = try TrainingList(file: try gen.writeList("sequence.txt", folder: "seq", classes: 4, perClass: 3, label: { -($0 + 1) }), kind: .sequence)
        var config = smallConfig(iterations: 12, sequenceBatch: 4)
        config.data.identityBatch = 6
        config.solver.snapshot = 4
        let whole = try Trainer(config: config, identity: ids, sequence: seqs,
                                options: .init(runDir: work.appendingPathComponent("whole"), quiet: true)).run()
        let runB = work.appendingPathComponent("split")
        let part1 = try Trainer(config: config, identity: ids, sequence: seqs, options: .init(runDir: runB, quiet: true, stopAfter: 7)).run()
        XCTAssertEqual(part1.count, 7)
        XCTAssertThrowsError(try Trainer(config: config, identity: ids, sequence: seqs, options: .init(runDir: runB, quiet: true)),
                             "starting over an existing run must be refused")
        let resumed = try Trainer(config: config, identity: ids, sequence: seqs, options: .init(runDir: runB, resume: true, quiet: true))
        XCTAssertEqual(resumed.iteration, 7)
        let part2 = try resumed.run()
        let split = part1 + part2
        XCTAssertEqual(split.map(\.iter), whole.map(\.iter))
        for (a, b) in zip(split, whole) {
            XCTAssertEqual(a.lsro, b.lsro, accuracy: 1e-5 * max(1, abs(b.lsro)), "iteration \(a.iter)")
            XCTAssertEqual(a.dsa ?? -1, b.dsa ?? -1, accuracy: 1e-5 * max(1, abs(b.dsa ?? 1)), "iteration \(a.iter)")
        }
        let metrics = try String(contentsOf: runB.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 12)
        // A longer max_iter may continue a finished run; other changes may not.
        var longer = config
        longer.solver.maxIter = 14
        let extended = try Trainer(config: longer, identity: ids, sequence: seqs, options: .init(runDir: runB, resume: true, quiet: true)).run()
        XCTAssertEqual(extended.map(\.iter), [13, 14])
        var other = longer
        other.solver.baseLR = 0.02
        XCTAssertThrowsError(try Trainer(config: other, identity: ids, sequence: seqs, options: .init(runDir: runB, resume: true, quiet: true))) { e in
            XCTAssertTrue("\(e)".contains("solver.base_lr 0.02"), "the message names the setting: \(e)")
        }
    }

    func testCorruptCheckpointIsRefused() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try TrainingList(file: try gen.writeList("identity.txt", folder: "id", classes: 3, perClass: 3, label: { $0 }), kind: .identity)
        var config = smallConfig(iterations: 2, sequenceBatch: 0)
        config.data.identityBatch = 4
        let run = work.appendingPathComponent("run")
        try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, quiet: true)).run()
        let state = try XCTUnwrap(Checkpoint.latest(run: run))
        let weights = Checkpoint.folder(run).appendingPathComponent(state.weightsFile)
        // Truncated: the size check refuses it.
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 100).write(to: weights)
        XCTAssertThrowsError(try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, resume: true, quiet: true))) { e in
            XCTAssertTrue("\(e)".contains("corrupt checkpoint"), "\(e)")
        }
        XCTAssertThrowsError(try FeatureExtractor.load(run: run))
        // Same size, broken header: the header check refuses it.
        var broken = data
        broken.replaceSubrange(8..<16, with: Data(repeating: 0x21, count: 8))
        try broken.write(to: weights)
        XCTAssertThrowsError(try FeatureExtractor.load(run: run)) { e in
            XCTAssertTrue("\(e)".contains("corrupt checkpoint"), "\(e)")
        }
        try data.write(to: weights)
        XCTAssertNoThrow(try FeatureExtractor.load(run: run))
    }

    func testDivergenceStopsNamingTheIteration() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try TrainingList(file: try gen.writeList("identity.txt", folder: "id", classes: 3, perClass: 3, label: { $0 }), kind: .identity)
        var config = smallConfig(iterations: 50, sequenceBatch: 0)
        config.data.identityBatch = 4
        config.solver.baseLR = 1e30
        config.solver.snapshot = 1
        let run = work.appendingPathComponent("run")
        XCTAssertThrowsError(try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, quiet: true)).run()) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("iteration "), text)
            XCTAssertTrue(text.contains("NaN") || text.contains("infinite"), text)
            XCTAssertTrue(text.contains("last good checkpoint"), text)
        }
    }

    /// With the default SphereFace head a diverging run trapped converting a NaN angle to Int;
    /// it must stop with the documented message instead, at any learning rate.
    func testSphereFaceDivergenceStopsWithAMessage() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try TrainingList(file: try gen.writeList("identity.txt", folder: "id", classes: 3, perClass: 3, label: { $0 }), kind: .identity)
        for lr: Float in [1e30] {
            var config = smallConfig(iterations: 60, sequenceBatch: 0)
            config.head = MarginConfig(kind: .sphereface)
            config.data.identityBatch = 4
            config.solver.baseLR = lr
            let run = work.appendingPathComponent("run-\(lr)")
            XCTAssertThrowsError(try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, quiet: true)).run()) { e in
                guard let e = e as? SeqError else { return XCTFail("not a SeqError: \(e)") }
                XCTAssertTrue(e.reason.hasPrefix("iteration "), "\(e)")
                XCTAssertTrue(e.reason.contains("NaN") || e.reason.contains("infinite"), "\(e)")
                XCTAssertTrue(e.reason.contains("training stopped"), "\(e)")
            }
        }
    }

    /// A damaged newest checkpoint used to block --resume; the run continues from the newest
    /// one that loads and says which it skipped.
    func testResumeFallsBackToTheNewestGoodCheckpoint() throws {
        var gen = try SyntheticFaces(root: work.appendingPathComponent("data"))
        let ids = try TrainingList(file: try gen.writeList("identity.txt", folder: "id", classes: 3, perClass: 3, label: { $0 }), kind: .identity)
        var config = smallConfig(iterations: 6, sequenceBatch: 0)
        config.data.identityBatch = 4
        config.solver.snapshot = 2
        let run = work.appendingPathComponent("run")
        try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, quiet: true)).run()
        let folder = Checkpoint.folder(run)
        let newest = folder.appendingPathComponent("iter_00000006.safetensors")
        try Data("junk".utf8).write(to: newest)
        config.solver.maxIter = 8
        let resumed = try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, resume: true, quiet: true))
        XCTAssertEqual(resumed.iteration, 4)
        XCTAssertEqual(resumed.resumeNotes.count, 2, "\(resumed.resumeNotes)")
        XCTAssertTrue(resumed.resumeNotes[0].contains(newest.path) && resumed.resumeNotes[0].contains("corrupt checkpoint"), "\(resumed.resumeNotes)")
        XCTAssertTrue(resumed.resumeNotes[1].contains("iteration 4") && resumed.resumeNotes[1].contains("iter_00000004.safetensors"),
                      "\(resumed.resumeNotes)")
        XCTAssertEqual(try resumed.run().map(\.iter), [5, 6, 7, 8])
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(metrics.count, 8, "metrics after the checkpoint used are replaced, not repeated")
        // A broken pointer does not matter while the solver files are there.
        try Data("{".utf8).write(to: Checkpoint.pointer(run))
        let again = try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, resume: true, quiet: true))
        XCTAssertEqual(again.iteration, 8)
        // A solver JSON that decodes but holds an impossible iteration (the batch arithmetic
        // would trap on it) or a path outside checkpoints/ is skipped like a damaged file.
        let newestState = folder.appendingPathComponent("iter_00000008.solver.json")
        let saved = try Data(contentsOf: newestState)
        for (key, value) in [("\"iteration\" : 8", "\"iteration\" : -8"), ("\"iteration\" : 8", "\"iteration\" : 9223372036854775807"),
                             ("\"weights_file\" : \"iter_00000008.safetensors\"", "\"weights_file\" : \"..\\/..\\/run.json\"")] {
            let text = String(decoding: saved, as: UTF8.self)
            XCTAssertTrue(text.contains(key), text)
            try Data(text.replacingOccurrences(of: key, with: value).utf8).write(to: newestState)
            try Data(text.replacingOccurrences(of: key, with: value).utf8).write(to: Checkpoint.pointer(run))
            let fallback = try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, resume: true, quiet: true))
            XCTAssertEqual(fallback.iteration, 6, "\(value)")
            XCTAssertTrue(fallback.resumeNotes.first?.contains("is out of range") == true
                          || fallback.resumeNotes.first?.contains("is not a file in checkpoints/") == true, "\(fallback.resumeNotes)")
        }
        try saved.write(to: newestState)
        try saved.write(to: Checkpoint.pointer(run))
        // When nothing loads, one line says so and why the newest was refused.
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".safetensors") {
            try Data("junk".utf8).write(to: folder.appendingPathComponent(name))
        }
        XCTAssertThrowsError(try Trainer(config: config, identity: ids, sequence: nil, options: .init(runDir: run, resume: true, quiet: true))) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("no good checkpoint to resume from"), text)
            XCTAssertTrue(text.contains("corrupt checkpoint"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}
