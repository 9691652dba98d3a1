import Foundation
import SeqCore

/// Reader and writer for the safetensors format: an 8-byte little-endian header length,
/// a JSON header `{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}`,
/// then the raw little-endian tensor bytes (offsets are relative to the end of the header).
///
/// Writes F32. Reads F32, and converts F16, F64 and I32 to Float.
public enum SafeTensors {
    /// Headers larger than this are rejected as corrupt (the format's own limit is 100 MB).
    static let maxHeaderBytes = 100_000_000

    /// Reads every tensor in the file. Throws `SeqError` naming the file when it is
    /// missing, truncated or malformed ("corrupt safetensors: ...").
    public static func read(from url: URL) throws -> [String: Tensor] {
        try readWithMetadata(from: url).tensors
    }

    /// Reads every tensor and the free-form `__metadata__` strings.
    public static func readWithMetadata(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SeqError("cannot read safetensors: \(error.localizedDescription)", file: url.path)
        }
        return try decode(data, path: url.path)
    }

    /// Parses the bytes of a whole safetensors file held in memory; `path` names it in errors.
    /// The checks are those of `read(from:)`, which calls this.
    public static func decode(_ data: Data, path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        // Work on a zero-based copy of the indices, so a slice of a larger buffer reads the same.
        let data = data.startIndex == 0 ? data : data.withUnsafeBytes { Data($0) }
        func corrupt(_ why: String) -> SeqError {
            SeqError("corrupt safetensors: \(why)", file: path)
        }
        guard data.count >= 8 else { throw corrupt("file is \(data.count) bytes, shorter than the 8-byte header length") }
        let headerLength = data.withUnsafeBytes { raw in
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        }
        guard headerLength >= 2, headerLength <= UInt64(maxHeaderBytes), headerLength <= UInt64(data.count - 8) else {
            throw corrupt("header length \(headerLength) does not fit in a \(data.count)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let payloadSize = data.count - dataStart
        let headerBytes = data.subdata(in: 8..<dataStart)
        // Repeated keys are refused: two "w" entries would make one tensor vanish, and two
        // "shape"s leave which one counts to chance.
        let header: [(key: String, value: JSONValue)]
        do {
            let parsed = try JSONValue.parse(headerBytes)
            guard parsed.isObject else { throw corrupt("header is not a JSON object") }
            header = parsed.members
        } catch let e as JSONParseError {
            if case .duplicateKey(let key) = e.kind { throw corrupt("key \"\(key)\" appears twice in one object of the header") }
            throw corrupt("header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, entry) in header {
            if name == "__metadata__" {
                guard entry.isObject else { throw corrupt("__metadata__ is not an object") }
                for (k, v) in entry.members {
                    guard let s = v.string else { throw corrupt("__metadata__[\(SeqError.quotable(k))] is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let dtype = entry["dtype"]?.string,
                  let shapeAny = entry["shape"]?.array,
                  let offsetsAny = entry["data_offsets"]?.array else {
                throw corrupt("entry \"\(SeqError.quotable(name))\" lacks dtype, shape or data_offsets")
            }
            let shape = try shapeAny.map { v -> Int in
                guard let i = jsonInt(v), i >= 0 else { throw corrupt("entry \"\(SeqError.quotable(name))\" has a bad shape") }
                return i
            }
            guard offsetsAny.count == 2, let begin = jsonInt(offsetsAny[0]), let end = jsonInt(offsetsAny[1]),
                  begin >= 0, begin <= end, end <= payloadSize else {
                throw corrupt("entry \"\(SeqError.quotable(name))\" has data_offsets outside the \(payloadSize)-byte data section")
            }
            guard let elementSize = bytesPerElement(dtype) else {
                throw corrupt("entry \"\(SeqError.quotable(name))\" has unsupported dtype \(SeqError.quotable(dtype))")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (bytes, bytesOverflow) = count.multipliedReportingOverflow(by: elementSize)
            guard !overflow, !bytesOverflow else {
                throw corrupt("entry \"\(SeqError.quotable(name))\" has shape \(shape), too large for any file")
            }
            guard bytes == end - begin else {
                throw corrupt("entry \"\(SeqError.quotable(name))\" has \(end - begin) bytes but shape \(shape) of \(dtype) needs \(bytes)")
            }
            entries.append((name, dtype, shape, begin, end))
        }
        // As the format's reference reader requires, the tensors tile the data section exactly:
        // in offset order each starts where the previous ended, and the last ends the file. An
        // overlap would let two tensors share (and a later write clobber) the same bytes; a gap
        // or tail means the header and the data disagree about what the file holds.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        for e in entries {
            guard e.begin >= covered else {
                throw corrupt("entry \"\(SeqError.quotable(e.name))\" (bytes \(e.begin)..<\(e.end)) overlaps the tensor before it, which ends at \(covered)")
            }
            guard e.begin == covered else {
                throw corrupt("entry \"\(SeqError.quotable(e.name))\" starts at \(e.begin), leaving a gap after byte \(covered) of the data section")
            }
            covered = e.end
        }
        guard covered == payloadSize else {
            throw corrupt("the tensors cover \(covered) bytes but the data section has \(payloadSize)")
        }
        var tensors: [String: Tensor] = [:]
        for e in entries {
            let count = e.shape.reduce(1, *)
            let values = data.withUnsafeBytes { raw in
                decode(UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.begin)..<(dataStart + e.end)]),
                       dtype: e.dtype, count: count)
            }
            tensors[e.name] = Tensor(shape: e.shape, data: values)
        }
        return (tensors, metadata)
    }

    /// Writes the tensors as F32 (names sorted, data packed in that order), atomically.
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        let names = tensors.keys.sorted()
        var header = "{"
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let bytes = t.count * 4
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += entries.joined(separator: ",") + "}"
        // Pad with spaces so the data section starts 8-byte aligned, as other writers do.
        var headerBytes = Array(header.utf8)
        while (8 + headerBytes.count) % 8 != 0 { headerBytes.append(0x20) }

        var out = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: headerBytes)
        for name in names {
            tensors[name]!.data.withUnsafeBufferPointer { buf in
                #if _endian(little)
                out.append(UnsafeBufferPointer(start: buf.baseAddress, count: buf.count))
                #else
                for v in buf { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                #endif
            }
        }
        try AtomicFile.write(out, to: url)
    }

    /// Loads every parameter by name from a file, checking shapes. Throws naming the file and
    /// the first parameter that is missing or has the wrong shape.
    public static func load(_ parameters: [Parameter], from url: URL) throws {
        let tensors = try read(from: url)
        for p in parameters {
            guard let t = tensors[p.name] else {
                throw SeqError("missing tensor \"\(p.name)\"", file: url.path)
            }
            guard t.shape == p.value.shape else {
                throw SeqError("tensor \"\(p.name)\" has shape \(t.shape), expected \(p.value.shape)", file: url.path)
            }
            p.value = t
        }
    }

    /// Writes the parameters' values under their names.
    public static func save(_ parameters: [Parameter], to url: URL, metadata: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        for p in parameters { tensors[p.name] = p.value }
        try write(tensors, to: url, metadata: metadata)
    }

    private static func bytesPerElement(_ dtype: String) -> Int? {
        switch dtype {
        case "F32", "I32": return 4
        case "F16": return 2
        case "F64": return 8
        default: return nil
        }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, dtype: String, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            // One branch per tensor, not per number: the weights of a network are millions of numbers.
            switch dtype {
            case "F32":
                #if _endian(little)
                if count > 0 { memcpy(out.baseAddress!, raw.baseAddress!, count * 4) }
                #else
                for i in 0..<count { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))) }
                #endif
            case "I32":
                for i in 0..<count { out[i] = Float(Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))) }
            case "F64":
                for i in 0..<count { out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))) }
            default: // F16
                for i in 0..<count { out[i] = Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))) }
            }
            initialized = count
        }
    }

    /// A whole number below 9e15 in magnitude (so no later arithmetic on it overflows a Double's exactness).
    private static func jsonInt(_ v: JSONValue) -> Int? {
        guard let d = v.number, d.rounded() == d, abs(d) < 9e15 else { return nil }
        return Int(d)
    }

    /// The first key that occurs twice in one object of `json`: the one `JSONValue.parse`
    /// refuses (escapes are undone first, so `"a"` and `"\u0061"` are the same key); nil when
    /// there is none or the text is not JSON.
    static func firstDuplicateKey(in json: Data) -> String? {
        do { _ = try JSONValue.parse(json) } catch let e as JSONParseError {
            if case .duplicateKey(let key) = e.kind { return key }
        } catch {}
        return nil
    }

    private static func jsonString(_ s: String) -> String { JSONValue.quoted(s) }
}
