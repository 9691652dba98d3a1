import Foundation
import SeqCore

/// What an export wrote.
public struct ExportResult: Sendable {
    public struct File: Sendable, Equatable {
        public var name: String
        /// `identities`, `sequences`, `validation` or `train` (csv: both parts in one file).
        public var role: String
        public var lines: Int
        public var sha256: String
    }
    public var outDir: URL
    /// F: identity labels 0 … F-1.
    public var faceidNum: Int
    /// S: sequence labels -1 … -S.
    public var seqidNum: Int
    public var identityImages: Int
    public var sequenceFaces: Int
    public var validationIdentities: Int
    public var validationImages: Int
    /// Catalog files that do not exist and were left out.
    public var missingFiles: [String]
    public var files: [File]
    /// The row in the catalog's `exports` table; nil when the catalog was opened read-only
    /// (the export is then not recorded).
    public var exportID: Int64?
    /// Sequences exported under an imported identity's label, and left out, for being that
    /// identity's person (`--sequence-overlap`), with the identity and distance of each.
    public var relabelled: [SequenceIdentityMatch] = []
    public var dropped: [SequenceIdentityMatch] = []
}

/// Writes the training lists of SeqFace's Caffe `train_val.prototxt`, a manifest, and (for
/// `--format csv`) one CSV, from a catalog.
///
/// - `image_train_part1.txt`: identity images, `path label` with labels 0 … F-1;
/// - `image_train_part2_seq.txt`: sequence faces, labels -1 … -S, one per sequence;
/// - `image_val.txt`: held-out identities (`--val-fraction`), labels 0 … V-1 of their own;
/// - `manifest.json`: F, S, counts, filters, schema version, SHA-256 of each list, labels.
///
/// Output is a pure function of the catalog content and the options (no times, sorted
/// byte-wise), so the same catalog and options give byte-identical files. The folder appears
/// complete or not at all: everything is written to a temporary folder beside it and renamed.
public struct TrainingListExporter {
    public static let identityListName = "image_train_part1.txt"
    public static let sequenceListName = "image_train_part2_seq.txt"
    public static let validationListName = "image_val.txt"
    public static let trainCSVName = "train.csv"
    public static let validationCSVName = "val.csv"
    public static let manifestName = ExportManifest.fileName
    /// The `format_version` of manifest.json (see schemas/export-manifest.schema.json).
    public static let manifestFormatVersion = ExportManifest.currentFormatVersion

    public let catalog: Catalog

    public init(catalog: Catalog) { self.catalog = catalog }

    /// One line of a list before rendering.
    struct Entry {
        var file: URL
        var faceID: Int?
        var seqID: Int?
        var trackID: Int64?
        var videoID: Int64?
        var source: String
        /// The identity's or the sequence's catalog id.
        var ownerID: Int64
        /// The identity's name (identity images).
        var name: String?
        /// The frame of a sequence face.
        var frame: Int?
        var geometry: CropGeometry?
        var label: Int { faceID ?? seqID! }
    }

    struct LabelledIdentity {
        var label: Int
        var identity: TrainingCandidates.Identity
        var images: [URL]
        /// The geometry of each of `images`.
        var geometries: [CropGeometry?]
    }

    public typealias CropGeometry = ExportManifest.CropGeometry

    struct LabelledSequence {
        var label: Int
        var sequence: TrainingCandidates.Sequence
        var faces: [URL]
        /// The frame of each of `faces`.
        var frames: [Int]
    }

    /// The labelled identities and sequences of an export, after the file checks.
    struct Labels {
        /// Identity labels 0 … F-1.
        var train: [LabelledIdentity] = []
        /// Held-out identities, labels 0 … V-1 of their own.
        var validation: [LabelledIdentity] = []
        /// Sequence labels -1 … -S.
        var sequences: [LabelledSequence] = []
        /// Catalog files that do not exist and were left out, in the order they were checked.
        var missingFiles: [String] = []
        /// Sequences exported under an imported identity's label, and sequences left out, for
        /// being that identity's person (`--sequence-overlap`).
        var relabelled: [SequenceIdentityMatch] = []
        var dropped: [SequenceIdentityMatch] = []
    }

    /// The lines of each list, before rendering.
    struct Lists {
        var identities: [Entry]
        var sequences: [Entry]
        var validation: [Entry]
        /// True when identities were held out (`image_val.txt` / `val.csv` is written).
        var hasValidation: Bool
    }

    /// One output file, rendered.
    struct RenderedFile {
        var name: String
        var role: String
        var lines: Int
        var data: Data
    }

    /// Exports with `options`; see the type's documentation.
    /// - Throws: `SeqError` for contradictory options, a non-empty output folder without
    ///   `force`, a path that cannot go in a list, or a write failure (then nothing is left).
    public func export(_ options: ExportOptions) throws -> ExportResult {
        try options.validate()
        let out = options.outDir.standardizedFileURL
        let root = (options.root ?? catalog.folder).standardizedFileURL
        try checkOutputFolder(out, force: options.force)

        let (matches, model) = try overlapMatches(options)
        let labels = Self.label(try catalog.trainingCandidates(), options: options, matches: matches)
        let geometry = try Self.geometry(of: labels)
        let lists = Self.lists(labels)
        var contents = try render(lists, options: options, root: root)
        let files = contents.map { ExportResult.File(name: $0.name, role: $0.role, lines: $0.lines, sha256: SHA256.hex($0.data)) }

        var filters = options.filters(root: root)
        filters.sequenceOverlap = options.sequenceOverlap.rawValue
        if options.sequenceOverlap != .keep, let model {
            filters.identityThreshold = options.identityThreshold
            filters.embeddingModel = model
        }
        var manifestContent = try manifest(labels, lists, files: files, filters: filters, options: options)
        manifestContent.cropGeometry = geometry
        let manifestData = try manifestContent.serialized()
        contents.append(RenderedFile(name: Self.manifestName, role: "manifest", lines: 0, data: manifestData))

        let record = ExportRecord(
            outDir: out.path, optionsJSON: try JSONValue(encoding: filters).serialized(.condensed), faceidNum: labels.train.count,
            seqidNum: labels.sequences.count, identityImages: lists.identities.count, sequenceFaces: lists.sequences.count,
            manifestSHA256: SHA256.hex(manifestData))
        let exportID = try writeAtomically(contents.map { ($0.name, $0.data) }, to: out, force: options.force) {
            try catalog.recordExport(record)
        }

        return ExportResult(outDir: out, faceidNum: labels.train.count, seqidNum: labels.sequences.count,
                            identityImages: lists.identities.count, sequenceFaces: lists.sequences.count,
                            validationIdentities: labels.validation.count, validationImages: lists.validation.count,
                            missingFiles: labels.missingFiles, files: files, exportID: exportID,
                            relabelled: labels.relabelled, dropped: labels.dropped)
    }

    // MARK: labelling

    /// Keeps the files that exist and notes the others.
    struct FileCheck {
        var missing: [String] = []

        mutating func existing(_ files: [URL]) -> [URL] {
            files.filter { url in
                if FileManager.default.fileExists(atPath: url.path) { return true }
                missing.append(url.path)
                return false
            }
        }
    }

    /// The sequences that are an imported identity's person, under `options` (none with
    /// `keep`), and the embedding model that decided (nil when the catalog has no embeddings).
    /// - Throws: `SeqError` when the catalog holds embeddings of several models and none is named.
    func overlapMatches(_ options: ExportOptions) throws -> (matches: [Int64: SequenceIdentityMatch], model: String?) {
        guard options.sequenceOverlap != .keep, let model = try catalog.decidingEmbeddingModel(named: options.embeddingModel) else {
            return ([:], nil)
        }
        return (try catalog.sequenceIdentityMatches(model: model, threshold: options.identityThreshold), model)
    }

    /// Labels the candidates `options` asks for: identities first, then sequences. Sequences in
    /// `matches` (an imported identity's person) are relabelled or dropped by
    /// `options.sequenceOverlap`: relabelled faces join that identity's images when the identity
    /// is exported for training, and are dropped otherwise (held out for validation, too few
    /// images, or `--sequences-only`), since training on them as a sequence would push the
    /// person away from their own identity.
    static func label(_ candidates: TrainingCandidates, options: ExportOptions,
                      matches: [Int64: SequenceIdentityMatch] = [:]) -> Labels {
        var labels = Labels()
        var check = FileCheck()
        if !options.sequencesOnly {
            (labels.train, labels.validation) = labelIdentities(candidates.identities, options: options, check: &check)
        }
        if !options.identitiesOnly {
            var plain: [TrainingCandidates.Sequence] = []
            for sequence in candidates.sequences {
                guard options.geometry == nil || sequence.geometry == options.geometry else { continue }
                guard let match = matches[sequence.id] else { plain.append(sequence); continue }
                let files = check.existing(sequence.faces.map(\.file))
                guard !files.isEmpty else { continue }
                if options.sequenceOverlap == .relabel, let k = labels.train.firstIndex(where: { $0.identity.id == match.identityID }) {
                    labels.train[k].images += files
                    labels.train[k].geometries += files.map { _ in sequence.geometry }
                    labels.relabelled.append(match)
                } else {
                    labels.dropped.append(match)
                }
            }
            labels.sequences = labelSequences(plain, options: options, check: &check)
        }
        labels.missingFiles = check.missing
        return labels
    }

    /// Identities: file check, minimum count, validation split, labels 0 … F-1 (and 0 … V-1).
    static func labelIdentities(_ identities: [TrainingCandidates.Identity], options: ExportOptions, check: inout FileCheck)
        -> (train: [LabelledIdentity], validation: [LabelledIdentity]) {
        var train: [LabelledIdentity] = []
        var validation: [LabelledIdentity] = []
        var usable: [(TrainingCandidates.Identity, [URL], [CropGeometry?])] = []
        for identity in identities {
            let wanted = identity.images.filter { options.geometry == nil || $0.geometry == options.geometry }
            let existing = Set(check.existing(wanted.map(\.file)))
            let kept = wanted.filter { existing.contains($0.file) }
            if kept.count >= options.minImagesPerIdentity { usable.append((identity, kept.map(\.file), kept.map(\.geometry))) }
        }
        let held = validationSelection(usable.map { ($0.0.dataset, $0.0.name) }, fraction: options.valFraction)
        for (i, (identity, images, geometries)) in usable.enumerated() {
            if held.contains(i) {
                validation.append(LabelledIdentity(label: validation.count, identity: identity, images: images, geometries: geometries))
            } else {
                train.append(LabelledIdentity(label: train.count, identity: identity, images: images, geometries: geometries))
            }
        }
        return (train, validation)
    }

    /// Sequences: file check, per-video cap, labels -1 … -S in sequence id order.
    static func labelSequences(_ sequences: [TrainingCandidates.Sequence], options: ExportOptions, check: inout FileCheck)
        -> [LabelledSequence] {
        var usable: [(TrainingCandidates.Sequence, [URL])] = []
        var frames: [Int64: [Int]] = [:]
        for sequence in sequences where options.geometry == nil || sequence.geometry == options.geometry {
            let existing = Set(check.existing(sequence.faces.map(\.file)))
            let kept = sequence.faces.filter { existing.contains($0.file) }
            if !kept.isEmpty {
                usable.append((sequence, kept.map(\.file)))
                frames[sequence.id] = kept.map(\.frame)
            }
        }
        if let cap = options.maxSequencesPerVideo { usable = capped(usable, perVideo: cap) }
        return usable.enumerated().map { i, item in
            LabelledSequence(label: -(i + 1), sequence: item.0, faces: item.1, frames: frames[item.0.id] ?? [])
        }
    }

    /// At most `cap` sequences of each video, those with the most faces (then the lowest id),
    /// in their original order.
    static func capped(_ usable: [(TrainingCandidates.Sequence, [URL])], perVideo cap: Int) -> [(TrainingCandidates.Sequence, [URL])] {
        var chosen = Set<Int64>()
        let byVideo = Dictionary(grouping: usable, by: { $0.0.videoID })
        for (_, group) in byVideo {
            let ranked = group.sorted { a, b in
                a.1.count != b.1.count ? a.1.count > b.1.count : a.0.id < b.0.id
            }
            for item in ranked.prefix(cap) { chosen.insert(item.0.id) }
        }
        return usable.filter { chosen.contains($0.0.id) }
    }

    // MARK: crop geometry

    /// The one crop geometry of the labelled files (nil when none is known).
    /// - Throws: `SeqError` naming each geometry with its counts when they differ; crops of
    ///   unknown geometry (no ingest run recorded) never count as a mix.
    static func geometry(of labels: Labels) throws -> CropGeometry? {
        var faces: [CropGeometry: Int] = [:]
        var images: [CropGeometry: Int] = [:]
        for li in labels.train + labels.validation {
            for g in li.geometries { if let g { images[g, default: 0] += 1 } }
        }
        for ls in labels.sequences { if let g = ls.sequence.geometry { faces[g, default: 0] += ls.faces.count } }
        let all = Set(faces.keys).union(images.keys).sorted()
        guard all.count > 1 else { return all.first }
        let parts = all.map { g -> String in
            var counts: [String] = []
            if let n = faces[g] { counts.append("\(n) \(n == 1 ? "face" : "faces")") }
            if let n = images[g] { counts.append("\(n) \(n == 1 ? "image" : "images")") }
            return "\(g) (\(counts.joined(separator: ", ")))"
        }
        throw SeqError("the export would mix crop geometries: \(parts.joined(separator: ", ")); export one geometry at a time with "
                       + all.map { "--geometry \($0)" }.joined(separator: " or ")
                       + " (or re-ingest / re-import so that every crop has one geometry)")
    }

    // MARK: lists and manifest

    /// The entries of each list.
    static func lists(_ labels: Labels) -> Lists {
        func entries(_ identities: [LabelledIdentity]) -> [Entry] {
            identities.flatMap { li in
                zip(li.images, li.geometries).map {
                    Entry(file: $0.0, faceID: li.label, seqID: nil, trackID: nil, videoID: nil, source: li.identity.dataset,
                          ownerID: li.identity.id, name: li.identity.name, frame: nil, geometry: $0.1)
                }
            }
        }
        let sequenceEntries = labels.sequences.flatMap { ls in
            zip(ls.faces, ls.frames).map {
                Entry(file: $0.0, faceID: nil, seqID: ls.label, trackID: ls.sequence.trackID, videoID: ls.sequence.videoID,
                      source: ls.sequence.videoPath, ownerID: ls.sequence.id, name: nil, frame: $0.1, geometry: ls.sequence.geometry)
            }
        }
        return Lists(identities: entries(labels.train), sequences: sequenceEntries, validation: entries(labels.validation),
                     hasValidation: !labels.validation.isEmpty)
    }

    /// The list files of `options.format`, in manifest order.
    func render(_ lists: Lists, options: ExportOptions, root: URL) throws -> [RenderedFile] {
        var contents: [RenderedFile] = []
        switch options.format {
        case .caffe:
            if !options.sequencesOnly {
                contents.append(RenderedFile(name: Self.identityListName, role: "identities", lines: lists.identities.count,
                                             data: try caffeList(lists.identities, options: options, root: root)))
            }
            if !options.identitiesOnly {
                contents.append(RenderedFile(name: Self.sequenceListName, role: "sequences", lines: lists.sequences.count,
                                             data: try caffeList(lists.sequences, options: options, root: root)))
            }
            if lists.hasValidation {
                contents.append(RenderedFile(name: Self.validationListName, role: "validation", lines: lists.validation.count,
                                             data: try caffeList(lists.validation, options: options, root: root)))
            }
        case .webdataset:
            contents += try shards(lists.identities + lists.sequences, prefix: "shard", role: "shard", options: options, root: root)
            if lists.hasValidation {
                contents += try shards(lists.validation, prefix: "val-shard", role: "validation_shard", options: options, root: root)
            }
        case .csv:
            let trainEntries = lists.identities + lists.sequences
            contents.append(RenderedFile(name: Self.trainCSVName, role: "train", lines: trainEntries.count,
                                         data: try csvList(trainEntries, options: options, root: root)))
            if lists.hasValidation {
                contents.append(RenderedFile(name: Self.validationCSVName, role: "validation", lines: lists.validation.count,
                                             data: try csvList(lists.validation, options: options, root: root)))
            }
        }
        return contents
    }

    /// manifest.json (the `ExportManifest` contract): F, S, counts, the filters, the list files,
    /// and every label.
    func manifest(_ labels: Labels, _ lists: Lists, files: [ExportResult.File], filters: ExportManifest.Filters,
                  options: ExportOptions) throws -> ExportManifest {
        let train = labels.train, validation = labels.validation, sequences = labels.sequences
        return ExportManifest(
            formatVersion: Self.manifestFormatVersion, seqcurateVersion: options.toolVersion,
            catalogSchemaVersion: try catalog.schemaVersion(), faceidNum: train.count, seqidNum: sequences.count,
            counts: ExportManifest.Counts(
                identities: train.count, identityImages: lists.identities.count, sequences: sequences.count,
                sequenceFaces: lists.sequences.count, videos: Set(sequences.map(\.sequence.videoID)).count,
                validationIdentities: validation.count, validationImages: lists.validation.count,
                missingFiles: labels.missingFiles.count, relabelledSequences: labels.relabelled.count,
                droppedSequences: labels.dropped.count),
            filters: filters,
            files: files.map { ExportManifest.File(name: $0.name, role: $0.role, lines: $0.lines, sha256: $0.sha256) },
            labels: ExportManifest.Labels(
                identities: train.map(Self.identityLabel),
                sequences: sequences.map { ls in
                    ExportManifest.SequenceLabel(label: ls.label, sequenceID: Int(ls.sequence.id), videoID: Int(ls.sequence.videoID),
                                                 video: ls.sequence.videoPath, trackID: Int(ls.sequence.trackID),
                                                 trackIndex: ls.sequence.trackIndex, faces: ls.faces.count)
                },
                validation: validation.map(Self.identityLabel)))
    }

    static func identityLabel(_ li: LabelledIdentity) -> ExportManifest.IdentityLabel {
        ExportManifest.IdentityLabel(label: li.label, identityID: Int(li.identity.id), dataset: li.identity.dataset,
                                     name: li.identity.name, images: li.images.count)
    }

    /// Indices of the identities held out for validation: the `fraction` whose SHA-256 of
    /// `dataset/name` is smallest. Depends only on the names, so adding identities moves few.
    static func validationSelection(_ identities: [(dataset: String, name: String)], fraction: Double) -> Set<Int> {
        guard fraction > 0, !identities.isEmpty else { return [] }
        let count = min(identities.count - 1, Int((fraction * Double(identities.count)).rounded()))
        guard count > 0 else { return [] }
        let keyed = identities.enumerated().map { (index: $0.offset, key: SHA256.hex(Data("\($0.element.dataset)/\($0.element.name)".utf8))) }
        return Set(keyed.sorted { $0.key < $1.key }.prefix(count).map(\.index))
    }

    // MARK: rendering

    func listPath(_ file: URL, options: ExportOptions, root: URL) throws -> String {
        let path = options.paths == .absolute ? file.standardizedFileURL.path : Self.relativePath(file, to: root)
        if PrintableName.hasLineBreak(path) {
            throw SeqError("a path with a line break cannot go into a list", file: PrintableName.escaped(file.path))
        }
        return path
    }

    /// Caffe ImageData: `path label` per line; Caffe splits at the last space.
    func caffeList(_ entries: [Entry], options: ExportOptions, root: URL) throws -> Data {
        var text = ""
        for e in entries {
            text += try listPath(e.file, options: options, root: root)
            text += " \(e.label)\n"
        }
        return Data(text.utf8)
    }

    /// CSV (RFC 4180) with the columns path, face_id, seq_id, track, video, source.
    func csvList(_ entries: [Entry], options: ExportOptions, root: URL) throws -> Data {
        var text = "path,face_id,seq_id,track,video,source\n"
        for e in entries {
            let path = try listPath(e.file, options: options, root: root)
            let faceID: String = e.faceID.map { String($0) } ?? ""
            let seqID: String = e.seqID.map { String($0) } ?? ""
            let track: String = e.trackID.map { String($0) } ?? ""
            let video: String = e.videoID.map { String($0) } ?? ""
            let fields: [String] = [path, faceID, seqID, track, video, e.source]
            text += fields.map(Self.csvField).joined(separator: ",") + "\n"
        }
        return Data(text.utf8)
    }

    /// WebDataset tar shards `PREFIX-000000.tar`, … of `options.shardSize` samples each: per sample
    /// `KEY.jpg` (the file's bytes; `.png` etc. keep their extension) and `KEY.json`. KEY is the
    /// sample's position, 9 digits, so members sort in export order and names stay short.
    func shards(_ entries: [Entry], prefix: String, role: String, options: ExportOptions, root: URL) throws -> [RenderedFile] {
        var files: [RenderedFile] = []
        var start = 0
        repeat {
            let chunk = entries[start..<min(start + options.shardSize, entries.count)]
            var tar = TarWriter()
            for (i, e) in zip(chunk.indices, chunk) {
                let key = String(format: "%09d", i)
                var ext = e.file.pathExtension.lowercased()
                if ext.isEmpty || ext == "jpeg" { ext = "jpg" }
                if !ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) { ext = "bin" }
                let image: Data
                do { image = try Data(contentsOf: e.file) } catch {
                    throw SeqError("cannot read a file of the export: \(IOFailure.reason(of: error))", file: e.file.path)
                }
                try tar.append(name: "\(key).\(ext)", contents: image)
                try tar.append(name: "\(key).json", contents: try sampleJSON(e, options: options, root: root))
            }
            files.append(RenderedFile(name: prefix + "-" + String(format: "%06d", files.count) + ".tar", role: role, lines: chunk.count,
                                      data: tar.finished()))
            start += options.shardSize
        } while start < entries.count
        return files
    }

    /// The `.json` of one sample: label (negative for sequences), the identity or the sequence,
    /// the list path, the crop geometry.
    func sampleJSON(_ e: Entry, options: ExportOptions, root: URL) throws -> Data {
        var members: [(String, JSONValue)] = [("label", .int(e.label))]
        if e.seqID != nil {
            members += [("sequence_id", .int(Int(e.ownerID))), ("video_id", .int(Int(e.videoID ?? 0))), ("video", .string(e.source)),
                        ("track_id", .int(Int(e.trackID ?? 0))), ("frame", e.frame.map { .int($0) } ?? .null)]
        } else {
            members += [("identity_id", .int(Int(e.ownerID))), ("dataset", .string(e.source)), ("name", .string(e.name ?? ""))]
        }
        members.append(("path", .string(try listPath(e.file, options: options, root: root))))
        members.append(("crop_geometry", e.geometry.map { .object([("method", .string($0.method)), ("size", $0.size.map { .int($0) } ?? .null)]) } ?? .null))
        return Data((JSONValue.object(members).serialized(.condensed) + "\n").utf8)
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// `file` relative to `root`, with `..` where it lies outside.
    public static func relativePath(_ file: URL, to root: URL) -> String {
        let f = file.standardizedFileURL.pathComponents
        let r = root.standardizedFileURL.pathComponents
        var common = 0
        while common < f.count, common < r.count, f[common] == r[common] { common += 1 }
        return (Array(repeating: "..", count: r.count - common) + f[common...]).joined(separator: "/")
    }

    // MARK: writing

    func checkOutputFolder(_ out: URL, force: Bool) throws {
        // Shared with `report`: never write over the catalog, its crops or the files it uses.
        try catalog.checkOutputFolder(out)
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: out.path, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw SeqError("the output exists and is not a folder", file: out.path) }
        let items = (try? fm.contentsOfDirectory(atPath: out.path)) ?? []
        guard !items.isEmpty else { return }
        guard force else { throw SeqError("the output folder is not empty; use --force to replace it", file: out.path) }
    }

    /// Writes `files` into a fresh folder beside `out`, then renames it to `out`; an old
    /// non-empty `out` (with `force`) is moved aside first and removed after.
    ///
    /// `record` (the catalog's `exports` row) runs in one transaction with the rename: if either
    /// fails, neither is kept, so a failed export leaves no lists behind (and a retry finds the
    /// folder as it was) and the catalog never lists an export that is not there. A catalog
    /// opened read-only is not recorded in; nil is returned then.
    func writeAtomically(_ files: [(name: String, data: Data)], to out: URL, force: Bool,
                         record: () throws -> Int64) throws -> Int64? {
        let fm = FileManager.default
        let parent = out.deletingLastPathComponent()
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let staging = parent.appendingPathComponent(".\(out.lastPathComponent).export-\(tag)")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
            for f in files {
                try OutputFile.create(f.data, at: staging.appendingPathComponent(f.name))
            }
        } catch {
            try? fm.removeItem(at: staging)
            // The temporary file's name means nothing to the user: the reason names the export.
            var reason = IOFailure.reason(of: error)
            if reason.hasPrefix("cannot write: ") { reason.removeFirst("cannot write: ".count) }
            throw SeqError("cannot write the export: \(reason)", file: out.path)
        }
        var installed: OutputFolder.Installed?
        /// Puts the staged folder at `out` (swapped with a non-empty old one under `force`).
        func place() throws {
            if fm.fileExists(atPath: out.path) {
                // Re-check under the final step: another export may have filled it meanwhile.
                let items = (try? fm.contentsOfDirectory(atPath: out.path)) ?? []
                if items.isEmpty {
                    rmdir(out.path)
                } else if !force {
                    throw SeqError("the output folder is not empty; use --force to replace it", file: out.path)
                }
            }
            installed = try OutputFolder.install(staging, at: out)
        }
        do {
            var id: Int64?
            if catalog.isReadOnly {
                try place()
            } else {
                try catalog.transaction {
                    id = try record()
                    try place()
                }
            }
            if let installed { OutputFolder.discardOld(installed) }
            return id
        } catch {
            // The commit failed after the swap: put everything back as it was.
            if let installed { OutputFolder.undo(installed) }
            try? fm.removeItem(at: staging)
            if let e = error as? SeqError { throw e }
            throw SeqError("cannot write the export: \(IOFailure.reason(of: error))", file: out.path)
        }
    }
}
