import Foundation
import XCTest
@testable import SeqCatalog
import SeqTestSupport

final class ConcurrencyTests: XCTestCase {
    /// Two connections (as two `ingest` processes would have) create the same fresh catalog and
    /// write their own videos at the same time; nothing is lost.
    func testTwoConnectionsWritingAtOnceLoseNothing() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let url = dir.appendingPathComponent("shared.db")
        let videosPerWriter = 30
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 2) { writer in
            do {
                let catalog = try Catalog.open(at: url)
                for v in 0..<videosPerWriter {
                    try addVideo(catalog, path: "/w\(writer)/v\(v).mp4", hash: "w\(writer)-v\(v)", sequences: [5, 6], writeCrops: false)
                    // Reads interleaved with the other writer's commits.
                    _ = try catalog.hasVideo(contentHash: "w\(1 - writer)-v\(v)")
                }
                catalog.close()
            } catch {
                errors.add(error)
            }
        }
        XCTAssertEqual(errors.all.map { "\($0)" }, [])
        let catalog = try Catalog.open(at: url)
        XCTAssertEqual(try catalog.videos().count, 2 * videosPerWriter)
        XCTAssertEqual(try catalog.sequences().count, 4 * videosPerWriter)
        XCTAssertEqual(try catalog.scalar("SELECT count(*) FROM faces"), 2 * videosPerWriter * (11 + 4))
        XCTAssertEqual(try catalog.scalar("PRAGMA foreign_key_check"), 0)
        XCTAssertEqual(try catalog.queryFirst("PRAGMA integrity_check") { try $0["integrity_check"] as String }, "ok")
    }

    /// One `Catalog` shared by threads: transactions do not interleave.
    func testOneCatalogSharedByThreads() throws {
        let dir = try TestFiles.tempDirectory("seqcatalog-tests", removedAfter: self)
        let catalog = try Catalog.open(at: dir.appendingPathComponent("c.db"))
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            do {
                for i in 0..<10 {
                    try addVideo(catalog, path: "/t\(worker)/\(i).mp4", hash: "t\(worker)-\(i)", sequences: [5], writeCrops: false)
                }
            } catch {
                errors.add(error)
            }
        }
        XCTAssertEqual(errors.all.map { "\($0)" }, [])
        XCTAssertEqual(try catalog.videos().count, 40)
        XCTAssertEqual(try catalog.stats().sequences, 40)
    }
}

/// Collects errors from several threads.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ e: Error) { lock.lock(); errors.append(e); lock.unlock() }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
}
