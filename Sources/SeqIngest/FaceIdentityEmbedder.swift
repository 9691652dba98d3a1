import SeqDetect
import SeqMedia

/// Computes the identity embeddings of faces found in one image: one vector per detection, in
/// order (nil for a face that gives no chip) (dlib's 128-d face descriptor on a 150x150 chip cut from the image at the detection's
/// five landmarks, in seqcurate). SeqIngest takes it as a value so that the embedding network
/// stays in its own module; the command line wires `SeqEmbed`'s embedder in.
public struct FaceIdentityEmbedder: Sendable {
    /// The model's name, stored with every embedding (embeddings of different models are never
    /// compared).
    public var model: String
    /// Embeds the given faces of an image, all in one batch.
    public var embed: @Sendable (Image, [FaceDetection]) -> [[Float]?]
    /// Waits until the embedder can work, or throws why it cannot (a network loaded in the
    /// background: its weights proved unusable). Ingest calls it before the first faces are
    /// embedded, so that the load overlaps the first frames' decoding and detection.
    public var prepare: @Sendable () throws -> Void

    public init(model: String, prepare: @escaping @Sendable () throws -> Void = {},
                embed: @escaping @Sendable (Image, [FaceDetection]) -> [[Float]?]) {
        self.model = model
        self.prepare = prepare
        self.embed = embed
    }
}
