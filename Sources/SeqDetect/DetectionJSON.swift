import Foundation

/// The JSON Lines record `seqcurate detect --json` writes for one image or frame:
/// `{"source": path, "frame": index or null, "faces": [{"box": [x1,y1,x2,y2], "score": s,
/// "landmarks": [[x,y] x5]}]}`, keys in that order, coordinates with two decimals.
public enum DetectionJSON {
    public static func line(source: String, frame: Int?, faces: [FaceDetection]) -> String {
        var s = "{\"source\":\(quoted(source)),\"frame\":\(frame.map(String.init) ?? "null"),\"faces\":["
        for (i, f) in faces.enumerated() {
            if i > 0 { s += "," }
            s += "{\"box\":[\(num(f.box.x1)),\(num(f.box.y1)),\(num(f.box.x2)),\(num(f.box.y2))]"
            s += ",\"score\":\(String(format: "%.5f", Double(f.score)))"
            s += ",\"landmarks\":[" + f.landmarks.map { "[\(num($0.x)),\(num($0.y))]" }.joined(separator: ",") + "]}"
        }
        return s + "]}"
    }

    private static func num(_ v: Float) -> String {
        v.isFinite ? String(format: "%.2f", Double(v)) : "null"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
