import Foundation
import SeqCore

/// A feed-forward network written down as data: one input blob, nodes that read and write named
/// blobs, and the blob that is the output. `GraphNetwork` runs it.
///
/// Each blob is written once (imported Caffe nets are renamed so in-place layers write new blob
/// names), and a node only reads blobs written before it, so `nodes` is already in run order.
/// Weights live outside the spec, in a `[String: Tensor]` keyed `<node>.<role>`; the roles of each
/// op are listed at `GraphNode.Op`. Per-sample shapes leave out the batch: `[C, H, W]` or `[D]`.
public struct GraphSpec: Codable, Equatable, Sendable {
    /// Name and per-sample shape (`[C, H, W]`) of the input blob.
    public var input: String
    public var inputShape: [Int]
    /// The blob the network returns.
    public var output: String
    public var nodes: [GraphNode]

    public init(input: String, inputShape: [Int], output: String, nodes: [GraphNode]) {
        self.input = input
        self.inputShape = inputShape
        self.output = output
        self.nodes = nodes
    }

    enum CodingKeys: String, CodingKey {
        case input, inputShape = "input_shape", output, nodes
    }
}

/// One operation of a `GraphSpec`. Only the fields its `op` uses are set.
public struct GraphNode: Codable, Equatable, Sendable {
    /// What a node computes, and the weights it reads (`<node name>.<role>`).
    public enum Op: String, Codable, Sendable, CaseIterable {
        /// 2-D convolution: `weight` `[out, in/group, kh, kw]`, `bias` `[out]` when `bias` is true.
        case conv
        /// Fully connected over the flattened sample: `weight` `[out, in]`, `bias` `[out]` when `bias` is true.
        case linear
        /// Parametric ReLU: `slope` `[C]`.
        case prelu
        /// `x > 0 ? x : negativeSlope * x`.
        case relu
        /// Element-wise `sum` (with `coefficients`), `prod` or `max` of the inputs.
        case eltwise
        /// `max` or `ave` pooling with Caffe's output rounding and averaging window.
        case pool
        /// Per-channel `x * scale[c] + shift[c]`: `scale` `[C]`, `shift` `[C]` when `bias` is true.
        case affine
        /// `x / sqrt(sum x^2 + epsilon)`, over the whole sample or (`acrossSpatial` false) over the
        /// channels at each position; then times `scale` (`[1]` or `[C]`) when `scaled` is true.
        case l2norm
        /// `[N, ...]` to `[N, D]`.
        case flatten
        /// Copies its input to every output (Caffe's Split and Dropout at test time).
        case identity
    }

    public var name: String
    public var op: Op
    public var inputs: [String]
    public var outputs: [String]

    /// conv, linear: output channels or features.
    public var outChannels: Int?
    /// conv, pool: `[h, w]`.
    public var kernel: [Int]?
    public var stride: [Int]?
    public var pad: [Int]?
    /// conv: channel groups (default 1).
    public var group: Int?
    /// conv, linear, affine: whether there is a `bias` (conv, linear) or `shift` (affine) weight.
    public var bias: Bool?
    /// relu: slope for negative inputs (default 0).
    public var negativeSlope: Float?
    /// eltwise: `sum` (default), `prod` or `max`.
    public var eltwise: String?
    /// eltwise sum: one factor per input (default all 1).
    public var coefficients: [Float]?
    /// pool: `max` or `ave`.
    public var pool: String?
    /// pool: the window is the whole map.
    public var global: Bool?
    /// pool: round the output size up (Caffe's default) rather than down.
    public var ceil: Bool?
    /// l2norm: added under the square root.
    public var epsilon: Float?
    /// l2norm: normalise the whole sample (true, the default) or each position across channels.
    public var acrossSpatial: Bool?
    /// l2norm: multiply by the `scale` weight afterwards.
    public var scaled: Bool?

    public init(name: String, op: Op, inputs: [String], outputs: [String]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }

    enum CodingKeys: String, CodingKey {
        case name, op, inputs, outputs
        case outChannels = "out_channels", kernel, stride, pad, group, bias
        case negativeSlope = "negative_slope", eltwise, coefficients, pool, global, ceil
        case epsilon, acrossSpatial = "across_spatial", scaled
    }
}
