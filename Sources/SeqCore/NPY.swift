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

    /// Reads `url`; the file's dtype must be `Element`'s, or, for `Float`, `<f8`, and for `Int32`, `<i8` (converted).
    public static func read(from url: URL) throws -> NPYArray {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SeqError("cannot read file", file: url.path)
        }
        let header = try NPYHeader.parse(data, path: url.path)
        let count = header.shape.reduce(1, *)
        let body = data.subdata(in: header.dataOffset..<data.count)
        func need(_ size: Int) throws {
            guard body.count >= count * size else {
                throw SeqError("truncated .npy: expected \(count * size) data bytes, found \(body.count)", file: url.path)
            }
        }
        var values: [Element]
        switch (header.descr, Element.npyDescr) {
        case let (a, b) where a == b || (a == "<u1" && b == "|u1"):
            try need(MemoryLayout<Element>.stride)
            values = body.withUnsafeBytes { raw in
                Array(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: Element.self), count: count))
            }
        case ("<f8", "<f4"):
            try need(8)
            let d: [Double] = body.withUnsafeBytes { Array($0.bindMemory(to: Double.self).prefix(count)) }
            values = d.map { Float($0) as! Element }
        case ("<i8", "<i4"):
            try need(8)
            let d: [Int64] = body.withUnsafeBytes { Array($0.bindMemory(to: Int64.self).prefix(count)) }
            values = d.map { Int32(truncatingIfNeeded: $0) as! Element }
        default:
            throw SeqError("dtype \(header.descr) where \(Element.npyDescr) was expected", file: url.path)
        }
        if header.fortranOrder {
            throw SeqError("Fortran-ordered arrays are not supported; save with C order", file: url.path)
        }
        return NPYArray(shape: header.shape, values: values)
    }

    /// Writes a version 1.0 `.npy` file atomically.
    public func write(to url: URL) throws {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(Element.npyDescr)', 'fortran_order': False, 'shape': \(shapeText), }"
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

struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var dataOffset: Int

    static func parse(_ data: Data, path: String) throws -> NPYHeader {
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw SeqError("not a .npy file (bad magic)", file: path)
        }
        let major = bytes[6]
        var headerLength: Int
        var start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw SeqError("truncated .npy header", file: path) }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard data.count >= start + headerLength,
              let text = String(data: data.subdata(in: start..<start + headerLength), encoding: .utf8) ?? String(data: data.subdata(in: start..<start + headerLength), encoding: .isoLatin1)
        else { throw SeqError("truncated .npy header", file: path) }
        func field(_ key: String) -> String? {
            guard let r = text.range(of: "'\(key)':") else { return nil }
            return String(text[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let d = field("descr"), let q1 = d.firstIndex(of: "'") else { throw SeqError("malformed .npy header: no descr", file: path) }
        let afterQ = d[d.index(after: q1)...]
        guard let q2 = afterQ.firstIndex(of: "'") else { throw SeqError("malformed .npy header", file: path) }
        let descr = String(afterQ[..<q2])
        let fortran = field("fortran_order")?.hasPrefix("True") ?? false
        guard let s = field("shape"), let open = s.firstIndex(of: "("), let close = s.firstIndex(of: ")") else {
            throw SeqError("malformed .npy header: no shape", file: path)
        }
        let dims = s[s.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        for dim in dims {
            guard let v = Int(dim.hasSuffix("L") ? String(dim.dropLast()) : dim), v >= 0 else {
                throw SeqError("malformed .npy shape '\(dim)'", file: path)
            }
            shape.append(v)
        }
        return NPYHeader(descr: descr, fortranOrder: fortran, shape: shape, dataOffset: start + headerLength)
    }
}
