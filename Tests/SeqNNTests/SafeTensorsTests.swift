import Foundation
import SeqCore
import XCTest
@testable import SeqNN

final class SafeTensorsTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("seqnn-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func testRoundTripKeepsNamesShapesValuesAndMetadata() throws {
        let url = dir.appendingPathComponent("w.safetensors")
        let tensors = [
            "conv1.weight": Tensor(shape: [2, 1, 2, 2], data: [1, -2, 3.5, 4, 5, 6, 7, -8e-9]),
            "conv1.bias": Tensor(shape: [2], data: [0.25, -0.5]),
            "empty": Tensor(zeros: [0, 3]),
            "scalar": Tensor(shape: [], data: [42]),
        ]
        try SafeTensors.write(tensors, to: url, metadata: ["format": "pt", "note": "quote \" here"])
        let (back, meta) = try SafeTensors.readWithMetadata(from: url)
        XCTAssertEqual(back, tensors)
        XCTAssertEqual(meta, ["format": "pt", "note": "quote \" here"])

        // Layout: 8-byte little-endian length, then a JSON header, data 8-byte aligned.
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0)
        XCTAssertEqual(bytes.count, 8 + headerLength + 4 * (8 + 2 + 0 + 1))
        let header = try JSONValue.parse(bytes.subdata(in: 8..<(8 + headerLength)))
        let bias = try XCTUnwrap(header["conv1.bias"])
        XCTAssertEqual(bias["dtype"]?.string, "F32")
        XCTAssertEqual(bias["shape"]?.array?.compactMap(\.int), [2])
    }

    /// Hand-made file with F16, F64 and I32 entries, as other writers produce.
    func testReadsOtherDtypes() throws {
        var payload = Data()
        for v: Float16 in [1.5, -2] { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        for v: Double in [0.125] { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        for v: Int32 in [-7] { withUnsafeBytes(of: v.littleEndian) { payload.append(contentsOf: $0) } }
        let header = #"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"d":{"dtype":"F64","shape":[1],"data_offsets":[4,12]},"i":{"dtype":"I32","shape":[1,1],"data_offsets":[12,16]}}"#
        let url = dir.appendingPathComponent("mixed.safetensors")
        try file(header: header, payload: payload).write(to: url)
        let t = try SafeTensors.read(from: url)
        XCTAssertEqual(t["h"]?.data, [1.5, -2])
        XCTAssertEqual(t["d"]?.data, [0.125])
        XCTAssertEqual(t["i"], Tensor(shape: [1, 1], data: [-7]))
    }

    func testCorruptFilesAreRejectedNamingTheFile() throws {
        let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let cases: [(String, Data)] = [
            ("short", Data([1, 2, 3])),
            ("huge-header", file(header: good, payload: Data(count: 8), lengthOverride: 1 << 40)),
            ("not-json", file(header: "{not json", payload: Data(count: 8))),
            ("offsets-outside", file(header: good, payload: Data(count: 4))),
            ("size-mismatch", file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, payload: Data(count: 8))),
            ("bad-dtype", file(header: #"{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, payload: Data(count: 8))),
            ("missing-field", file(header: #"{"a":{"dtype":"F32","shape":[2]}}"#, payload: Data(count: 8))),
        ]
        for (name, bytes) in cases {
            let url = dir.appendingPathComponent("\(name).safetensors")
            try bytes.write(to: url)
            XCTAssertThrowsError(try SafeTensors.read(from: url), name) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(url.path), "\(name): \(text)")
                XCTAssertTrue(text.contains("corrupt safetensors"), "\(name): \(text)")
            }
        }
        // The well-formed variant of the same file reads.
        let url = dir.appendingPathComponent("good.safetensors")
        try file(header: good, payload: Data(count: 8)).write(to: url)
        XCTAssertEqual(try SafeTensors.read(from: url)["a"]?.data, [0, 0])
        // A missing file is an error naming it too.
        XCTAssertThrowsError(try SafeTensors.read(from: dir.appendingPathComponent("nope.safetensors"))) {
            XCTAssertTrue("\($0)".contains("nope.safetensors"))
        }
    }

    func testLoadAndSaveParametersByName() throws {
        let conv = Conv2D(inChannels: 1, outChannels: 2, kernel: 1, name: "c")
        conv.weight.value = Tensor(shape: [2, 1, 1, 1], data: [3, 4])
        let url = dir.appendingPathComponent("p.safetensors")
        try SafeTensors.save(conv.parameters, to: url)
        let other = Conv2D(inChannels: 1, outChannels: 2, kernel: 1, name: "c")
        try SafeTensors.load(other.parameters, from: url)
        XCTAssertEqual(other.weight.value.data, [3, 4])
        let wrongShape = Conv2D(inChannels: 2, outChannels: 2, kernel: 1, name: "c")
        XCTAssertThrowsError(try SafeTensors.load(wrongShape.parameters, from: url)) {
            XCTAssertTrue("\($0)".contains("c.weight"))
        }
        let wrongName = Conv2D(inChannels: 1, outChannels: 2, kernel: 1, name: "d")
        XCTAssertThrowsError(try SafeTensors.load(wrongName.parameters, from: url)) {
            XCTAssertTrue("\($0)".contains("missing tensor \"d.weight\""))
        }
    }

    /// Overlapping, gapped, oversized and overflowing layouts were accepted (overlaps silently
    /// shared bytes); each is now refused, naming the file and the entry.
    func testLayoutsThatDoNotTileTheDataSectionAreRefused() throws {
        func entry(_ name: String, _ shape: String, _ begin: Int, _ end: Int, dtype: String = "F32") -> String {
            #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[\#(begin),\#(end)]}"#
        }
        let cases: [(String, String, Int, String)] = [
            ("overlap", "{\(entry("a", "[2]", 0, 8)),\(entry("b", "[2]", 4, 12))}", 12, "\"b\" (bytes 4..<12) overlaps"),
            ("same-bytes", "{\(entry("a", "[2]", 0, 8)),\(entry("b", "[2]", 0, 8))}", 8, "overlaps"),
            ("gap", "{\(entry("a", "[1]", 0, 4)),\(entry("b", "[1]", 8, 12))}", 12, "leaving a gap after byte 4"),
            ("tail", "{\(entry("a", "[1]", 0, 4))}", 12, "cover 4 bytes but the data section has 12"),
            ("out-of-bounds", "{\(entry("a", "[4]", 0, 16))}", 8, "outside the 8-byte data section"),
            ("dtype-size", "{\(entry("a", "[3]", 0, 8, dtype: "F64"))}", 8, "needs 24"),
            // 2^32 × 2^32 elements overflow Int; the error message itself used to trap.
            ("shape-overflow", "{\(entry("a", "[4294967296,4294967296]", 0, 8))}", 8, "too large"),
            ("duplicate-name", "{\(entry("a", "[1]", 0, 4)),\(entry("a", "[1]", 4, 8))}", 8, "key \"a\" appears twice"),
            ("duplicate-field", #"{"a":{"dtype":"F32","shape":[1],"shape":[2],"data_offsets":[0,4]}}"#, 4, "key \"shape\" appears twice"),
            ("bytes-overflow", "{\(entry("a", "[4294967296,536870912]", 0, 8))}", 8, "too large"),
        ]
        for (name, header, payload, message) in cases {
            let url = dir.appendingPathComponent("\(name).safetensors")
            try file(header: header, payload: Data(count: payload)).write(to: url)
            XCTAssertThrowsError(try SafeTensors.read(from: url), name) { error in
                let text = "\(error)"
                XCTAssertTrue(text.hasPrefix("\(url.path): corrupt safetensors: "), "\(name): \(text)")
                XCTAssertTrue(text.contains(message), "\(name): \(text)")
            }
        }
        // Found by fuzzing (Tests/Fuzz/regressions/safetensors): a name with a line break went
        // into the message verbatim, splitting it over two lines.
        let named = dir.appendingPathComponent("newline.safetensors")
        try file(header: "{\(entry("c\\nv.weight", "[3]", 0, 8))}", payload: Data(count: 8)).write(to: named)
        XCTAssertThrowsError(try SafeTensors.read(from: named)) { error in
            XCTAssertTrue("\(error)".contains(#"entry "c\nv.weight" has 8 bytes"#), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
        }
        // Equal keys in different objects are fine.
        XCTAssertNil(SafeTensors.firstDuplicateKey(in: Data(#"{"a":{"a":[{"a":1},{"a":"\"a"}]},"b":{"a":2}}"#.utf8)))
        XCTAssertEqual(SafeTensors.firstDuplicateKey(in: Data(#"{"a":[1,{"x":1,"y":"a","x":2}]}"#.utf8)), "x")
        // Adjacent tensors in any header order, with an empty one between, still read.
        let url = dir.appendingPathComponent("tiled.safetensors")
        let header = "{\(entry("b", "[1]", 4, 8)),\(entry("e", "[0,3]", 4, 4)),\(entry("a", "[1]", 0, 4))}"
        try file(header: header, payload: Data(count: 8)).write(to: url)
        XCTAssertEqual(try SafeTensors.read(from: url).keys.sorted(), ["a", "b", "e"])
    }

    private func file(header: String, payload: Data, lengthOverride: UInt64? = nil) -> Data {
        var d = Data()
        let h = Data(header.utf8)
        withUnsafeBytes(of: (lengthOverride ?? UInt64(h.count)).littleEndian) { d.append(contentsOf: $0) }
        d.append(h)
        d.append(payload)
        return d
    }
}
