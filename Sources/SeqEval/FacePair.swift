/// One verification pair from a protocol file.
public struct FacePair: Equatable, Sendable {
    /// Key of the first face: an image path relative to the dataset root (LFW,
    /// `Name/Name_0001.jpg`) or a video folder (YTF, `Name/<video>`).
    public var first: String
    /// Key of the second face, in the same form as `first`.
    public var second: String
    /// True when both faces show the same person.
    public var same: Bool
    /// The cross-validation fold the pair belongs to: 1–10 for LFW (blocks in file order),
    /// the split column for YTF.
    public var fold: Int
    /// The 1-based line of the pair in its file, for messages.
    public var line: Int

    public init(first: String, second: String, same: Bool, fold: Int, line: Int) {
        self.first = first
        self.second = second
        self.same = same
        self.fold = fold
        self.line = line
    }
}

/// The pairs of one protocol file, in file order.
public struct PairList: Sendable {
    /// Path of the file the pairs came from (for messages).
    public var file: String
    /// The layout the file was written in.
    public var layout: PairLayout
    public var pairs: [FacePair]

    public init(file: String, layout: PairLayout, pairs: [FacePair]) {
        self.file = file
        self.layout = layout
        self.pairs = pairs
    }

    /// The benchmark the pairs belong to.
    public var benchmark: Benchmark { layout.benchmark }

    /// The people of the pairs: the folder of each key (`Name` of `Name/Name_0001.jpg` or
    /// `Name/3`), distinct, in order of first appearance. `exclude` keeps them out of training.
    public var people: [String] {
        var seen = Set<String>()
        var out: [String] = []
        for pair in pairs {
            for key in [pair.first, pair.second] {
                let name = String(key.prefix { $0 != "/" })
                if seen.insert(name).inserted { out.append(name) }
            }
        }
        return out
    }

    /// The distinct fold numbers, ascending.
    public var folds: [Int] { Array(Set(pairs.map(\.fold))).sorted() }
}
