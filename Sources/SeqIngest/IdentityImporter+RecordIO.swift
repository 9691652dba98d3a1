import Dispatch
import Foundation
import SeqCatalog
import SeqCore
import SeqMedia

extension IdentityImporter {
    /// Whether `path` names an insightface RecordIO pack (`*.rec`) rather than a folder tree.
    public static func isRecordIO(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return path.lowercased().hasSuffix(".rec") && !(FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue)
    }

    /// The `property` file next to a `.rec` (`identities,height,width`), nil when there is none.
    public static func recordIOProperty(for rec: URL) throws -> RecordIOReader.Property? {
        try RecordIOReader.readProperty(rec.deletingLastPathComponent().appendingPathComponent("property"))
    }

    /// The default dataset name of a pack: its folder's name (`faces_emore/train.rec` → faces_emore).
    public static func recordIODatasetName(_ rec: URL) -> String {
        let name = rec.standardizedFileURL.deletingPathExtension().lastPathComponent
        return name == "train" ? rec.standardizedFileURL.deletingLastPathComponent().lastPathComponent : name
    }

    /// The stable source path of record `key` of `rec`.
    public static func recordSourcePath(_ rec: URL, key: Int) -> String { "\(rec.path)#\(key)" }

    /// Imports an insightface RecordIO pack: each image record becomes an identity image of the
    /// identity named by its integer label, its JPEG bytes written as they are under
    /// crops/identities/<dataset>/<label>/<key>.jpg (the images are already aligned 112x112 crops).
    /// Record 0, when its header has labels, is insightface's header record: images are the
    /// records 1..<label[0] and the records after them (identity ranges) are not images.
    /// Records are read one batch at a time through the `.idx` offsets (sequentially without
    /// an index) and committed per batch; a re-run skips the records already in the catalog
    /// (source path `train.rec#<key>`). A truncated or corrupt record stops the import with an
    /// error naming the file and the record, after the batches before it were committed.
    public func runRecordIO(rec: URL, quiet: Bool = false) throws -> IdentityImportSummary {
        let rec = rec.standardizedFileURL
        let dataset = options.dataset ?? Self.recordIODatasetName(rec)
        let reader = try RecordIOReader(rec)
        var summary = IdentityImportSummary()
        let property = try Self.recordIOProperty(for: rec)
        let index = try RecordIOReader.indexURL(for: rec).map(RecordIOReader.readIndex)

        // The header record, when there is one, bounds the image keys.
        var imageEnd: Int? = nil
        let firstOffset = index?.first(where: { $0.key == 0 })?.offset ?? (index == nil ? 0 : nil)
        if let firstOffset, reader.fileSize > 0 {
            let (payload, _) = try reader.record(at: firstOffset, name: "0")
            let (header, _) = try reader.unpack(payload, name: "0")
            if header.flag > 0, let end = header.labels.first, end >= 1 { imageEnd = Int(end) }
        }
        let done = try catalog.importedImageDatasets()
        var identityIDs: [Int: Int64] = [:]
        var labelsSeen = Set<Int>()
        var outOfRange = 0
        let cropRoot = "crops/identities/\(Self.safe(dataset))"
        let total: Int? = imageEnd.map { max(0, $0 - 1) } ?? index?.count
        let progress = ProgressReporter("import \(dataset)", total: total ?? 0, unit: "records", quiet: quiet)
        defer { progress.finish() }

        // The records to visit, lazily: keys with offsets from the index, or a sequential walk.
        var indexPosition = 0
        var sequentialOffset: UInt64 = 0
        var sequentialKey = 0
        func nextRecord() throws -> (key: Int, payload: Data?)? {
            if let index {
                while indexPosition < index.count {
                    let entry = index[indexPosition]
                    indexPosition += 1
                    if let imageEnd { guard entry.key >= 1, entry.key < imageEnd else { continue } }
                    if done[Self.recordSourcePath(rec, key: entry.key)] != nil { return (entry.key, nil) }
                    return (entry.key, try reader.record(at: entry.offset, name: "\(entry.key)").payload)
                }
                return nil
            }
            while sequentialOffset < reader.fileSize {
                let key = sequentialKey
                let (payload, next) = try reader.record(at: sequentialOffset, name: "\(key)")
                sequentialOffset = next
                sequentialKey += 1
                if let imageEnd {
                    if key == 0 { continue }
                    if key >= imageEnd { return nil }
                }
                if done[Self.recordSourcePath(rec, key: key)] != nil { return (key, nil) }
                return (key, payload)
            }
            return nil
        }

        var finished = false
        while !finished {
            var batch: [(key: Int, label: Int, identityID: Int64, image: Data)] = []
            while batch.count < options.batchSize {
                guard let (key, payload) = try nextRecord() else { finished = true; break }
                guard let payload else {
                    if let owner = done[Self.recordSourcePath(rec, key: key)], owner != dataset {
                        summary.inOtherDatasets[owner, default: 0] += 1
                    } else {
                        summary.alreadyThere += 1
                    }
                    progress.advance(by: 1)
                    continue
                }
                let (header, image) = try reader.unpack(payload, name: "\(key)")
                let label = header.classLabel
                if label < 0 { throw SeqError("record \(key) has a negative label \(label)", file: rec.path) }
                if let property, label >= property.identities { outOfRange += 1 }
                let id: Int64
                if let known = identityIDs[label] { id = known } else {
                    id = try catalog.upsertIdentity(dataset: dataset, name: String(label))
                    identityIDs[label] = id
                }
                labelsSeen.insert(label)
                batch.append((key, label, id, image))
            }
            if batch.isEmpty { break }
            var outcomes = [(record: IdentityImageRecord, writeError: SeqError?)?](repeating: nil, count: batch.count)
            outcomes.withUnsafeMutableBufferPointer { out in
                let buffer = out
                DispatchQueue.concurrentPerform(iterations: batch.count) { i in
                    let item = batch[i]
                    buffer[i] = importRecord(item.image, source: Self.recordSourcePath(rec, key: item.key), identityID: item.identityID,
                                             cropPath: "\(cropRoot)/\(item.label)/\(item.key).jpg")
                }
            }
            let rows = outcomes.compactMap { $0?.record }
            if let failure = outcomes.lazy.compactMap({ $0?.writeError }).first {
                for r in rows { if let crop = r.cropPath { try? FileManager.default.removeItem(at: catalog.resolve(crop)) } }
                throw failure
            }
            let added = try catalog.transaction { try catalog.insertIdentityImagesReportingNew(rows) }
            for (r, isNew) in zip(rows, added) {
                if !isNew { summary.alreadyThere += 1; continue }
                if r.status == .ok { summary.imported += 1 } else { summary.failed[r.reason ?? "failed", default: 0] += 1 }
            }
            progress.advance(by: rows.count, note: "failed \(summary.failed.values.reduce(0, +))")
        }
        summary.identities = labelsSeen.count
        if let property {
            if outOfRange > 0 {
                summary.notes.append("\(outOfRange) records have a label at or above the \(property.identities) identities the property file gives")
            }
        }
        return summary
    }

    private func importRecord(_ data: Data, source: String, identityID: Int64, cropPath: String) -> (record: IdentityImageRecord, writeError: SeqError?) {
        let image: Image
        do {
            image = try ImageIO.decode(data, name: source, maxPixels: options.maxPixels)
        } catch {
            return (IdentityImageRecord(identityID: identityID, sourcePath: source, cropPath: nil, aligned: true,
                                        status: .failed, reason: ImageIO.isSizeLimitError(error) ? "too_large" : "unreadable",
                                        ingestRunID: runID), nil)
        }
        let record = IdentityImageRecord(identityID: identityID, sourcePath: source, cropPath: cropPath, aligned: true,
                                         cropHash: PerceptualHash.dHash(image), ingestRunID: runID)
        let target = catalog.resolve(cropPath)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try CropStore.writeCrop(data, target)
        } catch {
            return (record, error as? SeqError ?? SeqError("cannot write: \(IOFailure.reason(of: error))", file: target.path))
        }
        return (record, nil)
    }
}
