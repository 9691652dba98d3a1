import Foundation
import SeqCore
import SeqNN

/// Runs the losses on `.npy` files, for `seqcurate loss` and for cross-checks against other
/// frameworks. Every shape and value problem becomes a `SeqError` naming the file.
public enum LossFileRunner {
    /// Reads logits `(B, C)` and int32 labels `(B,)`, writes `outDir/dlogits.npy`, returns the loss.
    public static func runLSRO(logits logitsURL: URL, labels labelsURL: URL, outDir: URL,
                               ignoreLabel: Int32? = nil) throws -> Float {
        let logits = try NPYArray<Float>.read(from: logitsURL)
        guard logits.shape.count == 2, logits.shape[0] > 0, logits.shape[1] > 0 else {
            throw SeqError("logits must be a non-empty 2-D array (batch, classes), got shape \(logits.shape)", file: logitsURL.path)
        }
        try requireFinite(logits.values, logitsURL)
        let labels = try readLabels(labelsURL, count: logits.shape[0], countSource: logitsURL)
        for (i, y) in labels.enumerated() where y != ignoreLabel && Int(y) >= logits.shape[1] {
            throw SeqError("label \(y) at index \(i) is not below the class count \(logits.shape[1])", file: labelsURL.path)
        }
        let out = try LSROLoss(ignoreLabel: ignoreLabel).evaluate(logits: logits.values, labels: labels, classes: logits.shape[1])
        try makeDirectory(outDir)
        try NPYArray(shape: logits.shape, values: out.dlogits).write(to: outDir.appendingPathComponent("dlogits.npy"))
        return out.loss
    }

    /// Reads features `(B, K)`, labels `(B,)`, agents `(F+S, K)` and the agent order `(F+S,)`;
    /// writes `dfeatures.npy`, `dcenters.npy` and `centers.npy` (the agents after the optional
    /// normalisation) into `outDir`; returns the loss.
    public static func runDSA(features featuresURL: URL, labels labelsURL: URL, centers centersURL: URL,
                              agentOrder orderURL: URL, config: DSAConfig, outDir: URL) throws -> Float {
        try config.validate()
        let features = try NPYArray<Float>.read(from: featuresURL)
        guard features.shape.count == 2, features.shape[0] > 0, features.shape[1] > 0 else {
            throw SeqError("features must be a non-empty 2-D array (batch, dim), got shape \(features.shape)", file: featuresURL.path)
        }
        try requireFinite(features.values, featuresURL)
        let dim = features.shape[1]
        let labels = try readLabels(labelsURL, count: features.shape[0], countSource: featuresURL)
        for (i, y) in labels.enumerated() where y != config.ignoreLabel {
            if y >= 0 && Int(y) >= config.faceIDCount {
                throw SeqError("label \(y) at index \(i) is not below --faceid-num \(config.faceIDCount)", file: labelsURL.path)
            }
            if y < 0 && config.sequenceIDCount > 0 && -Int(y) > config.sequenceIDCount {
                throw SeqError("label \(y) at index \(i) is below -(--seqid-num) = -\(config.sequenceIDCount)", file: labelsURL.path)
            }
        }
        let centers = try NPYArray<Float>.read(from: centersURL)
        guard centers.shape == [config.agentCount, dim] else {
            throw SeqError("centers must have shape (\(config.agentCount), \(dim)) = (faceid_num + seqid_num, feature dim), got \(centers.shape)", file: centersURL.path)
        }
        try requireFinite(centers.values, centersURL)
        let order = try NPYArray<Int32>.read(from: orderURL)
        guard order.shape.count == 1, order.values.count == config.agentCount else {
            throw SeqError("agent order must be a 1-D permutation of 0..<\(config.agentCount), got shape \(order.shape)", file: orderURL.path)
        }
        var seen = [Bool](repeating: false, count: config.agentCount)
        for (i, a) in order.values.enumerated() {
            guard a >= 0, Int(a) < config.agentCount, !seen[Int(a)] else {
                throw SeqError("agent order is not a permutation of 0..<\(config.agentCount): entry \(i) is \(a)", file: orderURL.path)
            }
            seen[Int(a)] = true
        }
        var agents = centers.values
        let loss = try DSALoss(config: config, featureDim: dim)
        let out = try loss.evaluate(features: features.values, labels: labels, centers: &agents,
                                    agentOrder: order.values.map(Int.init))
        try makeDirectory(outDir)
        try NPYArray(shape: features.shape, values: out.dfeatures).write(to: outDir.appendingPathComponent("dfeatures.npy"))
        try NPYArray(shape: centers.shape, values: out.dcenters).write(to: outDir.appendingPathComponent("dcenters.npy"))
        try NPYArray(shape: centers.shape, values: agents).write(to: outDir.appendingPathComponent("centers.npy"))
        return out.loss
    }

    /// Runs the published head, `NormL2` → `Scale(s)` → `MarginInnerProduct`, forward and
    /// backward on files: raw `fc5` features `(B, K)`, class weights `(N, K)`, int32 labels
    /// `(B,)` (`0…N-1`, or negative for a sequence sample: no margin) and the logits' gradient
    /// `(B, N)`. Writes `logits.npy`, `dfeatures.npy` (gradient with respect to the raw
    /// features), `dweight.npy` (class-weight gradient, by `config.backward`) and `weight.npy`
    /// (the class weights after the in-place normalisation). `iteration` is the 1-based
    /// iteration the SphereFace lambda is taken at (Caffe's `iter_` after its increment).
    /// Returns that lambda.
    public static func runMargin(features featuresURL: URL, weight weightURL: URL, labels labelsURL: URL, topDiff topDiffURL: URL,
                                 config: MarginConfig, iteration: Int, outDir: URL) throws -> Float {
        try config.validate()
        let features = try NPYArray<Float>.read(from: featuresURL)
        guard features.shape.count == 2, features.shape[0] > 0, features.shape[1] > 0 else {
            throw SeqError("features must be a non-empty 2-D array (batch, dim), got shape \(features.shape)", file: featuresURL.path)
        }
        try requireFinite(features.values, featuresURL)
        let (batch, dim) = (features.shape[0], features.shape[1])
        let weight = try NPYArray<Float>.read(from: weightURL)
        guard weight.shape.count == 2, weight.shape[0] > 0, weight.shape[1] == dim else {
            throw SeqError("weight must be a 2-D array (classes, \(dim)) matching the features' dim, got shape \(weight.shape)", file: weightURL.path)
        }
        try requireFinite(weight.values, weightURL)
        let classes = weight.shape[0]
        for r in 0..<classes where !weight.values[(r * dim)..<((r + 1) * dim)].contains(where: { $0 != 0 }) {
            throw SeqError("class weight row \(r) is zero and cannot be normalised", file: weightURL.path)
        }
        let labels = try readLabels(labelsURL, count: batch, countSource: featuresURL)
        for (i, y) in labels.enumerated() where Int(y) >= classes {
            throw SeqError("label \(y) at index \(i) is not below the class count \(classes)", file: labelsURL.path)
        }
        let topDiff = try NPYArray<Float>.read(from: topDiffURL)
        guard topDiff.shape == [batch, classes] else {
            throw SeqError("top diff must have shape (\(batch), \(classes)) = (batch, classes), got \(topDiff.shape)", file: topDiffURL.path)
        }
        try requireFinite(topDiff.values, topDiffURL)
        var rng = SeededGenerator(seed: 1)
        let head = try MarginHead(featureDim: dim, classes: classes, config: config, using: &rng)
        try head.weight.assign(Tensor(shape: weight.shape, data: weight.values))
        let logits = head.forward(Tensor(shape: features.shape, data: features.values), labels: labels, iteration: iteration)
        head.weight.zeroGrad()
        let dfeatures = head.backward(Tensor(shape: topDiff.shape, data: topDiff.values))
        try makeDirectory(outDir)
        try NPYArray(shape: logits.shape, values: logits.data).write(to: outDir.appendingPathComponent("logits.npy"))
        try NPYArray(shape: dfeatures.shape, values: dfeatures.data).write(to: outDir.appendingPathComponent("dfeatures.npy"))
        try NPYArray(shape: weight.shape, values: head.weight.grad.data).write(to: outDir.appendingPathComponent("dweight.npy"))
        try NPYArray(shape: weight.shape, values: head.weight.value.data).write(to: outDir.appendingPathComponent("weight.npy"))
        return config.kind == .sphereface ? config.sphereLambda(iteration: iteration) : 0
    }

    /// The one-line JSON `loss margin` prints.
    public static func lambdaJSON(_ lambda: Float) -> String {
        String(format: "{\"lambda\": %.9g}", Double(lambda))
    }

    /// The one-line JSON the command prints.
    public static func lossJSON(_ loss: Float) -> String {
        String(format: "{\"loss\": %.9g}", Double(loss))
    }

    private static func readLabels(_ url: URL, count: Int, countSource: URL) throws -> [Int32] {
        let labels = try NPYArray<Int32>.read(from: url)
        guard labels.shape == [count] || labels.shape == [count, 1] else {
            throw SeqError("labels must have shape (\(count),) to match \(countSource.lastPathComponent), got \(labels.shape)", file: url.path)
        }
        return labels.values
    }

    private static func requireFinite(_ values: [Float], _ url: URL) throws {
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw SeqError("non-finite value \(values[i]) at flat index \(i)", file: url.path)
        }
    }

    private static func makeDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw SeqError("cannot create output folder: \(error.localizedDescription)", file: url.path)
        }
    }
}
