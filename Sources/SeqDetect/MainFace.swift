extension FaceDetection {
    /// The face a photo is of, among `faces` detected in a `width` x `height` image: the largest,
    /// preferring faces near the image centre. Each face ranks by its box area discounted by the
    /// distance of the box centre from the image centre relative to the image diagonal (at most
    /// 90% off, so a large face at the edge still beats a tiny one in the middle); the highest
    /// rank wins. Nil when there is no face.
    ///
    /// Used where one image stands for one person: identity import and `eval --detect`.
    public static func mainFace(_ faces: [FaceDetection], width: Int, height: Int) -> FaceDetection? {
        let cx = Float(width) / 2, cy = Float(height) / 2
        let diag = (Float(width * width + height * height)).squareRoot()
        return faces.max { a, b in rank(a) < rank(b) }
        func rank(_ f: FaceDetection) -> Float {
            let c = f.box.center
            let off = ((c.x - cx) * (c.x - cx) + (c.y - cy) * (c.y - cy)).squareRoot() / max(diag, 1)
            return f.box.area * (1 - min(off, 0.9))
        }
    }
}
