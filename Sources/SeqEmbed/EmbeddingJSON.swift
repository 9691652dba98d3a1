import Foundation
import SeqCore
import SeqDetect

/// The JSON Lines record `seqcurate embed --json` writes for one image:
/// `{"source": path, "box": [x1,y1,x2,y2] or null, "embedding": [128 numbers]}`, keys in that
/// order; `box` is the MTCNN box of the face embedded (null for `--aligned` chips), with two
/// decimals, the descriptor with seven (float32 needs no more).
public enum EmbeddingJSON {
    public static func line(source: String, box: FaceBox?, embedding: [Float]) -> String {
        func coordinate(_ v: Float) -> JSONValue { .fixed(Double(v), decimals: 2) }
        return JSONValue.object([
            ("source", .string(source)),
            ("box", box.map { b in .array([b.x1, b.y1, b.x2, b.y2].map(coordinate)) } ?? .null),
            ("embedding", .array(embedding.map { .fixed(Double($0), decimals: 7) })),
        ]).serialized(.compact)
    }
}
