import Foundation

/// A point in image pixels.
public struct Point2: Sendable, Equatable, Codable {
    public var x: Float
    public var y: Float
    public init(_ x: Float, _ y: Float) { self.x = x; self.y = y }
}

/// An axis-aligned box in image pixels: (x1, y1) top-left, (x2, y2) bottom-right.
public struct FaceBox: Sendable, Equatable, Codable {
    public var x1: Float, y1: Float, x2: Float, y2: Float
    public init(x1: Float, y1: Float, x2: Float, y2: Float) { self.x1 = x1; self.y1 = y1; self.x2 = x2; self.y2 = y2 }
    public var width: Float { x2 - x1 }
    public var height: Float { y2 - y1 }
    public var area: Float { max(0, width) * max(0, height) }
    public var center: Point2 { Point2((x1 + x2) / 2, (y1 + y2) / 2) }

    /// Intersection over union.
    public func iou(_ o: FaceBox) -> Float {
        let iw = max(0, min(x2, o.x2) - max(x1, o.x1))
        let ih = max(0, min(y2, o.y2) - max(y1, o.y1))
        let inter = iw * ih
        let union = area + o.area - inter
        return union > 0 ? inter / union : 0
    }
}

/// One detected face: box, confidence and the five landmarks in the order
/// left eye, right eye, nose, left mouth corner, right mouth corner (image pixels).
public struct FaceDetection: Sendable, Equatable, Codable {
    public var box: FaceBox
    public var score: Float
    public var landmarks: [Point2]
    public init(box: FaceBox, score: Float, landmarks: [Point2]) {
        precondition(landmarks.count == 5, "MTCNN gives five landmarks")
        self.box = box
        self.score = score
        self.landmarks = landmarks
    }
    public var leftEye: Point2 { landmarks[0] }
    public var rightEye: Point2 { landmarks[1] }
    public var nose: Point2 { landmarks[2] }
    public var mouthLeft: Point2 { landmarks[3] }
    public var mouthRight: Point2 { landmarks[4] }

    /// The same face in an image `x` times wider and `y` times taller (box and landmarks scaled).
    public func scaled(x: Float, y: Float) -> FaceDetection {
        if x == 1 && y == 1 { return self }
        return FaceDetection(box: FaceBox(x1: box.x1 * x, y1: box.y1 * y, x2: box.x2 * x, y2: box.y2 * y),
                             score: score, landmarks: landmarks.map { Point2($0.x * x, $0.y * y) })
    }
}
