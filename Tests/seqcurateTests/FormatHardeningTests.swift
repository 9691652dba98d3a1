import Foundation
import SeqTestSupport
import XCTest

/// Hostile input files given to the command-line tool: each must end in exit status 1 and one
/// line on standard error naming the file, never a trap (a signal) or a silent success.
final class FormatHardeningTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = try TestFiles.tempDirectory("format-hardening", removedAfter: self)
    }

    private func run(_ args: [String]) throws -> CLIResult { try TestCLI.run(args) }

    /// Asserts a clean refusal: exit 1, not a signal, and one `seqcurate: FILE…` line containing `parts`.
    private func assertRefused(_ args: [String], naming file: URL, _ parts: [String],
                               file sourceFile: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(args)
        XCTAssertEqual(r.reason, .exit, "killed by a signal: \(r.err)", file: sourceFile, line: line)
        XCTAssertEqual(r.status, 1, r.err, file: sourceFile, line: line)
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one error line: \(r.err)", file: sourceFile, line: line)
        XCTAssertTrue(r.err.hasPrefix("seqcurate: \(file.path)"), r.err, file: sourceFile, line: line)
        for part in parts { XCTAssertTrue(r.err.contains(part), "'\(r.err)' lacks '\(part)'", file: sourceFile, line: line) }
    }

    /// A `.npy` file with the given header dict and payload, as NumPy lays it out.
    private func npy(_ name: String, _ header: String, payload: Data = Data()) throws -> URL {
        var text = header
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)])
        data.append(contentsOf: Array(text.utf8))
        data.append(payload)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    private func int64s(_ values: [Int64]) -> Data {
        var d = Data()
        for v in values { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    private func floats(_ values: [Float]) -> Data {
        var d = Data()
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
        return d
    }

    /// C3: the shape (2^40, 2^40) overflowed in the `.npy` reader and trapped `loss`.
    func testLossRefusesAnOverflowingShape() throws {
        let logits = try npy("logits.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
                             payload: Data(count: 16))
        let labels = try npy("labels.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", payload: Data(count: 8))
        try assertRefused(["loss", "lsro", "--logits", logits.path, "--labels", labels.path,
                           "--out-dir", dir.appendingPathComponent("out").path], naming: logits, ["too large"])
    }

    /// int64 label 2^40 used to wrap to label 0 and give a loss as if it were class 0.
    func testLossRefusesInt64LabelsOutsideInt32() throws {
        let logits = try npy("logits.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                             payload: floats([1, 2, 3, 4]))
        let labels = try npy("labels.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
                             payload: int64s([1, 1 << 40]))
        try assertRefused(["loss", "lsro", "--logits", logits.path, "--labels", labels.path,
                           "--out-dir", dir.appendingPathComponent("out").path],
                          naming: labels, ["1099511627776", "does not fit in int32"])
    }

    func testLossRefusesDuplicateHeaderKeysUnknownVersionsAndTrailingBytes() throws {
        let labels = try npy("labels.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", payload: Data(count: 4))
        var cases: [(URL, String)] = []
        cases.append((try npy("dup.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), 'shape': (1, 2), }",
                               payload: floats([1, 2])), "duplicate key 'shape'"))
        cases.append((try npy("tail.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }",
                               payload: floats([1, 2])), "4 trailing bytes"))
        var v9 = try Data(contentsOf: try npy("v9.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }", payload: floats([1])))
        v9[6] = 9
        let v9URL = dir.appendingPathComponent("v9.npy")
        try v9.write(to: v9URL)
        cases.append((v9URL, "unsupported .npy format version 9.0"))
        for (logits, message) in cases {
            try assertRefused(["loss", "lsro", "--logits", logits.path, "--labels", labels.path,
                               "--out-dir", dir.appendingPathComponent("out").path], naming: logits, [message])
        }
    }

    /// C4: an LFW header of 99999999999 99999999999 trapped `eval` with an arithmetic overflow.
    func testEvalRefusesAPairsHeaderWithHugeNumbers() throws {
        let pairs = dir.appendingPathComponent("pairs.txt")
        try "99999999999\t99999999999\nA\t1\t2\n".write(to: pairs, atomically: true, encoding: .utf8)
        let features = try npy("F.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: floats([1, 0, 0, 1]))
        let keys = dir.appendingPathComponent("K.txt")
        try "A/A_0001.jpg\nA/A_0002.jpg\n".write(to: keys, atomically: true, encoding: .utf8)
        try assertRefused(["eval", "lfw", "--pairs", pairs.path, "--features", features.path, "--keys", keys.path],
                          naming: pairs, [":1:", "promises 99999999999 folds"])
    }

    /// `eval --features` with an overflowing feature matrix (C3 through another command).
    func testEvalRefusesAnOverflowingFeatureShape() throws {
        let pairs = dir.appendingPathComponent("pairs.txt")
        try "A/A_0001.jpg A/A_0002.jpg 1\n".write(to: pairs, atomically: true, encoding: .utf8)
        let features = try npy("F.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
                               payload: Data(count: 8))
        let keys = dir.appendingPathComponent("K.txt")
        try "A/A_0001.jpg\nA/A_0002.jpg\n".write(to: keys, atomically: true, encoding: .utf8)
        try assertRefused(["eval", "lfw", "--pairs", pairs.path, "--features", features.path, "--keys", keys.path],
                          naming: features, ["too large"])
    }

    /// Overlapping safetensors offsets were accepted; `detect --weights` now refuses the file.
    func testDetectRefusesWeightsWithOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        data.append(Data(count: 12))
        let weights = dir.appendingPathComponent("w.safetensors")
        try data.write(to: weights)
        try assertRefused(["detect", "--weights", weights.path, try TestFiles.asset("messi5.jpg").path],
                          naming: weights, ["corrupt safetensors", "overlaps"])
    }
}
