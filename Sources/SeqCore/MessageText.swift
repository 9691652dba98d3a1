extension SeqError {
    /// `text` as it may be quoted inside a one-line message: line breaks and other control
    /// characters written as escapes (`\n`, `\r`, `\u{1b}`), tabs kept, and anything past
    /// `limit` characters cut off with "…". Content quoted from a hostile file (a tensor name, a
    /// key, a line) then cannot split the message into several lines, restyle the terminal or
    /// flood it.
    public static func quotable<S: StringProtocol>(_ text: S, limit: Int = 200) -> String {
        var out = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                out.append("…")
                break
            }
            count += 1
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(scalar)
            default:
                let v = scalar.value
                // C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the
                // bidirectional overrides that can make a quoted name read differently.
                if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
                    || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) {
                    out.append(contentsOf: "\\u{\(String(v, radix: 16))}".unicodeScalars)
                } else {
                    out.append(scalar)
                }
            }
        }
        return String(out)
    }
}
