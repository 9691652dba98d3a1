import Foundation
import XCTest
import SeqCore
import SeqTestSupport

/// The loss cases in `Tests/Fixtures/losses` and readers for their files.
enum TestData {
    static let losses: URL = TestFiles.fixturesRoot.appendingPathComponent("losses")

    static func floats(_ dir: URL, _ name: String) throws -> NPYArray<Float> {
        try NPYArray<Float>.read(from: dir.appendingPathComponent(name))
    }
    static func ints(_ dir: URL, _ name: String) throws -> NPYArray<Int32> {
        try NPYArray<Int32>.read(from: dir.appendingPathComponent(name))
    }
    static func caseJSON(_ dir: URL) throws -> JSONValue {
        try JSONValue.parse(try Data(contentsOf: dir.appendingPathComponent("case.json")))
    }
    /// Names of the loss cases of one kind ("lsro" or "dsa"), sorted.
    static func lossCases(_ kind: String) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: losses.path).filter { $0.hasPrefix(kind + "_") }.sorted()
        return names.map { losses.appendingPathComponent($0) }
    }
}

/// Asserts `max |a - b| <= rel * max(|b|)` (relative to the expected array's scale).
func assertClose(_ a: [Float], _ b: [Float], rel: Float = 1e-4, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(what): sizes differ", file: file, line: line)
    guard a.count == b.count else { return }
    let scale = max(b.map { abs($0) }.max() ?? 0, 1e-12)
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i])) }
    XCTAssertLessThanOrEqual(worst / scale, rel, "\(what): max abs error \(worst), scale \(scale)", file: file, line: line)
}

func assertClose(_ a: Double, _ b: Double, rel: Double = 1e-4, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertLessThanOrEqual(abs(a - b), rel * max(abs(b), 1e-12), "\(what): \(a) vs \(b)", file: file, line: line)
}
