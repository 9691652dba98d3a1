import Foundation
import SeqCore

/// Reads MXNet RecordIO files as insightface packs its training sets (MS1M-ArcFace,
/// MS1MV2/V3, Glint360K, faces_webface_112x112): `train.rec` with its `train.idx` and,
/// when present, the `property` file.
///
/// A record is a little-endian `UInt32` magic (0xced7230a), a `UInt32` whose top 3 bits are
/// a continuation flag (0 whole, 1 first, 2 middle, 3 last part) and lower 29 bits the part
/// length, then the part, padded to 4 bytes. A payload that held the magic was split there;
/// the parts are joined with the magic between them. The payload of an image record starts
/// with an image header: `flag` (UInt32), `label` (Float32), `id`, `id2` (UInt64); when flag
/// is above 0, `flag` Float32 labels follow and the first is the label. The rest is the
/// encoded image (JPEG). The `.idx` file holds one `key<TAB>offset` line per record.
///
/// Records are read one at a time; the file is never held whole.
public final class RecordIOReader {
    public static let magic: UInt32 = 0xced7230a

    /// The header of an image record.
    public struct Header: Sendable, Equatable {
        public var flag: UInt32
        public var label: Float
        public var id: UInt64
        public var id2: UInt64
        /// The labels after the header (`flag` of them), empty when flag is 0.
        public var labels: [Float]
        /// The label as an integer class: the first of `labels` when there are any.
        public var classLabel: Int { Int((labels.first ?? label).rounded()) }
    }

    /// What the `property` file says: `identities,height,width`.
    public struct Property: Sendable, Equatable {
        public var identities: Int
        public var height: Int
        public var width: Int
    }

    public let url: URL
    private let handle: FileHandle
    public let fileSize: UInt64

    public init(_ url: URL) throws {
        self.url = url
        do {
            handle = try FileHandle(forReadingFrom: url)
            fileSize = try handle.seekToEnd()
        } catch {
            throw SeqError("cannot open: \(IOFailure.reason(of: error))", file: url.path)
        }
    }

    deinit { try? handle.close() }

    /// The index next to `rec` (same name, `.idx`), or nil when there is none.
    public static func indexURL(for rec: URL) -> URL? {
        let idx = rec.deletingPathExtension().appendingPathExtension("idx")
        return FileManager.default.fileExists(atPath: idx.path) ? idx : nil
    }

    /// Reads a `.idx` file: record keys and their offsets, sorted by key.
    public static func readIndex(_ url: URL) throws -> [(key: Int, offset: UInt64)] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw SeqError("cannot read the index: \(IOFailure.reason(of: error))", file: url.path)
        }
        var out: [(key: Int, offset: UInt64)] = []
        var lineNo = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2, let key = Int(fields[0]), let offset = UInt64(fields[1]) else {
                throw SeqError("not an index line (expected key<TAB>offset)", file: url.path, line: lineNo)
            }
            out.append((key, offset))
        }
        out.sort { $0.key < $1.key }
        return out
    }

    /// Reads a `property` file (`identities,height,width`); nil when missing, an error when malformed.
    public static func readProperty(_ url: URL) throws -> Property? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let n = parts[0], let h = parts[1], let w = parts[2], n >= 0, h > 0, w > 0 else {
            throw SeqError("not an insightface property file (expected identities,height,width)", file: url.path)
        }
        return Property(identities: n, height: h, width: w)
    }

    private func readExactly(_ count: Int, at offset: UInt64, record: String) throws -> Data {
        guard offset + UInt64(count) <= fileSize else {
            throw SeqError("record \(record) is truncated (the file ends at byte \(fileSize))", file: url.path)
        }
        do {
            try handle.seek(toOffset: offset)
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else { throw SeqError("record \(record) is truncated", file: url.path) }
            return data
        } catch let e as SeqError { throw e } catch {
            throw SeqError("cannot read record \(record): \(IOFailure.reason(of: error))", file: url.path)
        }
    }

    /// Reads the record at `offset`; returns its payload and the offset after it.
    /// `name` names the record in errors (its key).
    public func record(at offset: UInt64, name: String) throws -> (payload: Data, next: UInt64) {
        var payload = Data()
        var position = offset
        var part = 0
        while true {
            let head = try readExactly(8, at: position, record: name)
            let magic = Self.le32(head, 0)
            guard magic == Self.magic else {
                throw SeqError("record \(name) is corrupt: no RecordIO magic at byte \(position) (found 0x\(String(magic, radix: 16)))", file: url.path)
            }
            let word = Self.le32(head, 4)
            let cflag = word >> 29
            let length = Int(word & ((1 << 29) - 1))
            guard (part == 0 && (cflag == 0 || cflag == 1)) || (part > 0 && (cflag == 2 || cflag == 3)) else {
                throw SeqError("record \(name) is corrupt: unexpected part flag \(cflag) at byte \(position)", file: url.path)
            }
            if part > 0 { withUnsafeBytes(of: Self.magic.littleEndian) { payload.append(contentsOf: $0) } }
            payload.append(try readExactly(length, at: position + 8, record: name))
            position += 8 + UInt64((length + 3) & ~3)
            part += 1
            if cflag == 0 || cflag == 3 { break }
        }
        return (payload, position)
    }

    /// Splits a payload into its image header and the image bytes.
    public func unpack(_ payload: Data, name: String) throws -> (header: Header, image: Data) {
        guard payload.count >= 24 else { throw SeqError("record \(name) is corrupt: \(payload.count) bytes, shorter than an image header", file: url.path) }
        let flag = Self.le32(payload, 0)
        let label = Float(bitPattern: Self.le32(payload, 4))
        let id = Self.le64(payload, 8), id2 = Self.le64(payload, 16)
        var labels: [Float] = []
        var start = 24
        if flag > 0 {
            guard UInt64(flag) * 4 <= UInt64(payload.count - 24) else {
                throw SeqError("record \(name) is corrupt: its header announces \(flag) labels, more than the record holds", file: url.path)
            }
            labels = (0..<Int(flag)).map { Float(bitPattern: Self.le32(payload, 24 + 4 * $0)) }
            start += 4 * Int(flag)
        }
        let image = payload.subdata(in: payload.startIndex + start..<payload.endIndex)
        return (Header(flag: flag, label: label, id: id, id2: id2, labels: labels), image)
    }

    static func le32(_ d: Data, _ i: Int) -> UInt32 {
        let b = d.startIndex + i
        return UInt32(d[b]) | UInt32(d[b + 1]) << 8 | UInt32(d[b + 2]) << 16 | UInt32(d[b + 3]) << 24
    }

    static func le64(_ d: Data, _ i: Int) -> UInt64 {
        UInt64(le32(d, i)) | UInt64(le32(d, i + 4)) << 32
    }
}
