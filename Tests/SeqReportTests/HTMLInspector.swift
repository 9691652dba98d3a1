import Foundation

/// A small HTML reader for tests: checks that elements are balanced and lists the local
/// files a page references.
enum HTMLInspector {
    static let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]

    /// Problems with element nesting (empty when every opened element is closed in order).
    /// `<script>` and `<style>` contents are skipped as raw text.
    static func balanceProblems(_ html: String) -> [String] {
        var problems: [String] = []
        var stack: [String] = []
        let s = Array(html.utf8)
        var i = 0
        func lowerName(from start: Int) -> (String, Int) {
            var j = start
            while j < s.count, s[j] != UInt8(ascii: " "), s[j] != UInt8(ascii: ">"), s[j] != UInt8(ascii: "/"), s[j] != UInt8(ascii: "\n") { j += 1 }
            return (String(decoding: s[start..<j], as: UTF8.self).lowercased(), j)
        }
        while i < s.count {
            guard s[i] == UInt8(ascii: "<") else { i += 1; continue }
            if i + 1 < s.count && s[i + 1] == UInt8(ascii: "!") {
                while i < s.count && s[i] != UInt8(ascii: ">") { i += 1 }
                continue
            }
            var end = i
            var quote: UInt8? = nil
            while end < s.count {
                let c = s[end]
                if let q = quote { if c == q { quote = nil } } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { quote = c } else if c == UInt8(ascii: ">") { break }
                end += 1
            }
            guard end < s.count else { problems.append("unterminated tag at byte \(i)"); break }
            let closing = s[i + 1] == UInt8(ascii: "/")
            let (name, _) = lowerName(from: i + (closing ? 2 : 1))
            let selfClosing = s[end - 1] == UInt8(ascii: "/")
            if closing {
                if stack.last == name { stack.removeLast() } else { problems.append("</\(name)> closes <\(stack.last ?? "nothing")> at byte \(i)") }
            } else if !selfClosing && !voidElements.contains(name) {
                if name == "script" || name == "style" {
                    let marker = Array("</\(name)>".utf8)
                    var k = end
                    while k + marker.count <= s.count && Array(s[k..<(k + marker.count)]) != marker { k += 1 }
                    i = k + marker.count
                    continue
                }
                stack.append(name)
            }
            i = end + 1
        }
        if !stack.isEmpty { problems.append("unclosed: \(stack.joined(separator: ", "))") }
        return problems
    }

    /// Values of `src="…"` and `href="…"` attributes, entities decoded.
    static func references(_ html: String) -> [String] {
        var out: [String] = []
        for attr in ["src=\"", "href=\""] {
            var rest = html[...]
            while let r = rest.range(of: attr) {
                let after = rest[r.upperBound...]
                guard let close = after.firstIndex(of: "\"") else { break }
                out.append(String(after[..<close]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                    .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&"))
                rest = after[after.index(after: close)...]
            }
        }
        return out
    }

    /// Local references of a page (not http, not data:, not a bare fragment) that do not
    /// name an existing file, resolved against the page's folder.
    static func missingFiles(page: URL) throws -> [String] {
        let html = try String(contentsOf: page, encoding: .utf8)
        let base = page.deletingLastPathComponent()
        return references(html).filter { ref in
            if ref.hasPrefix("#") || ref.hasPrefix("http:") || ref.hasPrefix("https:") || ref.hasPrefix("data:") || ref.hasPrefix("mailto:") { return false }
            let path = String(ref.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
            let decoded = path.removingPercentEncoding ?? path
            return !FileManager.default.fileExists(atPath: base.appendingPathComponent(decoded).standardizedFileURL.path)
        }
    }

    /// Occurrences of `needle` in `html`.
    static func count(_ needle: String, in html: String) -> Int {
        html.components(separatedBy: needle).count - 1
    }
}
