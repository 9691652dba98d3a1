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

    public var description: String {
        switch (file, line) {
        case let (f?, l?): return "\(f):\(l): \(reason)"
        case let (f?, nil): return "\(f): \(reason)"
        default: return reason
        }
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
