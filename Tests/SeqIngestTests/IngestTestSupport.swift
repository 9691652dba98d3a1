import Foundation
import SeqCatalog
import SeqDetect
import SeqIngest
import SeqTestSupport
import XCTest

enum IngestTestSupport {
    /// One detector for the whole test process: the weights load once.
    static let detector: MTCNN? = {
        let url = TestFiles.repoRoot.appendingPathComponent(MTCNN.defaultWeightsPath)
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
        try ingestor.saveFileMemory()
        try catalog.finishIngestRun(id: runID, status: .finished)
        return results
    }

    /// Every file below `dir`, relative.
}
