import Foundation

/// `manifest.json`, written by `seqcurate export` (SeqCatalog) beside the training lists and
/// read by `seqcurate train` (SeqTrain). The one definition of its keys: the exporter encodes
/// this type and training decodes its keys from here, so a renamed key cannot leave one side
/// behind. `schemas/export-manifest.schema.json` describes the same file; members are declared in
/// the order they are written, since exports are byte-identical for the same catalog.
public struct ExportManifest: Codable, Equatable, Sendable {
    public static let fileName = "manifest.json"
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var seqcurateVersion: String
    public var catalogSchemaVersion: Int
    /// F: identity labels are 0 … F-1.
    public var faceidNum: Int
    /// S: sequence labels are -1 … -S.
    public var seqidNum: Int
    public var counts: Counts
    public var filters: Filters
    /// The geometry of every crop the export lists (an export never mixes geometries); nil
    /// (written as null) when the catalog does not say how any of them was cut.
    public var cropGeometry: CropGeometry?
    public var files: [File]
    public var labels: Labels

    public init(formatVersion: Int = ExportManifest.currentFormatVersion, seqcurateVersion: String, catalogSchemaVersion: Int,
                faceidNum: Int, seqidNum: Int, counts: Counts, filters: Filters, cropGeometry: CropGeometry? = nil,
                files: [File], labels: Labels) {
        self.formatVersion = formatVersion
        self.seqcurateVersion = seqcurateVersion
        self.catalogSchemaVersion = catalogSchemaVersion
        self.faceidNum = faceidNum
        self.seqidNum = seqidNum
        self.counts = counts
        self.filters = filters
        self.cropGeometry = cropGeometry
        self.files = files
        self.labels = labels
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case formatVersion = "format_version", seqcurateVersion = "seqcurate_version", catalogSchemaVersion = "catalog_schema_version"
        case faceidNum = "faceid_num", seqidNum = "seqid_num", counts, filters, cropGeometry = "crop_geometry", files, labels
    }

    /// How a crop was cut: `seqface` or `similarity` (aligned by seqcurate at `size` pixels),
    /// `as-is` (identity images imported with `--aligned` and no stated geometry; `size` when
    /// known). Written as `method/size` (or `method`) in messages and in `--geometry`.
    public struct CropGeometry: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
        public static let asIs = "as-is"
        public var method: String
        /// Crop side in pixels; nil when not known.
        public var size: Int?

        public init(method: String, size: Int?) {
            self.method = method
            self.size = size
        }

        /// `seqface/144`, `similarity/112`, `as-is`.
        public var description: String { size.map { "\(method)/\($0)" } ?? method }

        /// Parses `method/size` or `method`; nil when malformed.
        public init?(parsing text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard let first = parts.first, !first.isEmpty, parts.count <= 2 else { return nil }
            if parts.count == 2 {
                guard let n = Int(parts[1]), n > 0 else { return nil }
                self.init(method: String(first), size: n)
            } else {
                self.init(method: String(first), size: nil)
            }
        }

        public static func < (a: CropGeometry, b: CropGeometry) -> Bool {
            a.method != b.method ? a.method < b.method : (a.size ?? 0) < (b.size ?? 0)
        }
    }

    public struct Counts: Codable, Equatable, Sendable {
        public var identities: Int
        public var identityImages: Int
        public var sequences: Int
        public var sequenceFaces: Int
        /// Videos that gave at least one exported sequence.
        public var videos: Int
        public var validationIdentities: Int
        public var validationImages: Int
        /// Catalog files not found on disk and left out.
        public var missingFiles: Int
        /// Sequences whose person is an imported identity, exported under that identity's label
        /// (`--sequence-overlap relabel`); their faces count in `identityImages`, not in `sequences`.
        public var relabelledSequences: Int
        /// Sequences whose person is an imported identity, left out (`--sequence-overlap drop`,
        /// or relabel when that identity is not exported for training).
        public var droppedSequences: Int

        public init(identities: Int, identityImages: Int, sequences: Int, sequenceFaces: Int, videos: Int,
                    validationIdentities: Int, validationImages: Int, missingFiles: Int,
                    relabelledSequences: Int = 0, droppedSequences: Int = 0) {
            self.relabelledSequences = relabelledSequences
            self.droppedSequences = droppedSequences
            self.identities = identities
            self.identityImages = identityImages
            self.sequences = sequences
            self.sequenceFaces = sequenceFaces
            self.videos = videos
            self.validationIdentities = validationIdentities
            self.validationImages = validationImages
            self.missingFiles = missingFiles
        }

        enum CodingKeys: String, CodingKey {
            case identities, identityImages = "identity_images", sequences, sequenceFaces = "sequence_faces", videos
            case validationIdentities = "validation_identities", validationImages = "validation_images", missingFiles = "missing_files"
            case relabelledSequences = "relabelled_sequences", droppedSequences = "dropped_sequences"
        }

        /// Manifests written before identity overlap was decided have no relabelled or dropped
        /// counts: they read as 0.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            identities = try c.decode(Int.self, forKey: .identities)
            identityImages = try c.decode(Int.self, forKey: .identityImages)
            sequences = try c.decode(Int.self, forKey: .sequences)
            sequenceFaces = try c.decode(Int.self, forKey: .sequenceFaces)
            videos = try c.decode(Int.self, forKey: .videos)
            validationIdentities = try c.decode(Int.self, forKey: .validationIdentities)
            validationImages = try c.decode(Int.self, forKey: .validationImages)
            missingFiles = try c.decode(Int.self, forKey: .missingFiles)
            relabelledSequences = try c.decodeIfPresent(Int.self, forKey: .relabelledSequences) ?? 0
            droppedSequences = try c.decodeIfPresent(Int.self, forKey: .droppedSequences) ?? 0
        }
    }

    /// The export's options; also stored as text in the catalog's exports table.
    public struct Filters: Codable, Equatable, Sendable {
        public var minImagesPerIdentity: Int
        /// nil: every sequence (written as null).
        public var maxSequencesPerVideo: Int?
        public var identitiesOnly: Bool
        public var sequencesOnly: Bool
        public var valFraction: Double
        /// `relative` or `absolute`.
        public var paths: String
        /// Relative paths are relative to this folder (Caffe's root_folder).
        public var root: String
        /// `caffe` or `csv`.
        public var format: String
        public var exclusionsApplied: Bool
        /// `--geometry`: only crops of this geometry (`method/size`); nil (null): no such filter.
        public var geometry: String?
        /// `--shard-size` of a webdataset export; nil (null) for the other formats.
        public var shardSize: Int?
        /// `--sequence-overlap` (relabel, drop, keep); nil in manifests written before it existed.
        public var sequenceOverlap: String?
        /// `--identity-threshold` and the embedding model that decided the overlap; nil when
        /// nothing was decided (keep, or no embeddings in the catalog).
        public var identityThreshold: Float?
        public var embeddingModel: String?

        public init(minImagesPerIdentity: Int, maxSequencesPerVideo: Int?, identitiesOnly: Bool, sequencesOnly: Bool,
                    valFraction: Double, paths: String, root: String, format: String, exclusionsApplied: Bool,
                    geometry: String? = nil, shardSize: Int? = nil) {
            self.minImagesPerIdentity = minImagesPerIdentity
            self.maxSequencesPerVideo = maxSequencesPerVideo
            self.identitiesOnly = identitiesOnly
            self.sequencesOnly = sequencesOnly
            self.valFraction = valFraction
            self.paths = paths
            self.root = root
            self.format = format
            self.exclusionsApplied = exclusionsApplied
            self.geometry = geometry
            self.shardSize = shardSize
        }

        public static let relativePaths = "relative"

        public enum CodingKeys: String, CodingKey {
            case minImagesPerIdentity = "min_images_per_identity", maxSequencesPerVideo = "max_sequences_per_video"
            case identitiesOnly = "identities_only", sequencesOnly = "sequences_only", valFraction = "val_fraction"
            case paths, root, format, exclusionsApplied = "exclusions_applied", geometry
            case shardSize = "shard_size"
            case sequenceOverlap = "sequence_overlap", identityThreshold = "identity_threshold", embeddingModel = "embedding_model"
        }
    }

    /// One file of the export with its checksum.
    public struct File: Codable, Equatable, Sendable {
        public var name: String
        /// `identities`, `sequences`, `validation` or `train`; `shard` or `validation_shard` (webdataset).
        public var role: String
        /// Data lines (a CSV header is not counted); samples of a shard.
        public var lines: Int
        public var sha256: String

        public init(name: String, role: String, lines: Int, sha256: String) {
            self.name = name
            self.role = role
            self.lines = lines
            self.sha256 = sha256
        }
    }

    public struct Labels: Codable, Equatable, Sendable {
        public var identities: [IdentityLabel]
        public var sequences: [SequenceLabel]
        public var validation: [IdentityLabel]

        public init(identities: [IdentityLabel], sequences: [SequenceLabel], validation: [IdentityLabel]) {
            self.identities = identities
            self.sequences = sequences
            self.validation = validation
        }
    }

    public struct IdentityLabel: Codable, Equatable, Sendable {
        public var label: Int
        public var identityID: Int
        public var dataset: String
        public var name: String
        public var images: Int

        public init(label: Int, identityID: Int, dataset: String, name: String, images: Int) {
            self.label = label
            self.identityID = identityID
            self.dataset = dataset
            self.name = name
            self.images = images
        }

        enum CodingKeys: String, CodingKey { case label, identityID = "identity_id", dataset, name, images }
    }

    public struct SequenceLabel: Codable, Equatable, Sendable {
        public var label: Int
        public var sequenceID: Int
        public var videoID: Int
        public var video: String
        public var trackID: Int
        public var trackIndex: Int
        public var faces: Int

        public init(label: Int, sequenceID: Int, videoID: Int, video: String, trackID: Int, trackIndex: Int, faces: Int) {
            self.label = label
            self.sequenceID = sequenceID
            self.videoID = videoID
            self.video = video
            self.trackID = trackID
            self.trackIndex = trackIndex
            self.faces = faces
        }

        enum CodingKeys: String, CodingKey {
            case label, sequenceID = "sequence_id", videoID = "video_id", video, trackID = "track_id", trackIndex = "track_index", faces
        }
    }

    /// The file's bytes: `JSONValue`'s condensed layout and a final newline.
    public func serialized() throws -> Data {
        Data((try JSONValue(encoding: self).serialized(.condensed) + "\n").utf8)
    }

    /// Reads a manifest; a missing key or a value of the wrong kind is an error naming the file and key.
    public static func read(_ data: Data, file: String) throws -> ExportManifest {
        try JSONValue.decode(ExportManifest.self, from: data, file: file)
    }
}

extension ExportManifest {
    /// What training takes from a manifest beside its lists: the class counts and the root of
    /// relative paths. Only `format_version` is required (it marks the file as an export
    /// manifest); the rest is used where present, so a hand-made or older manifest still works.
    /// A count that is not a whole number is left out (the lists' labels then give it).
    public struct TrainingView: Decodable, Sendable {
        public var formatVersion: Int
        public var faceidNum: Int?
        public var seqidNum: Int?
        /// `filters.root` when `filters.paths` is relative.
        public var root: String?

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: ExportManifest.CodingKeys.self)
            formatVersion = try c.decode(Int.self, forKey: .formatVersion)
            // Int(exactly:) rather than a conversion: a huge or fractional number becomes nil, not a trap.
            faceidNum = try c.decodeIfPresent(Double.self, forKey: .faceidNum).flatMap { Int(exactly: $0) }
            seqidNum = try c.decodeIfPresent(Double.self, forKey: .seqidNum).flatMap { Int(exactly: $0) }
            if c.contains(.filters) {
                let f = try c.nestedContainer(keyedBy: Filters.CodingKeys.self, forKey: .filters)
                let paths = try f.decodeIfPresent(String.self, forKey: .paths)
                root = paths == Filters.relativePaths ? try f.decodeIfPresent(String.self, forKey: .root) : nil
            }
        }

        public static func read(_ data: Data, file: String) throws -> TrainingView {
            try JSONValue.decode(TrainingView.self, from: data, file: file)
        }
    }
}
