import Foundation
import SeqCore

/// The JSON Lines record `seqcurate detect --json` writes for one image or frame:
/// `{"source": path, "frame": index or null, "faces": [{"box": [x1,y1,x2,y2], "score": s,
/// "landmarks": [[x,y] x5]}]}`, keys in that order, coordinates with two decimals.
public enum DetectionJSON {
    public static func line(source: String, frame: Int?, faces: [FaceDetection]) -> String {
        func coordinate(_ v: Float) -> JSONValue { .fixed(Double(v), decimals: 2) }
        return JSONValue.object([
            ("source", .string(source)),
            ("frame", .optional(frame)),
            ("faces", .array(faces.map { f in
                .object([
                    ("box", .array([f.box.x1, f.box.y1, f.box.x2, f.box.y2].map(coordinate))),
                    ("score", .fixed(Double(f.score), decimals: 5)),
                    ("landmarks", .array(f.landmarks.map { .array([coordinate($0.x), coordinate($0.y)]) })),
                ])
            })),
        ]).serialized(.compact)
    }
}
