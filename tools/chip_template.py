#!/usr/bin/env python3
"""Where MTCNN's five landmarks land in dlib's 150x150 face chips, and how close our chips'
descriptors come to dlib's full pipeline (docs/embedding.md, "The chip").

    pip install dlib-bin==20.0.1.post1      # the reference; tools only
    python3 tools/chip_template.py template --seqcurate .build/debug/seqcurate
    python3 tools/chip_template.py measure  --seqcurate .build/debug/seqcurate

Faces: assets/messi5.jpg, every 4th frame of assets/carphone_pristine.mp4 and every 10th of
assets/Megamind.avi (frames decoded with the ffmpeg command line to rgb24, as seqcurate's own
FFmpeg libraries decode them), plus assets/astronaut.png when present.

On each image dlib's full pipeline runs (HOG detector with one upsampling, the 5-point shape
predictor, get_face_chip_details size 150 padding 0.25) and seqcurate finds MTCNN faces
(`seqcurate detect --json`). A dlib face and an MTCNN face are the same face when the MTCNN
box centre lies inside dlib's box and their IoU is at least 0.3.

template: maps every matched MTCNN face's five landmarks into dlib's chip with dlib's own
  image-to-chip transform (get_mapping_to_chip: the affine map taking the chip rectangle's
  rotated corners to the chip's corners) and prints the mean position of each point (the
  template for Sources/SeqEmbed/FaceChip.swift) with its spread.
measure: for every image with a matched face, `seqcurate embed --json` (MTCNN, our chip, our
  network, the main face) against dlib's descriptor of the same face from its own pipeline:
  the distance per face, and whether every pair of faces gets the same same/different decision
  at dlib's 0.6 from both.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

import dlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "assets")
VIDEOS = [("carphone_pristine.mp4", 4), ("Megamind.avi", 10)]


def video_frames(path, every):
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path],
                           check=True, capture_output=True, text=True).stdout.strip().split(",")
    w, h = int(probe[0]), int(probe[1])
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)
    return {i: frames[i] for i in range(0, len(frames), every)}


def mtcnn_faces(seqcurate, path, every=None):
    cmd = [seqcurate, "detect", "--json", path] + (["--detect-every", str(every)] if every else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    records = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {(r["frame"] if r["frame"] is not None else 0): r["faces"] for r in records}


def images(seqcurate):
    """(name, RGB array, MTCNN faces) for every test image and sampled frame.
    Megamind.avi is animated: its faces are measured but kept out of the template."""
    out = []
    stills = ["messi5.jpg"] + (["astronaut.png"] if os.path.exists(os.path.join(ASSETS, "astronaut.png")) else [])
    for still in stills:
        path = os.path.join(ASSETS, still)
        out.append((still, np.array(Image.open(path).convert("RGB")), mtcnn_faces(seqcurate, path)[0]))
    for video, every in VIDEOS:
        path = os.path.join(ASSETS, video)
        faces = mtcnn_faces(seqcurate, path, every)
        for i, frame in video_frames(path, every).items():
            out.append((f"{video}#{i}", frame, faces.get(i, [])))
    return out


def iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0


def rotate(center, p, angle):
    c, s = np.cos(angle), np.sin(angle)
    d = np.array(p) - center
    return center + np.array([c * d[0] - s * d[1], s * d[0] + c * d[1]])


def image_to_chip(details):
    """dlib's get_mapping_to_chip: the affine map taking the rotated chip rectangle's corners
    (top-left, top-right, bottom-right) to (0,0), (cols-1,0), (cols-1,rows-1)."""
    r = details.rect
    center = np.array([(r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2])
    src = [rotate(center, (r.left(), r.top()), details.angle),
           rotate(center, (r.right(), r.top()), details.angle),
           rotate(center, (r.right(), r.bottom()), details.angle)]
    dst = [(0, 0), (details.cols - 1, 0), (details.cols - 1, details.rows - 1)]
    a = np.array([[x, y, 1] for x, y in src])
    m = np.linalg.solve(a, np.array(dst, dtype=float))  # 3x2: [x y 1] @ m
    return lambda pts: np.array([[x, y, 1] for x, y in pts]) @ m


class Dlib:
    def __init__(self):
        self.detector = dlib.get_frontal_face_detector()
        self.predictor = dlib.shape_predictor(os.path.join(ASSETS, "shape_predictor_5_face_landmarks.dat"))
        self.model = dlib.face_recognition_model_v1(os.path.join(ASSETS, "dlib_face_recognition_resnet_model_v1.dat"))

    def faces(self, img):
        """(box, chip details, descriptor) of every face dlib finds."""
        out = []
        for r in self.detector(img, 1):
            shape = self.predictor(img, r)
            details = dlib.get_face_chip_details(shape, 150, 0.25)
            chip = dlib.get_face_chip(img, shape, size=150, padding=0.25)
            d = np.array(self.model.compute_face_descriptor(chip))
            out.append(((r.left(), r.top(), r.right(), r.bottom()), details, d))
        return out


def match(dlib_box, mtcnn):
    best, best_iou = None, 0.3
    for f in mtcnn:
        b = f["box"]
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        if not (dlib_box[0] <= cx <= dlib_box[2] and dlib_box[1] <= cy <= dlib_box[3]):
            continue
        v = iou(dlib_box, b)
        if v >= best_iou:
            best, best_iou = f, v
    return best


def animated(name):
    return name.startswith("Megamind")


def template(args):
    ref = Dlib()
    points = []
    for name, img, mt in images(args.seqcurate):
        if animated(name):
            continue
        for box, details, _ in ref.faces(img):
            f = match(box, mt)
            if f is not None:
                points.append(image_to_chip(details)(f["landmarks"]))
    p = np.array(points)
    mean, std = p.mean(0), p.std(0)
    labels = ["left eye", "right eye", "nose", "left mouth", "right mouth"]
    print(f"{len(p)} matched faces (photos and carphone frames; Megamind's animated faces left out)")
    for l, m, s in zip(labels, mean, std):
        print(f"  {l:12s} x {m[0]:7.2f} (sd {s[0]:.2f})  y {m[1]:7.2f} (sd {s[1]:.2f})")
    print("mean:      " + ", ".join(f"Point2({m[0]:.2f}, {m[1]:.2f})" for m in mean))
    # dlib's own chip template is a left-right symmetric mean face, so the MTCNN template is made
    # symmetric too about the chip's centre column (cols-1)/2: the sample faces lean one way
    # (the carphone speaker looks to one side), which should not bend every chip.
    c = 74.5
    eye = ((c - mean[0, 0]) + (mean[1, 0] - c)) / 2
    mouth = ((c - mean[3, 0]) + (mean[4, 0] - c)) / 2
    sym = [(c - eye, (mean[0, 1] + mean[1, 1]) / 2), (c + eye, (mean[0, 1] + mean[1, 1]) / 2),
           (c, mean[2, 1]), (c - mouth, (mean[3, 1] + mean[4, 1]) / 2), (c + mouth, (mean[3, 1] + mean[4, 1]) / 2)]
    print("symmetric: " + ", ".join(f"Point2({x:.2f}, {y:.2f})" for x, y in sym))


def measure(args):
    ref = Dlib()
    rows = []  # (name, dlib descriptor, our descriptor)
    with tempfile.TemporaryDirectory() as tmp:
        todo = []
        for name, img, mt in images(args.seqcurate):
            if not mt:
                continue
            # The face `embed` picks (the main face) must be the one dlib's face is matched to.
            faces = ref.faces(img)
            path = os.path.join(tmp, f"{len(todo):04d}.png")
            Image.fromarray(img).save(path)
            todo.append((name, path, faces, mt))
        out = subprocess.run([args.seqcurate, "embed", "--json"] + [t[1] for t in todo],
                             capture_output=True, text=True).stdout
        ours = {r["source"]: r for r in map(json.loads, filter(str.strip, out.splitlines()))}
        for name, path, faces, mt in todo:
            r = ours.get(path)
            if r is None:
                continue
            for box, _, d in faces:
                f = match(box, mt)
                if f is not None and np.allclose(f["box"], r["box"], atol=1e-3):
                    rows.append((name, d, np.array(r["embedding"])))
    result = {}
    status = 0
    for group, members in (("real", [r for r in rows if not animated(r[0])]),
                           ("animated (Megamind.avi)", [r for r in rows if animated(r[0])])):
        if not members:
            continue
        figures = compare(members)
        result[group] = figures
        print(f"{group}: {figures['faces']} faces: distance ours-vs-dlib mean {figures['distance_mean']:.4f}, "
              f"median {figures['distance_median']:.4f}, max {figures['distance_max']:.4f} ({figures['worst']}), "
              f"{figures['over_0.2']} over 0.2")
        print(f"  {figures['pairs']} pairs ({figures['same_pairs']} same by dlib): decisions at 0.6 agree on {figures['agree']}")
        for d in figures["disagreements"][:10]:
            print("  disagree:", d)
        if group == "real" and (figures["distance_max"] > 0.2 or figures["agree"] != figures["pairs"]):
            status = 1
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return status


def compare(rows):
    """Distances ours-vs-dlib per face, and same/different agreement over all pairs."""
    dist = np.array([np.linalg.norm(d - o) for _, d, o in rows])
    agree = total = same = 0
    disagreements = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            dd = np.linalg.norm(rows[i][1] - rows[j][1])
            do = np.linalg.norm(rows[i][2] - rows[j][2])
            total += 1
            same += dd < 0.6
            if (dd < 0.6) == (do < 0.6):
                agree += 1
            else:
                disagreements.append((rows[i][0], rows[j][0], round(float(dd), 4), round(float(do), 4)))
    return {"faces": len(rows), "distance_mean": float(dist.mean()), "distance_median": float(np.median(dist)),
            "distance_max": float(dist.max()), "worst": rows[int(dist.argmax())][0],
            "over_0.2": int((dist > 0.2).sum()), "pairs": total,
            "same_pairs": int(same), "agree": agree, "disagreements": disagreements}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["template", "measure"])
    ap.add_argument("--seqcurate", default=os.path.join(ROOT, ".build/debug/seqcurate"))
    ap.add_argument("--json", help="measure: also write the figures here")
    args = ap.parse_args()
    if args.mode == "template":
        template(args)
        return 0
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
