import SeqDetect

extension FaceTrack {
    /// The track with the frames missing between consecutive observations filled in: box,
    /// landmarks, score and time interpolated linearly between the two neighbouring
    /// observations, marked `interpolated`. This is how `--detect-every N` gets a face on every
    /// frame; gaps longer than `maxMissing` frames (for example real misses bridged by the tracker)
    /// are left unfilled.
    public func filledByInterpolation(maxMissing: Int = .max) -> FaceTrack {
        filledByInterpolation { $0.count <= maxMissing }
    }

    /// The track with the gaps between consecutive observations for which `fill` says yes
    /// (given the missing frames) filled in, as above.
    public func filledByInterpolation(where fill: (Range<Int>) -> Bool) -> FaceTrack {
        guard observations.count >= 2 else { return self }
        var out: [TrackObservation] = [observations[0]]
        out.reserveCapacity(frameSpan)
        for i in 1..<observations.count {
            let a = observations[i - 1], b = observations[i]
            let missing = b.frameIndex - a.frameIndex - 1
            if missing > 0 && fill((a.frameIndex + 1)..<b.frameIndex) {
                for f in (a.frameIndex + 1)..<b.frameIndex {
                    let t = Double(f - a.frameIndex) / Double(b.frameIndex - a.frameIndex)
                    out.append(TrackObservation(frameIndex: f,
                                                time: a.time + t * (b.time - a.time),
                                                detection: Self.lerp(a.detection, b.detection, Float(t)),
                                                interpolated: true))
                }
            }
            out.append(b)
        }
        return FaceTrack(id: id, observations: out, endReason: endReason)
    }

    static func lerp(_ a: FaceDetection, _ b: FaceDetection, _ t: Float) -> FaceDetection {
        func mix(_ u: Float, _ v: Float) -> Float { u + t * (v - u) }
        let box = FaceBox(x1: mix(a.box.x1, b.box.x1), y1: mix(a.box.y1, b.box.y1),
                          x2: mix(a.box.x2, b.box.x2), y2: mix(a.box.y2, b.box.y2))
        let marks = (0..<5).map { Point2(mix(a.landmarks[$0].x, b.landmarks[$0].x), mix(a.landmarks[$0].y, b.landmarks[$0].y)) }
        return FaceDetection(box: box, score: mix(a.score, b.score), landmarks: marks)
    }
}
