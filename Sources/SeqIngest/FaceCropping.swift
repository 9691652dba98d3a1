import Foundation
import SeqDetect
import SeqMedia

public enum FaceCropping {
    /// The crop side of a method when none is given: 144 for SeqFace (the published network
    /// crops 128 from it), 112 for the similarity template.
    public static func defaultSize(_ method: AlignMethod) -> Int { method == .seqface ? 144 : 112 }

    /// The aligner for a method; `size` is the output height (nil: `defaultSize`).
    public static func aligner(_ method: AlignMethod, size: Int? = nil) -> any FaceAligner {
        let side = size ?? defaultSize(method)
        switch method {
        case .seqface: return SeqFaceAligner(size: side)
        case .similarity: return SimilarityAligner(template: SimilarityAligner.Template.arcface112.scaled(toHeight: side))
        }
    }

    /// The cropper for an alignment method and output size. When the landmarks give no usable
    /// geometry (the aligner declines), the detection box itself is cut and resized, so every
    /// face still gets a crop to measure.
    public static func make(_ method: AlignMethod, size: Int? = nil) -> FaceCropper {
        let aligner = aligner(method, size: size)
        let outW = aligner.outputWidth, outH = aligner.outputHeight
        return { image, face in
            aligner.align(image, face: face) ?? boxCrop(image, face.box, width: outW, height: outH)
        }
    }

    static func boxCrop(_ image: Image, _ box: FaceBox, width: Int, height: Int) -> Image {
        let x0 = max(0, min(image.width - 1, Int(box.x1))), y0 = max(0, min(image.height - 1, Int(box.y1)))
        let x1 = max(x0 + 1, min(image.width, Int(box.x2.rounded(.up)))), y1 = max(y0 + 1, min(image.height, Int(box.y2.rounded(.up))))
        var cut = Image(width: x1 - x0, height: y1 - y0, channels: image.channels)
        for y in y0..<y1 {
            let src = (y * image.width + x0) * image.channels
            let dst = (y - y0) * cut.width * image.channels
            cut.pixels.replaceSubrange(dst..<(dst + cut.width * image.channels), with: image.pixels[src..<(src + cut.width * image.channels)])
        }
        return cut.resizedArea(width: width, height: height)
    }
}
