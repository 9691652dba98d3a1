import Foundation
import SeqCore
import SeqNN
import SwiftProtobuf

/// Reading Caffe's files: the text `deploy.prototxt`, the binary `.caffemodel` (both a
/// `NetParameter`) and the binary mean file (a `BlobProto`). The schema is
/// schemas/caffe/caffe.proto; `caffe.pb.swift` is generated from it (tools/gen_caffe_proto.sh).
enum CaffeFiles {
    /// Largest file read (a ResNet-64 caffemodel is a few hundred MB).
    static let maxBytes = 2 << 30

    static func data(_ url: URL, what: String) throws -> Data {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        } catch {
            throw SeqError("cannot read the \(what): no such file", file: url.path)
        }
        if let size = attributes[.size] as? Int, size > maxBytes {
            throw SeqError("the \(what) is \(size) bytes; at most \(maxBytes) are read", file: url.path)
        }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw SeqError("cannot read the \(what): \(error.localizedDescription)", file: url.path)
        }
    }

    /// A network description in protobuf text format (`deploy.prototxt`).
    static func readPrototxt(_ url: URL) throws -> Caffe_NetParameter {
        let bytes = try data(url, what: "network description")
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw SeqError("the network description is not UTF-8 text", file: url.path)
        }
        do {
            return try Caffe_NetParameter(textFormatString: text)
        } catch {
            throw SeqError("not a Caffe network description (protobuf text NetParameter): \(error)", file: url.path)
        }
    }

    /// Trained weights in protobuf binary format (`.caffemodel`).
    static func readCaffemodel(_ url: URL) throws -> Caffe_NetParameter {
        let bytes = try data(url, what: "weights file")
        do {
            return try Caffe_NetParameter(serializedBytes: bytes)
        } catch {
            throw SeqError("not a Caffe weights file (protobuf binary NetParameter): \(error)", file: url.path)
        }
    }

    /// A mean file (`mean.binaryproto`, a binary `BlobProto`).
    static func readMean(_ url: URL) throws -> Tensor {
        let bytes = try data(url, what: "mean file")
        let blob: Caffe_BlobProto
        do {
            blob = try Caffe_BlobProto(serializedBytes: bytes)
        } catch {
            throw SeqError("not a Caffe mean file (protobuf binary BlobProto): \(error)", file: url.path)
        }
        do {
            return try tensor(blob)
        } catch let e as SeqError {
            throw SeqError("mean file: \(e.reason)", file: url.path)
        }
    }

    /// The values and shape of a blob: `shape.dim`, or the legacy num/channels/height/width.
    static func tensor(_ blob: Caffe_BlobProto) throws -> Tensor {
        var shape: [Int]
        if blob.hasShape {
            guard blob.shape.dim.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
                throw SeqError("blob shape \(blob.shape.dim) has a negative or huge dimension")
            }
            shape = blob.shape.dim.map { Int($0) }
        } else {
            shape = [blob.num, blob.channels, blob.height, blob.width].map { Int($0) }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw SeqError("blob shape \(shape) has a negative dimension") }
        }
        let values: [Float] = blob.data.isEmpty && !blob.doubleData.isEmpty ? blob.doubleData.map { Float($0) } : blob.data
        // Guard the product against overflow before comparing counts.
        var expected = 1
        for d in shape {
            let (p, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Int(Int32.max) else { throw SeqError("blob shape \(shape) is too large") }
            expected = p
        }
        guard expected == values.count else {
            throw SeqError("blob shape \(shape) needs \(expected) values, the blob has \(values.count)")
        }
        return Tensor(shape: shape, data: values)
    }
}
