import Foundation
import XCTest
import SeqCore
import SeqTestSupport

final class SHA256Tests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a', fed in uneven pieces to cross block boundaries.
        var h = SHA256()
        let chunk = Data(repeating: UInt8(ascii: "a"), count: 999)
        for _ in 0..<1001 { h.update(chunk) }
        h.update(Data(repeating: UInt8(ascii: "a"), count: 1_000_000 - 999 * 1001))
        XCTAssertEqual(h.finalize().map { String(format: "%02x", $0) }.joined(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testSHA256OfFile() throws {
        let dir = try TestFiles.tempDirectory("seqcore-tests", removedAfter: self)
        let file = dir.appendingPathComponent("f.bin")
        let data = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try data.write(to: file)
        XCTAssertEqual(try SHA256.hex(fileAt: file), SHA256.hex(data))
    }
}
