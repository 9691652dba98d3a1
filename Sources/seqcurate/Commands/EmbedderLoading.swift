import Foundation
import SeqCore
import SeqEmbed
import SeqDetect
import SeqIngest
import SeqMedia

/// The face embedding network for the commands that decide by identity (ingest,
/// import-identities, exclude), as the `FaceIdentityEmbedder` value SeqIngest takes.
enum EmbedderLoading {
    /// The model name stored with every embedding.
    static let modelName = "dlib_face_resnet_v1"

    /// The embedder; throws a `SeqError` naming where it looked when the weights are missing
    /// (`WeightsLocator.dlibFace`: --embedding-weights, $SEQCURATE_DLIB_WEIGHTS, …).
    static func load(_ explicit: String?) throws -> FaceIdentityEmbedder {
        wrap(try FaceEmbedder(weights: try WeightsLocator.dlibFace(explicit)))
    }

    /// The embedder when its weights are found (an explicit path must exist); nil otherwise,
    /// with a note on standard error unless `quiet`: ingest and import then run as without
    /// identity decisions.
    static func loadIfFound(_ explicit: String?, quiet: Bool) throws -> FaceIdentityEmbedder? {
        guard let url = try weights(explicit, quiet: quiet) else { return nil }
        return wrap(try FaceEmbedder(weights: url))
    }

    /// As `loadIfFound`, but the network (about 50 ms of reading and folding weights) loads on
    /// another thread while the caller goes on; the embedder's `prepare` waits for it and throws
    /// the load's error. Ingest uses it: the load overlaps opening the catalog and decoding and
    /// detecting the first frames. A missing file is reported at once, as by `loadIfFound`.
    /// Ingest's chips start the shape predictor from the snapped estimate of dlib's box
    /// (`FaceEmbedder.StartBox`): scoring dlib's detector for every sampled face would cost ingest
    /// 30-50% at 640x360 (docs/embedding.md).
    static func startLoadingIfFound(_ explicit: String?, quiet: Bool) throws -> FaceIdentityEmbedder? {
        guard let url = try weights(explicit, quiet: quiet) else { return nil }
        guard FileManager.default.fileExists(atPath: url.path) else { return wrap(try FaceEmbedder(weights: url, startBox: .snappedEstimate)) }
        let job = BackgroundJob { Result { try FaceEmbedder(weights: url, startBox: .snappedEstimate) } }
        return FaceIdentityEmbedder(model: modelName, prepare: { _ = try job.wait().get() }) { image, faces in
            guard let net = try? job.wait().get() else { return Array(repeating: nil, count: faces.count) }
            return embed(net, image, faces)
        }
    }

    /// Where the weights are: the explicit path or $SEQCURATE_DLIB_WEIGHTS as given (missing
    /// there is an error, when loading), else the first place `WeightsLocator` finds them; nil,
    /// with the note, when they are nowhere.
    private static func weights(_ explicit: String?, quiet: Bool) throws -> URL? {
        if explicit != nil || ProcessInfo.processInfo.environment["SEQCURATE_DLIB_WEIGHTS"].map({ !$0.isEmpty }) == true {
            return try WeightsLocator.dlibFace(explicit)
        }
        guard let url = try? WeightsLocator.dlibFace(nil) else {
            if !quiet {
                printError("seqcurate: note: face embedding weights (\(FaceEmbedder.weightsFileName)) not found; "
                    + "no decisions by identity (run tools/setup.sh, or pass --embedding-weights)")
            }
            return nil
        }
        return url
    }

    private static func wrap(_ net: FaceEmbedder) -> FaceIdentityEmbedder {
        FaceIdentityEmbedder(model: modelName) { image, faces in embed(net, image, faces) }
    }

    private static func embed(_ net: FaceEmbedder, _ image: Image, _ faces: [FaceDetection]) -> [[Float]?] {
        // FaceChip's chips are always 150x150 RGB, so embed never throws for them; a face
        // that still fails counts as not sampled.
        (try? net.embed(faces: faces, in: image)) ?? Array(repeating: nil, count: faces.count)
    }
}
