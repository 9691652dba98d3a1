#!/usr/bin/env python3
"""Reference chips and dlib descriptors for the SeqEmbed tests (Tests/Fixtures/embedding/).

    pip install dlib-bin==20.0.1.post1      # the reference; tools only, never in Swift tests
    python3 tools/make_embedding_fixture.py [--assets assets] [--out Tests/Fixtures/embedding]

For each source face: dlib's own full pipeline (HOG detector, 5-point shape predictor,
get_face_chip size 150 padding 0.25), the 150x150 chip saved as PNG, and
face_recognition_model_v1.compute_face_descriptor(chip) (no jitter) saved as a float32 .npy of
shape [128]. Sources: messi5.jpg (the face dlib finds) and two frames of carphone_pristine.mp4
(frames 0 and 110, decoded with the ffmpeg command line to rgb24), and astronaut.png's face
made large: rows 40-219 and columns 130-309 of astronaut.png, each pixel repeated 3 x 3
(540 x 540; dlib halves it with its pyramid_down<2> before cutting the chip, which the Swift
test reproduces exactly). Also writes sources.json (where each chip came from and dlib's
descriptor distances between them).
"""
import argparse
import io
import json
import os
import subprocess

import numpy as np
from PIL import Image

import dlib

CARPHONE_FRAMES = (0, 110)
# astronaut.png rows, columns of the crop that is repeated 3 x 3 into a large face.
ASTRONAUT_CROP = (40, 220, 130, 310)


def astronaut_x3(assets):
    r0, r1, c0, c1 = ASTRONAUT_CROP
    img = np.array(Image.open(os.path.join(assets, "astronaut.png")).convert("RGB"))[r0:r1, c0:c1]
    return np.ascontiguousarray(img.repeat(3, 0).repeat(3, 1))


def video_frame(path, index):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path],
                           check=True, capture_output=True, text=True).stdout.strip().split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"select=eq(n\\,{index})",
                          "-vsync", "vfr", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def write_npy(path, a):
    np.save(path, np.asarray(a, dtype="<f4"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assets", default="assets")
    ap.add_argument("--out", default="Tests/Fixtures/embedding")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(args.assets, "shape_predictor_5_face_landmarks.dat"))
    model = dlib.face_recognition_model_v1(os.path.join(args.assets, "dlib_face_recognition_resnet_model_v1.dat"))

    sources = [("messi", "messi5.jpg", np.array(Image.open(os.path.join(args.assets, "messi5.jpg")).convert("RGB")))]
    for i in CARPHONE_FRAMES:
        sources.append((f"carphone_{i:03d}", f"carphone_pristine.mp4 frame {i}",
                        video_frame(os.path.join(args.assets, "carphone_pristine.mp4"), i)))
    sources.append(("astronaut_x3", "astronaut.png rows 40-219, columns 130-309, each pixel 3 x 3", astronaut_x3(args.assets)))
    records = {}
    descriptors = {}
    for name, where, img in sources:
        faces = detector(img, 1)
        if not faces:
            raise SystemExit(f"make_embedding_fixture: dlib finds no face in {where}")
        face = max(faces, key=lambda r: r.area())
        chip = dlib.get_face_chip(img, predictor(img, face), size=150, padding=0.25)
        d = np.array(model.compute_face_descriptor(chip), dtype=np.float32)
        Image.fromarray(chip).save(os.path.join(args.out, f"{name}_chip.png"))
        write_npy(os.path.join(args.out, f"{name}_dlib.npy"), d)
        descriptors[name] = d
        records[name] = {"source": where, "dlib_box": [face.left(), face.top(), face.right(), face.bottom()]}
    names = list(descriptors)
    distances = {f"{a}~{b}": round(float(np.linalg.norm(descriptors[a] - descriptors[b])), 6)
                 for i, a in enumerate(names) for b in names[i + 1:]}
    with open(os.path.join(args.out, "sources.json"), "w") as f:
        json.dump({"dlib": dlib.__version__, "chips": records, "dlib_distances": distances}, f, indent=1)
        f.write("\n")
    print(json.dumps(distances, indent=1))


if __name__ == "__main__":
    main()
