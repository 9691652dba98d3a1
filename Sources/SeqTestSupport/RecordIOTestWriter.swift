import Foundation

/// Writes small MXNet RecordIO packs (`.rec`, `.idx`, `property`) the way insightface lays
/// them out, for tests of the reader: record 0 is a header whose labels are
/// (first identity record, end of identity records), then one record per image, then one
/// record per identity holding its (start, end) image range.
public struct RecordIOTestWriter {
    public static let magic: UInt32 = 0xced7230a

    private var rec = Data()
    private var idx = ""

    public init() {}

    /// The bytes of an image-record payload: flag, label, id, id2, then `labels` (flag of them), then `image`.
    public static func payload(label: Float, labels: [Float] = [], id: UInt64 = 0, image: Data) -> Data {
        var d = Data()
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        put(UInt32(labels.count))
        put(label.bitPattern)
        put(id)
        put(UInt64(0))
        for l in labels { put(l.bitPattern) }
        d.append(image)
        return d
    }

    /// Appends a record under `key`, split into parts wherever the payload holds the magic (as MXNet does).
    public mutating func append(key: Int, payload: Data) {
        idx += "\(key)\t\(rec.count)\n"
        let magicBytes = withUnsafeBytes(of: Self.magic.littleEndian) { Data($0) }
        var parts: [Data] = []
        var rest = payload[...]
        while let r = rest.range(of: magicBytes) {
            parts.append(Data(rest[rest.startIndex..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(Data(rest))
        for (i, part) in parts.enumerated() {
            let cflag: UInt32 = parts.count == 1 ? 0 : i == 0 ? 1 : i == parts.count - 1 ? 3 : 2
            withUnsafeBytes(of: Self.magic.littleEndian) { rec.append(contentsOf: $0) }
            withUnsafeBytes(of: (cflag << 29 | UInt32(part.count)).littleEndian) { rec.append(contentsOf: $0) }
            rec.append(part)
            rec.append(Data(count: (4 - part.count % 4) % 4))
        }
    }

    /// An insightface pack of `images` (label, JPEG bytes), sorted by label, with a header record.
    public static func insightface(_ images: [(label: Int, jpeg: Data)]) -> RecordIOTestWriter {
        let sorted = images.enumerated().sorted { ($0.element.label, $0.offset) < ($1.element.label, $1.offset) }.map(\.element)
        let labels = Array(Set(sorted.map(\.label))).sorted()
        let imageEnd = sorted.count + 1
        var w = RecordIOTestWriter()
        w.append(key: 0, payload: payload(label: 0, labels: [Float(imageEnd), Float(imageEnd + labels.count)], image: Data()))
        for (i, image) in sorted.enumerated() { w.append(key: i + 1, payload: payload(label: Float(image.label), image: image.jpeg)) }
        for (j, label) in labels.enumerated() {
            let start = (sorted.firstIndex { $0.label == label } ?? 0) + 1
            let end = (sorted.lastIndex { $0.label == label } ?? 0) + 2
            w.append(key: imageEnd + j, payload: payload(label: 0, labels: [Float(start), Float(end)], image: Data()))
        }
        return w
    }

    public var recData: Data { rec }

    /// Writes `<folder>/train.rec`, `train.idx` and (when given) `property`; returns the `.rec` path.
    @discardableResult
    public func write(to folder: URL, property: String? = nil, index: Bool = true) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let recURL = folder.appendingPathComponent("train.rec")
        try rec.write(to: recURL)
        if index { try idx.write(to: folder.appendingPathComponent("train.idx"), atomically: true, encoding: .utf8) }
        if let property { try property.write(to: folder.appendingPathComponent("property"), atomically: true, encoding: .utf8) }
        return recURL
    }
}
