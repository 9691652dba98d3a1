import Foundation
import SeqCore

/// The options of `seqcurate export`.
public struct ExportOptions: Sendable {
    public enum PathStyle: String, Sendable, CaseIterable { case relative, absolute }
    public enum Format: String, Sendable, CaseIterable { case caffe, csv, webdataset }
    /// What happens to a sequence whose person matches an imported identity
    /// (`Catalog.sequenceIdentityMatches`).
    public enum SequenceOverlap: String, Sendable, CaseIterable {
        /// Its faces are exported as images of that identity, with the identity's label.
        case relabel
        /// It is left out.
        case drop
        /// It is exported as a sequence, as without embeddings.
        case keep
    }

    /// The folder to write; must be missing or empty unless `force`.
    public var outDir: URL
    /// Identities with fewer usable images are left out.
    public var minImagesPerIdentity = 1
    /// At most this many sequences per video (the ones with the most faces); nil: all.
    public var maxSequencesPerVideo: Int?
    public var identitiesOnly = false
    public var sequencesOnly = false
    /// The fraction of identities held out for validation (written to the val list, not trained).
    public var valFraction = 0.0
    public var paths: PathStyle = .relative
    /// Relative paths are relative to this folder; nil: the catalog folder. Caffe's
    /// `root_folder` must then be this folder with a trailing slash.
    public var root: URL?
    public var format: Format = .caffe
    /// Samples per tar shard of `--format webdataset`.
    public var shardSize = 1000
    /// Only crops of this geometry (`--geometry seqface/144`); nil: all, and an export that would
    /// mix geometries is refused.
    public var geometry: ExportManifest.CropGeometry?
    /// Replace a non-empty `outDir`.
    public var force = false
    /// Recorded in the manifest.
    public var toolVersion = "unknown"
    /// Sequences that are an imported identity's person (default relabel).
    public var sequenceOverlap: SequenceOverlap = .relabel
    /// Largest distance between a sequence's person and an identity's centre that counts as the
    /// same person (default `defaultIdentityThreshold`).
    public var identityThreshold: Float = ExportOptions.defaultIdentityThreshold
    /// The embedding model whose embeddings decide; nil: the only one in the catalog.
    public var embeddingModel: String?
    /// The default of `identityThreshold` (see docs/export.md for the measurement).
    public static let defaultIdentityThreshold: Float = 0.5

    public init(outDir: URL) { self.outDir = outDir }

    /// Checks the options against each other.
    public func validate() throws {
        if identitiesOnly && sequencesOnly {
            throw SeqError("--identities-only and --sequences-only exclude each other")
        }
        if shardSize < 1 { throw SeqError("--shard-size must be at least 1") }
        if minImagesPerIdentity < 1 { throw SeqError("--min-images-per-identity must be at least 1") }
        if let m = maxSequencesPerVideo, m < 1 { throw SeqError("--max-sequences-per-video must be at least 1") }
        if !(0..<1).contains(valFraction) { throw SeqError("--val-fraction must be in [0, 1)") }
        if !(identityThreshold > 0) { throw SeqError("--identity-threshold must be positive") }
        if sequencesOnly && valFraction > 0 { throw SeqError("--val-fraction holds out identities; it makes no sense with --sequences-only") }
    }

    /// Every filter, for the manifest and the catalog's export record.
    func filters(root: URL) -> ExportManifest.Filters {
        ExportManifest.Filters(minImagesPerIdentity: minImagesPerIdentity, maxSequencesPerVideo: maxSequencesPerVideo,
                               identitiesOnly: identitiesOnly, sequencesOnly: sequencesOnly, valFraction: valFraction,
                               paths: paths.rawValue, root: root.path, format: format.rawValue, exclusionsApplied: true,
                               geometry: geometry?.description, shardSize: format == .webdataset ? shardSize : nil)
    }
}
