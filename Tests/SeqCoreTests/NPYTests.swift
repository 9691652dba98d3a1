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
}
