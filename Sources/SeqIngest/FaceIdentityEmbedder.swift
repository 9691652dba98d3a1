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

    public init(model: String, embed: @escaping @Sendable (Image, [FaceDetection]) -> [[Float]?]) {
        self.model = model
        self.embed = embed
    }
}
