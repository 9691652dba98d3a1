import Foundation
@testable import SeqNN
import SeqTestSupport
import XCTest

final class GraphNetworkTests: XCTestCase {
    private func node(_ name: String, _ op: GraphNode.Op, _ inputs: [String], _ outputs: [String], _ set: (inout GraphNode) -> Void = { _ in }) -> GraphNode {
        var n = GraphNode(name: name, op: op, inputs: inputs, outputs: outputs)
        set(&n)
        return n
    }

    func testCaffePoolingGeometry() {
        // ceil((7 - 3) / 2) + 1 = 3; ceil((8 - 3) / 2) + 1 = 4 (floor would give 3).
        let w = PoolWindow(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 0, padW: 0)
        XCTAssertEqual(w.outputSize(height: 7, width: 8).height, 3)
        XCTAssertEqual(w.outputSize(height: 7, width: 8).width, 4)
        var floor = w
        floor.ceil = false
        XCTAssertEqual(floor.outputSize(height: 7, width: 8).width, 3)
        // Average with padding 1 over a 2x2 map of ones, kernel 3 stride 2 (output 2x2): the
        // divisor is the window clipped to the padded map, so padding counts, overhang does not:
        // the first window holds 4 ones of 3x3, the last 1 one of 2x2.
        let ave = PoolWindow(kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padH: 1, padW: 1)
        let y = ave.forward(Tensor(repeating: 1, shape: [1, 1, 2, 2]), average: true)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.data[0], 4.0 / 9.0, accuracy: 1e-6)
        XCTAssertEqual(y.data[3], 1.0 / 4.0, accuracy: 1e-6)
    }

    func testGroupedConvolutionEqualsTwoHalves() throws {
        var rng = SystemRandomNumberGenerator()
        let x = Tensor(shape: [2, 4, 5, 5], data: (0..<200).map { _ in Float.random(in: -1...1, using: &rng) })
        let w = Tensor(shape: [6, 2, 3, 3], data: (0..<108).map { _ in Float.random(in: -1...1, using: &rng) })
        let b = Tensor(shape: [6], data: (0..<6).map { Float($0) })
        let spec = GraphSpec(input: "x", inputShape: [4, 5, 5], output: "y", nodes: [
            node("c", .conv, ["x"], ["y"]) { $0.outChannels = 6; $0.kernel = [3, 3]; $0.pad = [1, 1]; $0.group = 2 },
        ])
        let y = try GraphNetwork(spec: spec, weights: ["c.weight": w, "c.bias": b]).forward(x)
        XCTAssertEqual(y.shape, [2, 6, 5, 5])
        for g in 0..<2 {
            let conv = Conv2D(inChannels: 2, outChannels: 3, kernel: 3, padding: 1)
            conv.weight.value = Tensor(shape: [3, 2, 3, 3], data: Array(w.data[(g * 54)..<((g + 1) * 54)]))
            conv.bias.value = Tensor(shape: [3], data: Array(b.data[(g * 3)..<((g + 1) * 3)]))
            let part = conv.forward(GraphNetwork.channelSlice(x, from: g * 2, count: 2))
            XCTAssertEqual(GraphNetwork.channelSlice(y, from: g * 3, count: 3), part)
        }
    }

    func testProblemsAreFoundBeforeRunningAndNameTheNode() {
        let conv = node("c", .conv, ["x"], ["y"]) { $0.outChannels = 2; $0.kernel = [3, 3] }
        func fails(_ spec: GraphSpec, _ weights: [String: Tensor], _ message: String, line: UInt = #line) {
            XCTAssertThrowsError(try GraphNetwork(spec: spec, weights: weights), line: line) { e in
                XCTAssertTrue("\(e)".contains(message), "\(e)", line: line)
            }
        }
        let w = Tensor(zeros: [2, 1, 3, 3]), b = Tensor(zeros: [2])
        fails(GraphSpec(input: "x", inputShape: [1, 8, 8], output: "y", nodes: [conv]), ["c.weight": w],
              "node 'c' (conv) needs weight 'c.bias'")
        fails(GraphSpec(input: "x", inputShape: [1, 8, 8], output: "y", nodes: [conv]), ["c.weight": Tensor(zeros: [2, 1, 2, 2]), "c.bias": b],
              "weight 'c.weight' has shape [2, 1, 2, 2], the node needs [2, 1, 3, 3]")
        fails(GraphSpec(input: "x", inputShape: [1, 2, 2], output: "y", nodes: [conv]), ["c.weight": w, "c.bias": b],
              "smaller than the 3x3 kernel")
        fails(GraphSpec(input: "x", inputShape: [1, 8, 8], output: "z", nodes: [conv]), ["c.weight": w, "c.bias": b],
              "graph output 'z' is not a blob")
        fails(GraphSpec(input: "x", inputShape: [1, 8, 8], output: "y", nodes: [node("r", .relu, ["q"], ["y"])]), [:],
              "node 'r' (relu) reads blob 'q', which no earlier node writes")
        fails(GraphSpec(input: "x", inputShape: [1, 8, 8], output: "x", nodes: [node("r", .relu, ["x"], ["x"])]), [:],
              "writes blob 'x' a second time")
    }

    func testSpecRoundTripsThroughJSON() throws {
        let spec = GraphSpec(input: "data", inputShape: [3, 4, 4], output: "p", nodes: [
            node("p", .pool, ["data"], ["p"]) { $0.pool = "ave"; $0.global = true },
        ])
        let data = try JSONEncoder().encode(spec)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"input_shape\""))
        XCTAssertEqual(try JSONDecoder().decode(GraphSpec.self, from: data), spec)
        let y = try GraphNetwork(spec: spec, weights: [:]).forward(Tensor(repeating: 2, shape: [1, 3, 4, 4]))
        XCTAssertEqual(y.data, [2, 2, 2])
    }
}
