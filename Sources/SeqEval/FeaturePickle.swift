import Foundation
import SeqCore

/// Reads the feature pickles SeqFace published (`data/LFW/feature_27.pkl`,
/// `data/YTF/feature_27.pkl`): a Python 2 `cPickle` of a dict `{path: numpy vector}`.
///
/// This is not an unpickler. It walks the opcodes of pickle protocols 0–2 that such a file
/// uses and builds only these values: None, booleans, integers, byte strings (Python 2 `str`),
/// text (`unicode`), tuples, one dict of string keys, and numpy float32/float64 arrays as numpy
/// pickles them (`numpy.core.multiarray._reconstruct` plus a BUILD state of version, shape,
/// dtype, Fortran flag and raw bytes; Python 3's `_codecs.encode(text, 'latin1')` form of
/// bytes too). Every other global — anything that would run code — and every other opcode is
/// refused by name, and sizes are bounded (file, nesting, stack, memo, and the total of the
/// values returned, which may not exceed the file's own byte count), so a hostile file gets a
/// one-line `SeqError` naming it instead of running code or allocating without bound.
public enum FeaturePickle {
    /// The largest file read.
    public static let maxFileBytes = 1 << 30
    /// Deepest tuple nesting accepted (a numpy array needs 2).
    public static let maxNesting = 8
    /// Most values on the stack at once (protocol 1–2 batch dict items by 1000).
    public static let maxStack = 100_000
    /// Most memo entries.
    public static let maxMemo = 1 << 24
    /// Most axes of an array.
    public static let maxAxes = 8

    /// One dict item: the key as written, and its vector (nil when the value is None).
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var values: [Float]?
        public init(key: String, values: [Float]?) {
            self.key = key
            self.values = values
        }
    }

    /// Reads the pickle at `url` (at most `maxFileBytes`).
    public static func read(_ url: URL) throws -> [Entry] {
        let path = url.path
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.int64Value > Int64(maxFileBytes) {
            throw SeqError("the pickle is \(size.int64Value) bytes, more than the \(maxFileBytes) this reader accepts", file: path)
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SeqError("cannot read file", file: path)
        }
        return try decode(data, path: path)
    }

    /// Parses the bytes of a whole pickle; `path` names it in errors. The items come in file order.
    public static func decode(_ data: Data, path: String) throws -> [Entry] {
        guard data.count <= maxFileBytes else {
            throw SeqError("the pickle is \(data.count) bytes, more than the \(maxFileBytes) this reader accepts", file: path)
        }
        var machine = Machine(bytes: [UInt8](data), path: path)
        return try machine.run()
    }
}

// MARK: - Values

private enum Global: String {
    case reconstruct = "numpy.core.multiarray._reconstruct"
    case ndarray = "numpy.ndarray"
    case dtype = "numpy.dtype"
    case encode = "_codecs.encode"
}

/// numpy's dtype and ndarray are objects that BUILD fills in after the memo may already hold
/// them (a later array names its dtype by a memo GET), so they are references, as in Python.
private final class DType {
    let itemSize: Int  // 4 or 8
    var bigEndian: Bool
    var built = false
    init(itemSize: Int, bigEndian: Bool) {
        self.itemSize = itemSize
        self.bigEndian = bigEndian
    }
}

private final class ArrayBox {
    /// nil until BUILD.
    var values: [Float]?
}

private indirect enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case bytes([UInt8])
    case text(String)
    case tuple([Value], depth: Int)
    case dict([(key: String, values: [Float]?)])
    case global(Global)
    /// An ndarray from `_reconstruct`, empty until its BUILD.
    case array(ArrayBox)
    case dtype(DType)

    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .bytes: return "a byte string"
        case .text: return "a text string"
        case .tuple: return "a tuple"
        case .dict: return "a dict"
        case .global(let g): return g.rawValue
        case .array: return "an array"
        case .dtype: return "a dtype"
        }
    }

    var depth: Int {
        if case .tuple(_, let d) = self { return d }
        return 0
    }
}

// MARK: - The opcode walker

private struct Machine {
    let bytes: [UInt8]
    let path: String
    var pos = 0
    /// Offset of the opcode being run, for messages.
    var at = 0
    var stack: [Value] = []
    var marks: [Int] = []
    var memo: [Int: Value] = [:]
    var protocolVersion = 0
    /// Float values in arrays built so far, and in dict items (each bounded by the file size,
    /// so memo references cannot multiply one array into an allocation the file does not pay for).
    var valuesBuilt = 0
    var valuesInDicts = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    func fail(_ reason: String) -> SeqError {
        SeqError("not a feature pickle this reader accepts: \(reason) (byte \(at))", file: path)
    }

    // MARK: reading bytes

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - pos else {
            throw SeqError("truncated pickle: \(n) bytes needed at byte \(pos), the file ends at \(bytes.count)", file: path)
        }
        defer { pos += n }
        return bytes[pos..<(pos + n)]
    }

    mutating func byte() throws -> UInt8 { try take(1).first! }

    mutating func littleEndian(_ n: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(n).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    /// A protocol-0 argument: the bytes up to the next newline (which is consumed).
    mutating func line() throws -> ArraySlice<UInt8> {
        guard let nl = bytes[pos...].firstIndex(of: 0x0A) else {
            throw SeqError("truncated pickle: a line starting at byte \(pos) has no end", file: path)
        }
        defer { pos = nl + 1 }
        return bytes[pos..<nl]
    }

    mutating func push(_ v: Value) throws {
        guard stack.count < FeaturePickle.maxStack else { throw fail("more than \(FeaturePickle.maxStack) values on the stack") }
        stack.append(v)
    }

    /// Values above the innermost MARK.
    var unmarked: Int { stack.count - (marks.last ?? 0) }

    mutating func pop() throws -> Value {
        guard unmarked > 0 else { throw fail("stack underflow") }
        return stack.removeLast()
    }

    mutating func popMark() throws -> [Value] {
        guard let m = marks.popLast(), m <= stack.count else { throw fail("no MARK for the opcode") }
        defer { stack.removeSubrange(m...) }
        return Array(stack[m...])
    }

    mutating func tuple(_ items: [Value]) throws -> Value {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= FeaturePickle.maxNesting else { throw fail("tuples nested deeper than \(FeaturePickle.maxNesting)") }
        return .tuple(items, depth: depth)
    }

    mutating func int(_ text: ArraySlice<UInt8>, long: Bool) throws -> Int {
        var s = String(decoding: text, as: UTF8.self)
        if long, s.hasSuffix("L") { s.removeLast() }
        guard let v = Int(s) else { throw fail("integer '\(PrintableName.escaped(String(s.prefix(40))))' is not a whole number this reader holds") }
        return v
    }

    mutating func memoPut(_ index: Int) throws {
        guard unmarked > 0, let top = stack.last else { throw fail("PUT with nothing to store") }
        guard memo.count < FeaturePickle.maxMemo || memo[index] != nil else { throw fail("more than \(FeaturePickle.maxMemo) memo entries") }
        memo[index] = top
    }

    mutating func memoGet(_ index: Int) throws {
        guard let v = memo[index] else { throw fail("GET of memo entry \(index), which was never stored") }
        if case .dict = v { throw fail("a dict referenced twice") }
        try push(v)
    }

    // MARK: the loop

    mutating func run() throws -> [FeaturePickle.Entry] {
        guard !bytes.isEmpty else { throw SeqError("empty file, not a pickle", file: path) }
        while true {
            at = pos
            let op = try byte()
            switch op {
            case 0x80:  // PROTO
                let v = Int(try byte())
                guard at == 0 else { throw fail("PROTO after the start") }
                guard v <= 2 else {
                    throw fail("pickle protocol \(v); this reader takes protocols 0-2 (Python 2's cPickle, or Python 3 with protocol=2)")
                }
                protocolVersion = v
            case UInt8(ascii: "."):  // STOP
                return try finish()
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "0"): _ = try pop()  // POP
            case UInt8(ascii: "1"): _ = try popMark()  // POP_MARK
            case UInt8(ascii: "2"):  // DUP
                guard unmarked > 0, let top = stack.last else { throw fail("DUP on an empty stack") }
                try push(top)
            case UInt8(ascii: "N"): try push(.none)
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case UInt8(ascii: "I"):  // INT (also I01 / I00 for booleans)
                let text = try line()
                if text.elementsEqual("01".utf8) { try push(.bool(true)) } else if text.elementsEqual("00".utf8) { try push(.bool(false)) } else { try push(.int(try int(text, long: false))) }
            case UInt8(ascii: "L"): try push(.int(try int(try line(), long: true)))  // LONG
            case UInt8(ascii: "J"): try push(.int(Int(Int32(truncatingIfNeeded: try littleEndian(4)))))  // BININT
            case UInt8(ascii: "K"): try push(.int(Int(try byte())))  // BININT1
            case UInt8(ascii: "M"): try push(.int(Int(try littleEndian(2))))  // BININT2
            case 0x8A:  // LONG1
                let n = Int(try byte())
                guard n <= 8 else { throw fail("LONG1 of \(n) bytes is larger than this reader holds") }
                var v = n == 0 ? 0 : Int(truncatingIfNeeded: try littleEndian(n))
                if n > 0, n < 8 { let shift = 64 - 8 * n; v = (v << shift) >> shift }
                try push(.int(v))
            case UInt8(ascii: "S"): try push(.bytes(try Self.pythonStringLiteral(try line(), fail: fail)))  // STRING
            case UInt8(ascii: "T"):  // BINSTRING
                let n = Int(Int32(truncatingIfNeeded: try littleEndian(4)))
                guard n >= 0 else { throw fail("BINSTRING with negative length \(n)") }
                try push(.bytes(Array(try take(n))))
            case UInt8(ascii: "U"): try push(.bytes(Array(try take(Int(try byte())))))  // SHORT_BINSTRING
            case UInt8(ascii: "V"): try push(.text(try Self.rawUnicodeEscape(try line(), fail: fail)))  // UNICODE
            case UInt8(ascii: "X"):  // BINUNICODE
                let n = Int(try littleEndian(4))
                let raw = try take(n)
                guard let s = String(validating: raw, as: UTF8.self) else { throw fail("BINUNICODE that is not UTF-8") }
                try push(.text(s))
            case UInt8(ascii: ")"): try push(.tuple([], depth: 1))  // EMPTY_TUPLE
            case UInt8(ascii: "t"): try push(try tuple(try popMark()))  // TUPLE
            case 0x85: let a = try pop(); try push(try tuple([a]))  // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); try push(try tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); try push(try tuple([a, b, c]))  // TUPLE3
            case UInt8(ascii: "}"): try push(.dict([]))  // EMPTY_DICT
            case UInt8(ascii: "d"):  // DICT
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("DICT with an odd number of items") }
                var d: [(key: String, values: [Float]?)] = []
                for i in stride(from: 0, to: items.count, by: 2) { d.append(try item(items[i], items[i + 1])) }
                try push(.dict(d))
            case UInt8(ascii: "s"):  // SETITEM
                let v = try pop(), k = try pop()
                try setItems([(k, v)])
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of items") }
                try setItems(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
            case UInt8(ascii: "c"):  // GLOBAL
                let module = String(decoding: try line(), as: UTF8.self)
                let name = String(decoding: try line(), as: UTF8.self)
                try push(.global(try global(module: module, name: name)))
            case UInt8(ascii: "R"):  // REDUCE
                let args = try pop(), callable = try pop()
                try push(try reduce(callable, args))
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop(), object = try pop()
                try push(try build(object, state))
            case UInt8(ascii: "p"): try memoPut(try int(try line(), long: false))  // PUT
            case UInt8(ascii: "q"): try memoPut(Int(try byte()))  // BINPUT
            case UInt8(ascii: "r"): try memoPut(Int(try littleEndian(4)))  // LONG_BINPUT
            case UInt8(ascii: "g"): try memoGet(try int(try line(), long: false))  // GET
            case UInt8(ascii: "h"): try memoGet(Int(try byte()))  // BINGET
            case UInt8(ascii: "j"): try memoGet(Int(try littleEndian(4)))  // LONG_BINGET
            default:
                throw fail("opcode \(Self.opcodeName(op)) is outside the subset of a feature pickle")
            }
        }
    }

    static func opcodeName(_ op: UInt8) -> String {
        let names: [UInt8: String] = [
            0x69: "INST", 0x6F: "OBJ", 0x81: "NEWOBJ", 0x92: "NEWOBJ_EX", 0x93: "STACK_GLOBAL", 0x50: "PERSID",
            0x51: "BINPERSID", 0x46: "FLOAT", 0x47: "BINFLOAT", 0x5D: "EMPTY_LIST", 0x6C: "LIST", 0x61: "APPEND",
            0x65: "APPENDS", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8B: "LONG4", 0x42: "BINBYTES",
            0x43: "SHORT_BINBYTES", 0x8C: "SHORT_BINUNICODE", 0x8D: "BINUNICODE8", 0x8E: "BINBYTES8",
            0x8F: "EMPTY_SET", 0x90: "ADDITEMS", 0x91: "FROZENSET", 0x94: "MEMOIZE", 0x95: "FRAME",
            0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
        ]
        let hex = "0x" + String(op, radix: 16, uppercase: true)
        if let n = names[op] { return "\(n) (\(hex))" }
        if op >= 0x20, op < 0x7F { return "'\(Character(Unicode.Scalar(op)))' (\(hex))" }
        return hex
    }

    /// The classes and functions a numpy feature pickle names; anything else is refused by name.
    func global(module: String, name: String) throws -> Global {
        switch (module, name) {
        case ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"): return .reconstruct
        case ("numpy", "ndarray"): return .ndarray
        case ("numpy", "dtype"): return .dtype
        case ("_codecs", "encode"): return .encode
        default:
            throw fail("global '\(PrintableName.escaped(String(module.prefix(80)))).\(PrintableName.escaped(String(name.prefix(80))))' is refused; only numpy arrays are read, nothing is called")
        }
    }

    mutating func reduce(_ callable: Value, _ args: Value) throws -> Value {
        guard case .global(let g) = callable else { throw fail("REDUCE of \(callable.kind), not a known global") }
        guard case .tuple(let a, _) = args else { throw fail("REDUCE arguments are \(args.kind), not a tuple") }
        switch g {
        case .reconstruct:
            // _reconstruct(ndarray, (0,), b'b'): an empty array that BUILD fills in.
            guard a.count == 3, case .global(.ndarray) = a[0] else { throw fail("_reconstruct of something other than numpy.ndarray") }
            return .array(ArrayBox())
        case .dtype:
            guard a.count == 3, let name = string(a[0]) else { throw fail("numpy.dtype with unexpected arguments") }
            var n = Substring(name)
            var big = false
            if let first = n.first, "<>=|".contains(first) { big = first == ">"; n = n.dropFirst() }
            let size: Int
            switch n {
            case "f4", "float32": size = 4
            case "f8", "float64": size = 8
            default:
                throw fail("dtype '\(PrintableName.escaped(String(name.prefix(40))))'; features must be float32 or float64")
            }
            return .dtype(DType(itemSize: size, bigEndian: big))
        case .encode:
            // Python 3 writes bytes for protocols < 3 as _codecs.encode(text, 'latin1').
            guard a.count == 2, case .text(let text) = a[0], let enc = string(a[1]), ["latin1", "latin-1"].contains(enc.lowercased()) else {
                throw fail("_codecs.encode other than (text, 'latin1')")
            }
            return .bytes(try latin1(text))
        case .ndarray:
            throw fail("numpy.ndarray called directly")
        }
    }

    func string(_ v: Value) -> String? {
        switch v {
        case .text(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        default: return nil
        }
    }

    func latin1(_ text: String) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            guard s.value <= 0xFF else { throw fail("array data holds a character beyond latin-1") }
            out.append(UInt8(s.value))
        }
        return out
    }

    func flag(_ v: Value) -> Bool? {
        switch v {
        case .bool(let b): return b
        case .int(let i) where i == 0 || i == 1: return i == 1
        default: return nil
        }
    }

    mutating func build(_ object: Value, _ state: Value) throws -> Value {
        guard case .tuple(let s, _) = state else { throw fail("BUILD state of \(object.kind) is \(state.kind), not a tuple") }
        switch object {
        case .dtype(let d):
            // (version 3|4, endian, subarray, names, fields, elsize, alignment, flags[, metadata])
            guard !d.built, s.count == 8 || s.count == 9, case .int(let version) = s[0], version == 3 || version == 4,
                  let endian = string(s[1]) else { throw fail("dtype state of an unknown form") }
            guard case .none = s[2], case .none = s[3], case .none = s[4] else { throw fail("structured or sub-array dtype") }
            switch endian {
            case "<", "=": d.bigEndian = false
            case ">": d.bigEndian = true
            default: throw fail("dtype byte order '\(PrintableName.escaped(String(endian.prefix(8))))'")
            }
            d.built = true
            return .dtype(d)
        case .array(let box) where box.values == nil:
            // (version 1, shape, dtype, fortran, data), or the older form without the version.
            let f = s.count == 5 ? Array(s.dropFirst()) : s
            if s.count == 5 { guard case .int(1) = s[0] else { throw fail("ndarray state version other than 1") } }
            guard f.count == 4, case .tuple(let shapeItems, _) = f[0], case .dtype(let dtype) = f[1], dtype.built,
                  flag(f[2]) != nil else { throw fail("ndarray state of an unknown form") }
            let raw: [UInt8]
            switch f[3] {
            case .bytes(let b): raw = b
            case .text(let t): raw = try latin1(t)
            default: throw fail("ndarray data is \(f[3].kind), not raw bytes (object arrays are refused)")
            }
            guard shapeItems.count <= FeaturePickle.maxAxes else { throw fail("array with \(shapeItems.count) axes") }
            var shape: [Int] = []
            var count = 1
            for item in shapeItems {
                guard case .int(let n) = item, n >= 0 else { throw fail("array shape holds \(item.kind) or a negative size") }
                shape.append(n)
                let (p, o) = count.multipliedReportingOverflow(by: n)
                guard !o, p <= raw.count else {
                    throw fail("array shape \(shape.map(String.init).joined(separator: "x"))… needs more data than the \(raw.count) bytes stored")
                }
                count = p
            }
            guard shape.filter({ $0 != 1 }).count <= 1 else {
                throw fail("array of shape (\(shape.map(String.init).joined(separator: ", "))); each feature must be one vector")
            }
            guard count * dtype.itemSize == raw.count else {
                throw fail("array of shape (\(shape.map(String.init).joined(separator: ", "))) needs \(count * dtype.itemSize) bytes, \(raw.count) are stored")
            }
            valuesBuilt += count
            guard valuesBuilt <= bytes.count else { throw fail("arrays hold more values than the file has bytes") }
            box.values = Self.floats(raw, count: count, dtype: dtype)
            return object
        default:
            throw fail("BUILD of \(object.kind)")
        }
    }

    static func floats(_ raw: [UInt8], count: Int, dtype: DType) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        raw.withUnsafeBytes { p in
            for i in 0..<count {
                if dtype.itemSize == 4 {
                    var bits = p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
                    bits = dtype.bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)
                    out[i] = Float(bitPattern: bits)
                } else {
                    var bits = p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                    bits = dtype.bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)
                    out[i] = Float(Double(bitPattern: bits))
                }
            }
        }
        return out
    }

    mutating func item(_ k: Value, _ v: Value) throws -> (key: String, values: [Float]?) {
        let key: String
        switch k {
        case .text(let s): key = s
        // Python 2 `str` keys: paths as bytes, UTF-8 where they are, else latin-1.
        case .bytes(let b): key = String(validating: b, as: UTF8.self) ?? String(b.map { Character(Unicode.Scalar($0)) })
        default: throw fail("dict key is \(k.kind), not a string")
        }
        switch v {
        case .array(let box) where box.values != nil:
            let a = box.values!
            valuesInDicts += a.count
            guard valuesInDicts <= bytes.count else { throw fail("dict items hold more values than the file has bytes") }
            return (key, a)
        case .none: return (key, nil)
        default: throw fail("value of '\(PrintableName.escaped(String(key.prefix(200))))' is \(v.kind), not a numpy float array")
        }
    }

    mutating func setItems(_ items: [(Value, Value)]) throws {
        guard unmarked > 0, case .dict(var d) = stack.last else {
            throw fail("SETITEM(S) on \(stack.last?.kind ?? "nothing"), not a dict")
        }
        stack[stack.count - 1] = .none  // drop the reference so appending does not copy
        for (k, v) in items { d.append(try item(k, v)) }
        stack[stack.count - 1] = .dict(d)
    }

    mutating func finish() throws -> [FeaturePickle.Entry] {
        guard stack.count == 1, marks.isEmpty, case .dict(let d) = stack[0] else {
            throw fail("the pickle ends with \(stack.count) values (\(stack.last?.kind ?? "none")), not one dict")
        }
        guard pos == bytes.count else { throw fail("\(bytes.count - pos) bytes after STOP") }
        // A later item with the same key replaces the earlier one, as in Python.
        var index: [String: Int] = [:]
        var out: [FeaturePickle.Entry] = []
        for (k, v) in d {
            if let i = index[k] { out[i].values = v } else {
                index[k] = out.count
                out.append(.init(key: k, values: v))
            }
        }
        return out
    }

    // MARK: protocol-0 string literals

    /// A Python 2 `repr` of a `str` as protocol 0 writes it: quoted with ' or ", with the
    /// escapes of Python's string-escape codec (\\ \' \" \n \r \t \a \b \f \v \xHH \ooo).
    static func pythonStringLiteral(_ text: ArraySlice<UInt8>, fail: (String) -> SeqError) throws -> [UInt8] {
        let t = Array(text)
        guard t.count >= 2, let q = t.first, q == UInt8(ascii: "'") || q == UInt8(ascii: "\""), t.last == q else {
            throw fail("STRING argument is not a quoted literal")
        }
        var out: [UInt8] = []
        out.reserveCapacity(t.count)
        var i = 1
        let end = t.count - 1
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        while i < end {
            let c = t[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < end else { throw fail("STRING literal ends in a lone backslash") }
            let e = t[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "\n"): break
            case UInt8(ascii: "x"):
                guard i + 1 < end, let h = hex(t[i]), let l = hex(t[i + 1]) else { throw fail("STRING literal with a bad \\x escape") }
                out.append(h << 4 | l)
                i += 2
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = Int(e - 0x30)
                var digits = 1
                while digits < 3, i < end, (0x30...0x37).contains(t[i]) { v = v * 8 + Int(t[i] - 0x30); i += 1; digits += 1 }
                out.append(UInt8(truncatingIfNeeded: v))
            default:
                // Python keeps an unknown escape as it is.
                out.append(UInt8(ascii: "\\"))
                out.append(e)
            }
        }
        return out
    }

    /// Protocol 0's `unicode`: raw-unicode-escape (\uXXXX, \UXXXXXXXX; other bytes are latin-1).
    static func rawUnicodeEscape(_ text: ArraySlice<UInt8>, fail: (String) -> SeqError) throws -> String {
        let t = Array(text)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < t.count {
            if t[i] == UInt8(ascii: "\\"), i + 1 < t.count, t[i + 1] == UInt8(ascii: "u") || t[i + 1] == UInt8(ascii: "U") {
                let n = t[i + 1] == UInt8(ascii: "u") ? 4 : 8
                guard i + 2 + n <= t.count, let v = UInt32(String(decoding: t[(i + 2)..<(i + 2 + n)], as: UTF8.self), radix: 16),
                      let s = Unicode.Scalar(v) else { throw fail("UNICODE literal with a bad \\u escape") }
                out.append(s)
                i += 2 + n
            } else {
                out.append(Unicode.Scalar(t[i]))
                i += 1
            }
        }
        return String(out)
    }
}
