import Foundation
import XCTest
import SeqTestSupport
@testable import SeqIngest

final class FaceFoldersTests: XCTestCase {
    private func touch(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: url)
    }

    func testLFWAndYTFLayouts() throws {
        let dir = try TestFiles.tempDirectory("face-folders", removedAfter: self)
        let lfw = dir.appendingPathComponent("lfw")
        try touch(lfw.appendingPathComponent("Ann_Lee/Ann_Lee_0001.jpg"))
        try touch(lfw.appendingPathComponent("Ann_Lee/Ann_Lee_0002.png"))
        try touch(lfw.appendingPathComponent("Ann_Lee/notes.txt"))
        try touch(lfw.appendingPathComponent("Bo_Li/Bo_Li_0001.jpg"))
        try touch(lfw.appendingPathComponent(".hidden/x.jpg"))
        let people = try FaceFolders.people(in: lfw, layout: .perPerson)
        XCTAssertEqual(people.map(\.name), ["Ann_Lee", "Bo_Li"])
        XCTAssertEqual(people[0].images.map(\.lastPathComponent), ["Ann_Lee_0001.jpg", "Ann_Lee_0002.png"])

        // YTF: DIR/Name/N/*.jpg; each video's frames sampled, spread over the video.
        let ytf = dir.appendingPathComponent("ytf")
        for n in 0..<20 { try touch(ytf.appendingPathComponent(String(format: "Cy_Wu/1/%03d.jpg", n))) }
        try touch(ytf.appendingPathComponent("Cy_Wu/2/000.jpg"))
        let videos = try FaceFolders.people(in: ytf, layout: .perPersonVideos, framesPerVideo: 4)
        XCTAssertEqual(videos.map(\.name), ["Cy_Wu"])
        XCTAssertEqual(videos[0].images.map { $0.deletingLastPathComponent().lastPathComponent + "/" + $0.lastPathComponent },
                       ["1/000.jpg", "1/005.jpg", "1/010.jpg", "1/015.jpg", "2/000.jpg"])
        XCTAssertThrowsError(try FaceFolders.people(in: ytf, layout: .perPerson)) { error in
            XCTAssertTrue("\(error)".contains("DIR/Name/*.jpg"), "\(error)")
        }
    }
}
