import Foundation

/// Scalar types that `.npy` files in seqcurate may hold.
public protocol NPYElement {
    /// The NumPy `descr` string, little-endian.
    static var npyDescr: String { get }
}
extension Float: NPYElement { public static var npyDescr: String { "<f4" } }
extension Int32: NPYElement { public static var npyDescr: String { "<i4" } }
extension UInt8: NPYElement { public static var npyDescr: String { "|u1" } }

/// A C-ordered array read from or written to NumPy's `.npy` format (versions 1–3).
///
/// `.npy` is the exchange format for features, labels and test vectors.
public struct NPYArray<Element: NPYElement> {
    public var shape: [Int]
    public var values: [Element]

    public init(shape: [Int], values: [Element]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// Reads `url`; the file's dtype must be `Element`'s, or, for `Float`, `<f8`, and for `Int32`,
    /// `<i8` (converted; a value outside the 32-bit range is an error, not a wrapped label).
    public static func read(from url: URL) throws -> NPYArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SeqError("cannot read file", file: url.path)
        }
        return try decode(data, path: url.path)
    }

    /// Parses the bytes of a whole `.npy` file; `path` names it in errors. The file must hold
    /// exactly the bytes its header promises: short files and trailing bytes are both errors,
    /// since either means the header and the data disagree.
    public static func decode(_ data: Data, path: String) throws -> NPYArray {
        try data.withUnsafeBytes { raw in try decode(raw, path: path) }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, path: String) throws -> NPYArray {
        let header = try NPYHeader.parse(raw, path: path)
        let shapeText = NPYHeader.pythonTuple(header.shape)
        let (count, countOverflow) = header.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard let stored = NPYHeader.storedTypes[header.descr] else {
            throw SeqError("dtype \(header.descr) where \(Element.npyDescr) was expected", file: path)
        }
        let itemSize = stored.size
        let (byteCount, bytesOverflow) = count.multipliedReportingOverflow(by: itemSize)
        let available = raw.count - header.dataOffset
        guard !countOverflow, !bytesOverflow else {
            throw SeqError("shape \(shapeText) of \(header.descr) is too large: its byte size overflows (the file holds \(available) data bytes)", file: path)
        }
        guard byteCount <= available else {
            throw SeqError("truncated .npy: shape \(shapeText) of \(header.descr) needs \(byteCount) data bytes, found \(available)", file: path)
        }
        guard byteCount == available else {
            throw SeqError("\(available - byteCount) trailing bytes after the \(byteCount) data bytes of shape \(shapeText) of \(header.descr)", file: path)
        }
        // For 0-D and 1-D arrays Fortran and C order are the same bytes.
        if header.fortranOrder && header.shape.count > 1 {
            throw SeqError("Fortran-ordered arrays are not supported; save with C order", file: path)
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...])
        let values: [Element]
        switch (stored.kind, Element.npyDescr) {
        case (.float32, "<f4"), (.int32, "<i4"), (.uint8, "|u1"):
            values = [Element](unsafeUninitializedCapacity: count) { out, initialized in
                // Copy rather than rebind: the data need not be aligned for `Element`.
                if count > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: body) }
                initialized = count
            }
        case (.float64, "<f4"):
            values = (0..<count).map { i in
                Float(Double(bitPattern: UInt64(littleEndian: body.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) as! Element
            }
        case (.int64, "<i4"):
            var out: [Int32] = []
            out.reserveCapacity(count)
            for i in 0..<count {
                let v = Int64(littleEndian: body.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                // A label such as 2^40 must not wrap to 0 and silently train or score as class 0.
                guard let narrow = Int32(exactly: v) else {
                    throw SeqError("int64 value \(v) at flat index \(i) does not fit in int32 (\(Int32.min)…\(Int32.max))", file: path)
                }
                out.append(narrow)
            }
            values = out as! [Element]
        default:
            throw SeqError("dtype \(header.descr) where \(Element.npyDescr) was expected", file: path)
        }
        return NPYArray(shape: header.shape, values: values)
    }

    /// Writes a version 1.0 `.npy` file atomically.
    public func write(to url: URL) throws {
        var header = "{'descr': '\(Element.npyDescr)', 'fortran_order': False, 'shape': \(NPYHeader.pythonTuple(shape)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let len = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(len & 0xff), UInt8(len >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        try AtomicFile.write(data, to: url)
    }
}

/// The header of a `.npy` file: the Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` after the magic and length.
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var dataOffset: Int

    enum Kind { case float32, float64, int32, int64, uint8 }
    /// The on-disk types the reader converts from, with their sizes.
    static let storedTypes: [String: (kind: Kind, size: Int)] = [
        "<f4": (.float32, 4), "<f8": (.float64, 8), "<i4": (.int32, 4), "<i8": (.int64, 8),
        "|u1": (.uint8, 1), "<u1": (.uint8, 1),
    ]
    /// NumPy itself refuses more dimensions than this (`NPY_MAXDIMS` is 64 since NumPy 2).
    static let maxDimensions = 64

    /// `(3,)`, `(2, 3)` or `()`, as NumPy writes shapes.
    static func pythonTuple(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    static func parse(_ raw: UnsafeRawBufferPointer, path: String) throws -> NPYHeader {
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard raw.count >= 8, Array(raw[0..<6]) == magic else {
            throw SeqError("not a .npy file (bad magic)", file: path)
        }
        let (major, minor) = (raw[6], raw[7])
        // Versions differ only in the width of the length field (and the header's text encoding,
        // which does not matter here: a valid header is ASCII). An unknown version may mean
        // anything, so it is refused rather than guessed at.
        let lengthBytes: Int
        switch (major, minor) {
        case (1, 0): lengthBytes = 2
        case (2, 0), (3, 0): lengthBytes = 4
        default:
            throw SeqError("unsupported .npy format version \(major).\(minor) (known: 1.0, 2.0, 3.0)", file: path)
        }
        let start = 8 + lengthBytes
        guard raw.count >= start else { throw SeqError("truncated .npy header", file: path) }
        var headerLength = 0
        for i in 0..<lengthBytes { headerLength |= Int(raw[8 + i]) << (8 * i) }
        guard raw.count - start >= headerLength else {
            throw SeqError("truncated .npy header: \(headerLength) header bytes promised, \(raw.count - start) present", file: path)
        }
        var parser = DictParser(bytes: UnsafeRawBufferPointer(rebasing: raw[start..<(start + headerLength)]), path: path)
        let (descr, fortran, shape) = try parser.parseHeader()
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: start + headerLength)
    }

    /// Reads the header dict byte by byte: exactly the keys `descr`, `fortran_order` and `shape`,
    /// each once, then only whitespace. NumPy refuses anything else, and so does this reader,
    /// rather than picking one of two `shape`s or ignoring junk.
    private struct DictParser {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var i = 0

        init(bytes: UnsafeRawBufferPointer, path: String) {
            self.bytes = bytes
            self.path = path
        }

        func fail(_ why: String) -> SeqError { SeqError("malformed .npy header: \(why)", file: path) }

        var atEnd: Bool { i >= bytes.count }
        var current: UInt8? { atEnd ? nil : bytes[i] }

        mutating func skipSpace() {
            while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
        }

        mutating func expect(_ c: Character, _ what: String) throws {
            skipSpace()
            guard current == c.asciiValue else { throw fail("expected \(what)") }
            i += 1
        }

        mutating func parseHeader() throws -> (String, Bool, [Int]) {
            try expect("{", "'{' at the start of the header")
            var descr: String?, fortran: Bool?, shape: [Int]?
            while true {
                skipSpace()
                if current == UInt8(ascii: "}") { i += 1; break }
                let key = try parseString("a quoted key")
                try expect(":", "':' after '\(key)'")
                skipSpace()
                switch key {
                case "descr":
                    guard descr == nil else { throw SeqError("duplicate key 'descr' in .npy header", file: path) }
                    if current == UInt8(ascii: "[") { throw SeqError("structured dtypes are not supported", file: path) }
                    descr = try parseString("a quoted descr")
                case "fortran_order":
                    guard fortran == nil else { throw SeqError("duplicate key 'fortran_order' in .npy header", file: path) }
                    fortran = try parseBool()
                case "shape":
                    guard shape == nil else { throw SeqError("duplicate key 'shape' in .npy header", file: path) }
                    shape = try parseShape()
                default:
                    throw SeqError("unknown key '\(key)' in .npy header (known: descr, fortran_order, shape)", file: path)
                }
                skipSpace()
                if current == UInt8(ascii: ",") { i += 1; continue }
                if current == UInt8(ascii: "}") { i += 1; break }
                throw fail("expected ',' or '}' after the value of '\(key)'")
            }
            skipSpace()
            guard atEnd else { throw fail("trailing characters after the header dict") }
            guard let descr else { throw fail("no 'descr'") }
            guard let fortran else { throw fail("no 'fortran_order'") }
            guard let shape else { throw fail("no 'shape'") }
            return (descr, fortran, shape)
        }

        mutating func parseString(_ what: String) throws -> String {
            skipSpace()
            guard let quote = current, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else { throw fail("expected \(what)") }
            i += 1
            let begin = i
            while let c = current, c != quote {
                guard c >= 0x20, c < 0x7F, c != UInt8(ascii: "\\") else { throw fail("unexpected byte \(c) in \(what)") }
                i += 1
            }
            guard !atEnd else { throw fail("unterminated string in \(what)") }
            let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<i]), as: UTF8.self)
            i += 1
            return s
        }

        mutating func parseWord() -> String {
            let begin = i
            while let c = current, (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) { i += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<i]), as: UTF8.self)
        }

        mutating func parseBool() throws -> Bool {
            switch parseWord() {
            case "True": return true
            case "False": return false
            case let w: throw fail("fortran_order must be True or False, found '\(w)'")
            }
        }

        /// `(3,)`, `(2, 3)`, `()`; also `(3)`, which some non-NumPy writers use for one dimension.
        mutating func parseShape() throws -> [Int] {
            guard current == UInt8(ascii: "(") else { throw fail("shape must be a tuple such as (2, 3)") }
            i += 1
            var dims: [Int] = []
            while true {
                skipSpace()
                if current == UInt8(ascii: ")") { i += 1; return dims }
                dims.append(try parseDimension())
                guard dims.count <= NPYHeader.maxDimensions else {
                    throw fail("shape has more than \(NPYHeader.maxDimensions) dimensions")
                }
                skipSpace()
                if current == UInt8(ascii: ",") { i += 1; continue }
                if current == UInt8(ascii: ")") { i += 1; return dims }
                throw fail("expected ',' or ')' in shape")
            }
        }

        mutating func parseDimension() throws -> Int {
            let begin = i
            var value = 0
            var overflow = false
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                value = a
                i += 1
            }
            let digits = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<i]), as: UTF8.self)
            guard !digits.isEmpty else { throw fail("shape dimensions must be whole numbers of 0 or more") }
            guard !overflow else { throw SeqError("shape dimension \(digits) is too large", file: path) }
            if current == UInt8(ascii: "L") { i += 1 }  // Python 2 longs, as old NumPy wrote them
            return value
        }
    }
}
