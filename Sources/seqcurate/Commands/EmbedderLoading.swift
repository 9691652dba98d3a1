import Foundation
import SeqCore
import SeqEmbed
import SeqIngest

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
        if explicit != nil || ProcessInfo.processInfo.environment["SEQCURATE_DLIB_WEIGHTS"].map({ !$0.isEmpty }) == true {
            return try load(explicit)
        }
        guard let url = try? WeightsLocator.dlibFace(nil) else {
            if !quiet {
                printError("seqcurate: note: face embedding weights (\(FaceEmbedder.weightsFileName)) not found; "
                    + "no decisions by identity (run tools/setup.sh, or pass --embedding-weights)")
            }
            return nil
        }
        return wrap(try FaceEmbedder(weights: url))
    }

    private static func wrap(_ net: FaceEmbedder) -> FaceIdentityEmbedder {
        FaceIdentityEmbedder(model: modelName) { image, faces in
            // FaceChip's chips are always 150x150 RGB, so embed never throws for them; a face
            // that still fails counts as not sampled.
            (try? net.embed(faces: faces, in: image)) ?? Array(repeating: nil, count: faces.count)
        }
    }
}
