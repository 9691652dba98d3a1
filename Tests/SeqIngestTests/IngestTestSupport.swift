import Foundation
import SeqCatalog
import SeqDetect
import SeqIngest
import XCTest

enum IngestTestSupport {
    static let repoRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func asset(_ name: String) throws -> URL {
        let url = repoRoot.appendingPathComponent("assets/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            XCTFail("missing \(url.path): run tools/setup.sh")
            throw XCTSkip("asset missing")
        }
        return url
    }

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqcurate-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// One detector for the whole test process: the weights load once.
    static let detector: MTCNN? = {
        let url = repoRoot.appendingPathComponent(MTCNN.defaultWeightsPath)
        var options = MTCNNOptions()
        options.parallelPyramid = false
        return try? MTCNN(weights: url, options: options)
    }()

    static func makeDetector() throws -> MTCNN {
        guard let d = detector else {
            XCTFail("MTCNN weights missing: run tools/setup.sh")
            throw XCTSkip("weights missing")
        }
        return d
    }

    /// Ingests `videos` into a fresh catalog in `dir` and returns the catalog and the results.
    static func ingest(_ videos: [URL], into dir: URL, options: IngestOptions = IngestOptions()) throws -> (Catalog, [VideoIngestResult]) {
        let catalog = try Catalog.open(at: dir.appendingPathComponent("seqcurate.db"))
        let results = try ingest(videos, catalog: catalog, options: options)
        return (catalog, results)
    }

    static func ingest(_ videos: [URL], catalog: Catalog, options: IngestOptions = IngestOptions()) throws -> [VideoIngestResult] {
        let runID = try catalog.beginIngestRun(IngestRunRecord(detector: "mtcnn", weightsSHA256: nil, parametersJSON: options.json(),
                                                               seqcurateVersion: "test"))
        let ingestor = VideoIngestor(catalog: catalog, detector: try makeDetector(),
                                     cropper: FaceCropping.make(options.align, size: options.effectiveCropSize),
                                     options: options, runID: runID)
        try ingestor.store.recover(catalog: catalog)
        let results = try videos.map { try ingestor.ingest($0, quiet: true) }
        try catalog.finishIngestRun(id: runID, status: .finished)
        return results
    }

    /// The `seqcurate` executable built beside the tests.
    static func executable() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("seqcurate"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("seqcurate"),
            repoRoot.appendingPathComponent(".build/debug/seqcurate"),
        ]
        guard let url = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("seqcurate executable not built next to the tests")
        }
        return url
    }

    /// Every file below `dir`, relative.
    static func files(under dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var out: [String] = []
        while let p = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(p).path, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
        }
        return out.sorted()
    }
}
