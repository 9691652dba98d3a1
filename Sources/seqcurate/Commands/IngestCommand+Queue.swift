import Foundation
import SeqCatalog
import SeqCore
import SeqIngest

extension IngestCommand {
    /// `--from-queue`: works the catalog's queue until it is empty. Each claimed video is
    /// ingested as one given on the command line would be, with the same crash safety of crops.
    func ingestFromQueue(db: Catalog, ingestor: VideoIngestor) throws {
        let queue = try Catalog.openExisting(location: catalog, crops: crops)
        defer { queue.close() }
        let worker = QueueWorker(queue: queue, lease: leaseSeconds, maxAttempts: maxAttempts)
        if !quiet { printError("worker \(worker.name): taking videos from the queue of \(db.locationDescription)") }
        let summary = try worker.run { item in
            if !quiet { printError("[\(worker.name)] \(item.path) (attempt \(item.attempts))") }
            let url = item.path.contains("://") ? URL(string: item.path) ?? URL(fileURLWithPath: item.path) : URL(fileURLWithPath: item.path)
            let r = try ingestor.ingest(url, quiet: quiet)
            if case .failed(let reason) = r.outcome { throw SeqError(reason, file: item.path) }
            return r.videoID
        }
        print("worker \(worker.name): \(summary.done) videos done, \(summary.failed) failures; catalog \(db.locationDescription)")
    }
}
