import Foundation
import SeqCore
import SeqTestSupport
import XCTest

final class OutputFolderTests: XCTestCase {
    private func folder(_ url: URL, holding name: String) throws -> URL {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Data(name.utf8).write(to: url.appendingPathComponent(name))
        return url
    }

    private func names(_ url: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }

    func testANewFolderIsRenamedIntoPlace() throws {
        let dir = try TestFiles.tempDirectory("outputfolder")
        let staging = try folder(dir.appendingPathComponent(".out.tmp"), holding: "new.txt")
        let installed = try OutputFolder.install(staging, at: dir.appendingPathComponent("out"))
        XCTAssertNil(installed.old)
        XCTAssertEqual(names(dir.appendingPathComponent("out")), ["new.txt"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path))
    }

    func testAnEarlierFolderIsSwappedInOneStepAndCanBePutBack() throws {
        let dir = try TestFiles.tempDirectory("outputfolder")
        let out = try folder(dir.appendingPathComponent("out"), holding: "old.txt")
        let staging = try folder(dir.appendingPathComponent(".out.tmp"), holding: "new.txt")
        let installed = try OutputFolder.install(staging, at: out)
        XCTAssertEqual(names(out), ["new.txt"])
        // Exchanged, not moved aside: the old folder now lies where the new one was staged.
        XCTAssertEqual(installed.old, staging)
        XCTAssertEqual(names(staging), ["old.txt"])

        OutputFolder.undo(installed)
        XCTAssertEqual(names(out), ["old.txt"])
        XCTAssertEqual(names(dir), ["out"], "undo leaves only the earlier folder")

        let again = try OutputFolder.install(try folder(dir.appendingPathComponent(".out.tmp2"), holding: "new.txt"), at: out)
        OutputFolder.discardOld(again)
        XCTAssertEqual(names(out), ["new.txt"])
        XCTAssertEqual(names(dir), ["out"])
    }

    func testAFileInTheWayIsRefused() throws {
        let dir = try TestFiles.tempDirectory("outputfolder")
        let out = dir.appendingPathComponent("out")
        try Data("x".utf8).write(to: out)
        let staging = try folder(dir.appendingPathComponent(".out.tmp"), holding: "new.txt")
        XCTAssertThrowsError(try OutputFolder.install(staging, at: out)) { XCTAssertTrue("\($0)".contains(out.path)) }
        XCTAssertEqual(names(staging), ["new.txt"], "nothing moved")
    }
}
