import Foundation

/// A user-facing failure: one line that names the file (and line, where there is one) and the reason.
public struct SeqError: Error, CustomStringConvertible, Equatable {
    public var file: String?
    public var line: Int?
    public var reason: String

    public init(_ reason: String, file: String? = nil, line: Int? = nil) {
        self.reason = reason
        self.file = file
        self.line = line
    }

    /// The message as the CLI prints it: always one line. Line breaks and other control
    /// characters that reached the reason or the path (quoted from a hostile file, a file name
    /// with a newline) are written as escapes here, once for every message, rather than at each
    /// place that quotes user content.
    public var description: String {
        let text: String
        switch (file, line) {
        case let (f?, l?): text = "\(f):\(l): \(reason)"
        case let (f?, nil): text = "\(f): \(reason)"
        default: text = reason
        }
        return Self.oneLine(text)
    }

    /// `text` with line breaks and control characters (other than tab) written as escapes.
    static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: Self.needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case _ where needsEscape(scalar): out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        guard scalar != "\t" else { return false }
        return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
    }
}

extension SeqError: LocalizedError {
    public var errorDescription: String? { description }
}

/// File names in messages: a name may hold a line break or other control character, which
/// would break the one-line rule of `SeqError` (and mislead a reader), so they are shown as
/// escapes (`\n`, `\t`, `\u{7}`); a backslash is doubled so the escape stays unambiguous.
public enum PrintableName {
    public static func escaped(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .lineSeparator
                    || scalar.properties.generalCategory == .paragraphSeparator || scalar.properties.generalCategory == .format {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// True when `text` holds a character that some reader of a line-based list takes as the
    /// end of a line: LF, CR, VT, FF, NEL, LINE SEPARATOR or PARAGRAPH SEPARATOR.
    public static func hasLineBreak(_ text: String) -> Bool {
        text.unicodeScalars.contains { s in
            (0x0A...0x0D).contains(s.value) || s.value == 0x85 || s.value == 0x2028 || s.value == 0x2029
        }
    }
}
