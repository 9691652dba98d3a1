import Foundation

/// Scratch buffers for im2col and gathered products, one set per thread and shared by all
/// layers on it, so a deep network keeps one column buffer rather than one per layer and
/// hot loops do not allocate.
final class Workspace {
    var columns: [Float] = []
    var gathered: [Float] = []
    var weights: [Float] = []
    var padded: [Float] = []

    private static let key = "SeqNN.Workspace"

    /// The calling thread's workspace.
    static var current: Workspace {
        let dict = Thread.current.threadDictionary
        if let w = dict[key] as? Workspace { return w }
        let w = Workspace()
        dict[key] = w
        return w
    }

    /// Makes sure both buffers hold at least the given number of floats (they never shrink).
    func reserve(columns c: Int, gathered g: Int) {
        if columns.count < c { columns = [Float](repeating: 0, count: c) }
        if gathered.count < g { gathered = [Float](repeating: 0, count: g) }
    }

    /// Makes sure the transformed-weights buffer holds at least `count` floats.
    func reserve(weights count: Int) {
        if weights.count < count { weights = [Float](repeating: 0, count: count) }
    }

    /// Makes sure the padded-image buffer holds at least `count` floats.
    func reserve(padded count: Int) {
        if padded.count < count { padded = [Float](repeating: 0, count: count) }
    }
}
