/// A differentiable operation with one input and one output.
///
/// `forward` remembers what `backward` needs, so call them in pairs on the same instance.
/// Layers hold scratch buffers and are not safe to share between threads.
public protocol Layer: AnyObject {
    /// Computes the output for `x`.
    func forward(_ x: Tensor) -> Tensor
    /// Given the gradient of the loss with respect to the last output, returns the gradient
    /// with respect to the last input and ADDS the parameter gradients to `Parameter.grad`.
    func backward(_ dy: Tensor) -> Tensor
    /// The trainable parameters, in a stable order.
    var parameters: [Parameter] { get }
}

extension Layer {
    public var parameters: [Parameter] { [] }
}

/// Runs layers one after another.
public final class Sequential: Layer {
    public var layers: [Layer]

    public init(_ layers: [Layer]) {
        self.layers = layers
    }

    public func forward(_ x: Tensor) -> Tensor {
        var y = x
        for layer in layers { y = layer.forward(y) }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        var g = dy
        for layer in layers.reversed() { g = layer.backward(g) }
        return g
    }

    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }
}
