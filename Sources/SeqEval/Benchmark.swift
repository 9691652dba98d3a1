/// The face-verification benchmarks `seqcurate eval` knows.
public enum Benchmark: String, CaseIterable, Sendable {
    /// Labeled Faces in the Wild: 6000 image pairs in ten folds of 600.
    case lfw
    /// YouTube Faces: 5000 video pairs in ten splits.
    case ytf

    /// The name researchers print, e.g. in tables.
    public var displayName: String {
        switch self {
        case .lfw: return "LFW"
        case .ytf: return "YTF"
        }
    }
}

/// The text layouts a pair list may be written in.
public enum PairLayout: String, CaseIterable, Sendable {
    /// LFW's `pairs.txt`: a `folds perFold` header, then `name n1 n2` (same person) and
    /// `name1 n1 name2 n2` (different people) lines, `perFold` of each per fold.
    case lfwOfficial = "lfw-official"
    /// SeqFace's LFW list: `path1 path2 label` with paths relative to the LFW root.
    case lfwSeqFace = "lfw-seqface"
    /// YTF's `splits.txt`: CSV `split number, pair number, first name, second name, is same person`.
    case ytfOfficial = "ytf-official"
    /// SeqFace's YTF list: `split pair name1 name2 label`, whitespace separated.
    case ytfSeqFace = "ytf-seqface"

    /// The benchmark whose pairs this layout lists.
    public var benchmark: Benchmark {
        switch self {
        case .lfwOfficial, .lfwSeqFace: return .lfw
        case .ytfOfficial, .ytfSeqFace: return .ytf
        }
    }

    /// A one-line description of the layout, for messages and reports.
    public var summary: String {
        switch self {
        case .lfwOfficial: return "LFW official (pairs.txt: header, name n1 n2 / name1 n1 name2 n2)"
        case .lfwSeqFace: return "LFW SeqFace (path1 path2 label)"
        case .ytfOfficial: return "YTF official (splits.txt CSV)"
        case .ytfSeqFace: return "YTF SeqFace (split pair name1 name2 label)"
        }
    }
}
