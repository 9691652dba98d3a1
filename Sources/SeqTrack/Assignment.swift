/// Minimum-cost one-to-one assignment (the Hungarian method, shortest augmenting paths with
/// potentials), for the rectangular cost matrices of tracks x detections.
enum Assignment {
    /// For each row, the column assigned to it, or nil. Every row gets a column when there are at
    /// least as many columns as rows, and vice versa; the total cost is minimal.
    static func solve(_ cost: [[Double]]) -> [Int?] {
        let rows = cost.count
        guard rows > 0, let cols = cost.first?.count, cols > 0 else { return [Int?](repeating: nil, count: rows) }
        // The method wants rows <= columns; solve the transpose otherwise.
        if rows > cols {
            let transposed = (0..<cols).map { c in (0..<rows).map { r in cost[r][c] } }
            let byColumn = solve(transposed)
            var out = [Int?](repeating: nil, count: rows)
            for (c, r) in byColumn.enumerated() { if let r { out[r] = c } }
            return out
        }
        let n = rows, m = cols
        // 1-based arrays; column 0 is the virtual start.
        var u = [Double](repeating: 0, count: n + 1)
        var v = [Double](repeating: 0, count: m + 1)
        var owner = [Int](repeating: 0, count: m + 1)   // row assigned to column j
        var way = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            owner[0] = i
            var j0 = 0
            var minv = [Double](repeating: .infinity, count: m + 1)
            var used = [Bool](repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = owner[j0]
                var delta = Double.infinity
                var j1 = 0
                for j in 1...m where !used[j] {
                    let reduced = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if reduced < minv[j] { minv[j] = reduced; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0...m {
                    if used[j] { u[owner[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while owner[j0] != 0
            repeat {
                let j1 = way[j0]
                owner[j0] = owner[j1]
                j0 = j1
            } while j0 != 0
        }
        var out = [Int?](repeating: nil, count: n)
        for j in 1...m where owner[j] != 0 { out[owner[j] - 1] = j - 1 }
        return out
    }
}
