import Foundation

/// Weight fillers as Caffe defines them, drawing from a caller-supplied generator so runs
/// are reproducible from a seed.
extension Parameter {
    /// Every element set to `v` (Caffe's "constant").
    public func fill(_ v: Float) {
        value.data.withUnsafeMutableBufferPointer { $0.update(repeating: v) }
    }

    /// Caffe's "xavier" filler: uniform in `[-a, a]` with `a = sqrt(3 / fanIn)`, where
    /// `fanIn = count / shape[0]` (input channels x kernel area, or input features).
    public func fillXavier<R: RandomNumberGenerator>(using rng: inout R) {
        let fanIn = max(1, value.count / max(1, value.shape.first ?? 1))
        let a = (3 / Float(fanIn)).squareRoot()
        for i in 0..<value.count { value.data[i] = Float.random(in: -a...a, using: &rng) }
    }

    /// Caffe's "gaussian" filler: normal with mean 0 and the given standard deviation.
    public func fillGaussian<R: RandomNumberGenerator>(std: Float, using rng: inout R) {
        var i = 0
        while i < value.count {
            // Box-Muller: two independent normals per pair of uniforms.
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
            let u2 = Double.random(in: 0..<1, using: &rng)
            let r = (-2 * log(u1)).squareRoot()
            value.data[i] = Float(r * cos(2 * .pi * u2)) * std
            if i + 1 < value.count { value.data[i + 1] = Float(r * sin(2 * .pi * u2)) * std }
            i += 2
        }
    }
}
