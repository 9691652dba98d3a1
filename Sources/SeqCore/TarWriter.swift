import Foundation

/// A minimal, deterministic POSIX ustar writer: regular files only, mode 0644, uid/gid 0, empty
/// user and group names, mtime 0, members in the order given. The same members give the same
/// bytes. Names must be ASCII and at most 100 bytes (no prefix field is used).
public struct TarWriter {
    public static let blockSize = 512
    public private(set) var data = Data()

    public init() {}

    public enum Failure: Error, Equatable { case nameTooLong(String), tooLarge(String) }

    /// Appends one regular file.
    public mutating func append(name: String, contents: Data) throws {
        let nameBytes = Array(name.utf8)
        guard !nameBytes.isEmpty, nameBytes.count <= 100, nameBytes.allSatisfy({ $0 < 0x80 && $0 != 0 }) else {
            throw Failure.nameTooLong(name)
        }
        guard contents.count < 0o77777777777 else { throw Failure.tooLarge(name) }
        var header = [UInt8](repeating: 0, count: Self.blockSize)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { header[offset + i] = b } }
        /// `value` in octal, zero-padded to `width - 1` digits and a NUL.
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(nameBytes, at: 0)
        put(octal(0o644, width: 8), at: 100)   // mode
        put(octal(0, width: 8), at: 108)       // uid
        put(octal(0, width: 8), at: 116)       // gid
        put(octal(contents.count, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)      // mtime
        put(Array("        ".utf8), at: 148)   // checksum: spaces while summing
        header[156] = UInt8(ascii: "0")        // regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(octal(0, width: 8), at: 329)       // devmajor
        put(octal(0, width: 8), at: 337)       // devminor
        let sum = header.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [UInt8(ascii: " ")], at: 148)
        data.append(contentsOf: header)
        data.append(contents)
        let pad = (Self.blockSize - contents.count % Self.blockSize) % Self.blockSize
        data.append(Data(count: pad))
    }

    /// The archive: the members and two zero blocks.
    public func finished() -> Data {
        var d = data
        d.append(Data(count: 2 * Self.blockSize))
        return d
    }
}

/// Reads back a ustar archive written by `TarWriter` (or any plain ustar of regular files):
/// (name, contents) in order. For tests and checks; nil when malformed.
public enum TarReader {
    public static func members(_ data: Data) -> [(name: String, contents: Data)]? {
        let bytes = [UInt8](data)
        var out: [(String, Data)] = []
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) { return out }
            var stored = header
            for i in 148..<156 { stored[i] = UInt8(ascii: " ") }
            func field(_ from: Int, _ count: Int) -> String {
                String(decoding: header[from..<from + count].prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let size = Int(field(124, 12).trimmingCharacters(in: .whitespaces), radix: 8),
                  let sum = Int(field(148, 8).trimmingCharacters(in: .whitespaces), radix: 8),
                  sum == stored.reduce(0, { $0 + Int($1) }),
                  field(257, 6) == "ustar", offset + 512 + size <= bytes.count else { return nil }
            out.append((field(0, 100), Data(bytes[offset + 512..<offset + 512 + size])))
            offset += 512 + (size + 511) / 512 * 512
        }
        return nil
    }
}
