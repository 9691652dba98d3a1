import Foundation

/// Escaping for text written into HTML and SVG. Every string that comes from a catalog, a
/// file name or a JSON file goes through one of these before it reaches a page.
public enum HTML {
    /// `s` safe as element content and as a double-quoted attribute value (`&`, `<`, `>`,
    /// `"` and `'` replaced by character references).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters other than tab and newline are not allowed in HTML text.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" { out += "\u{FFFD}" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// A relative or absolute path made into a URL reference (each component
    /// percent-encoded, `/` kept), then escaped for an attribute.
    public static func href(path: String) -> String {
        escape(percentEncodePath(path))
    }

    /// Percent-encodes everything in `path` that is not unreserved in a URL path, so that
    /// names with spaces, `#`, `?` or `%` still point at the file.
    public static func percentEncodePath(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: urlPathCharacters) ?? path
    }

    private static let urlPathCharacters = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/!$&'()*+,;=:@")

    /// A number for display: integers without decimals, others with `digits` significant digits.
    public static func number(_ v: Double, digits: Int = 4) -> String {
        guard v.isFinite else { return v.isNaN ? "n/a" : (v > 0 ? "∞" : "-∞") }
        if v == v.rounded() && abs(v) < 1e12 { return String(Int64(v)) }
        return String(format: "%.\(digits)g", v)
    }

    /// An integer with thin thousands separators (`12 345`).
    public static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "\u{202F}" }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}
