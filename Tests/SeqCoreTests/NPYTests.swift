import SeqTestSupport
import XCTest
@testable import SeqCore

final class NPYTests: XCTestCase {
    func testRoundTripFloat() throws {
        let dir = try TestFiles.tempDirectory("npy")
        let url = dir.appendingPathComponent("a.npy")
        let a = NPYArray<Float>(shape: [2, 3], values: [1, 2, 3, 4, 5, 6.5])
        try a.write(to: url)
        let b = try NPYArray<Float>.read(from: url)
        XCTAssertEqual(b.shape, [2, 3])
        XCTAssertEqual(b.values, a.values)
        let i = NPYArray<Int32>(shape: [4], values: [-1, 0, 7, 9])
        try i.write(to: url)
        XCTAssertEqual(try NPYArray<Int32>.read(from: url).values, i.values)
        let u = NPYArray<UInt8>(shape: [2, 2, 1], values: [0, 255, 3, 4])
        try u.write(to: url)
        XCTAssertEqual(try NPYArray<UInt8>.read(from: url).shape, [2, 2, 1])
        XCTAssertThrowsError(try NPYArray<Float>.read(from: url))
    }

    func testReadsNumpyWrittenVectors() throws {
        let url = try TestFiles.fixture("losses/lsro_0/labels.npy")
        let labels = try NPYArray<Int32>.read(from: url)
        XCTAssertEqual(labels.shape, [8])
    }

    func testRejectsGarbage() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID()).npy")
        try Data("hello".utf8).write(to: url)
        XCTAssertThrowsError(try NPYArray<Float>.read(from: url)) { e in
            XCTAssertTrue("\(e)".contains(url.path))
        }
    }

    // MARK: - Hostile headers (each once accepted silently or trapped)

    /// A `.npy` file with `header` as its dict text (padded as NumPy pads) and `payload` after it.
    private func npy(_ header: String, payload: Data = Data(), version: (UInt8, UInt8) = (1, 0)) -> Data {
        let lengthBytes = version.0 == 1 ? 2 : 4
        var text = header
        let unpadded = 8 + lengthBytes + text.utf8.count + 1
        text += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [version.0, version.1])
        for i in 0..<lengthBytes { data.append(UInt8(truncatingIfNeeded: text.utf8.count >> (8 * i))) }
        data.append(contentsOf: Array(text.utf8))
        data.append(payload)
        return data
    }

    private func assertRefused<T>(_ data: Data, as type: T.Type, containing parts: [String],
                                  file: StaticString = #filePath, line: UInt = #line) throws where T: NPYElement {
        let dir = try TestFiles.tempDirectory("npy", removedAfter: self)
        let url = dir.appendingPathComponent("bad.npy")
        try data.write(to: url)
        XCTAssertThrowsError(try NPYArray<T>.read(from: url), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(error is SeqError, text, file: file, line: line)
            XCTAssertTrue(text.hasPrefix(url.path + ": "), text, file: file, line: line)
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
            for part in parts { XCTAssertTrue(text.contains(part), "'\(text)' lacks '\(part)'", file: file, line: line) }
        }
    }

    /// C3: the element count of (2^40, 2^40) overflows Int; it trapped in the reader.
    func testShapeWhoseSizeOverflowsIsRefused() throws {
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }",
                              payload: Data(count: 16)), as: Float.self, containing: ["too large", "overflows"])
        // No overflow, but far more than the file holds.
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }",
                              payload: Data(count: 16)), as: Float.self, containing: ["truncated", "found 16"])
        // A dimension that does not even fit in Int.
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"),
                          as: Float.self, containing: ["shape dimension 99999999999999999999999 is too large"])
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }"),
                          as: Float.self, containing: ["malformed .npy header"])
        try assertRefused(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (4611686018427387904,), }"),
                          as: Int32.self, containing: ["overflows"])
    }

    func testUnknownVersionIsRefused() throws {
        let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }"
        for version: (UInt8, UInt8) in [(4, 0), (0, 9), (1, 1), (255, 255)] {
            try assertRefused(npy(good, payload: Data(count: 4), version: version), as: Float.self,
                              containing: ["unsupported .npy format version \(version.0).\(version.1)"])
        }
        for version: (UInt8, UInt8) in [(1, 0), (2, 0), (3, 0)] {
            let dir = try TestFiles.tempDirectory("npy", removedAfter: self)
            let url = dir.appendingPathComponent("v.npy")
            try npy(good, payload: Data([0, 0, 0x80, 0x3F]), version: version).write(to: url)
            XCTAssertEqual(try NPYArray<Float>.read(from: url).values, [1], "version \(version)")
        }
    }

    func testDuplicateAndUnknownKeysAreRefused() throws {
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }", payload: Data(count: 8)),
                          as: Float.self, containing: ["duplicate key 'shape'"])
        try assertRefused(npy("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", payload: Data(count: 4)),
                          as: Float.self, containing: ["duplicate key 'descr'"])
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'fortran_order': True, 'shape': (1,), }", payload: Data(count: 4)),
                          as: Float.self, containing: ["duplicate key 'fortran_order'"])
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", payload: Data(count: 4)),
                          as: Float.self, containing: ["unknown key 'extra'"])
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, }", payload: Data(count: 4)),
                          as: Float.self, containing: ["no 'shape'"])
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", payload: Data(count: 4)),
                          as: Float.self, containing: ["trailing characters after the header dict"])
        try assertRefused(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", payload: Data(count: 4)),
                          as: Float.self, containing: ["structured dtypes"])
    }

    func testTrailingBytesAfterTheDataAreRefused() throws {
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", payload: Data(count: 9)),
                          as: Float.self, containing: ["1 trailing bytes after the 8 data bytes of shape (2,)"])
        try assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", payload: Data(count: 7)),
                          as: Float.self, containing: ["truncated", "needs 8 data bytes, found 7"])
    }

    /// int64 labels are narrowed to Int32; 2^40 used to wrap to 0 and act as label 0.
    func testInt64ValuesOutsideInt32AreRefused() throws {
        var payload = Data()
        for v: Int64 in [3, 1 << 40] { withUnsafeBytes(of: v.littleEndian) { payload.append(contentsOf: $0) } }
        try assertRefused(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", payload: payload),
                          as: Int32.self, containing: ["int64 value 1099511627776 at flat index 1 does not fit in int32"])
        var ok = Data()
        for v: Int64 in [-2147483648, 2147483647, -1] { withUnsafeBytes(of: v.littleEndian) { ok.append(contentsOf: $0) } }
        let a = try NPYArray<Int32>.decode(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", payload: ok), path: "x.npy")
        XCTAssertEqual(a.values, [Int32.min, Int32.max, -1])
    }

    func testEmptyAndScalarArraysAndOddButValidHeaders() throws {
        let empty = try NPYArray<Float>.decode(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }"), path: "e.npy")
        XCTAssertEqual(empty.shape, [0, 5])
        XCTAssertEqual(empty.values, [])
        let scalar = try NPYArray<Float>.decode(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                                                    payload: Data([0, 0, 0x80, 0x3F])), path: "s.npy")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.values, [1])
        // Double quotes, Python 2 longs, no trailing comma, another key order: all NumPy-readable.
        let odd = try NPYArray<UInt8>.decode(npy(#"{"shape": (2L, 1L), "fortran_order": False, "descr": "|u1"}"#,
                                                 payload: Data([7, 9])), path: "o.npy")
        XCTAssertEqual(odd.shape, [2, 1])
        XCTAssertEqual(odd.values, [7, 9])
    }
}
