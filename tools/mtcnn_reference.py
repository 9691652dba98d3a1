#!/usr/bin/env python3
"""Reference MTCNN detections (facenet-pytorch 2.6.0) as JSON fixtures for the Swift tests.

    pip install --no-deps facenet-pytorch==2.6.0     # once; torch (CPU) must already be there
    python3 tools/mtcnn_reference.py [--testdata assets] \
        [--out Tests/SeqDetectTests/Fixtures]

Writes messi5.json, carphone_pristine.json and Megamind_every10.json (every 10th frame,
several faces per frame): per image/frame the faces facenet-pytorch's
MTCNN finds with its defaults (min_face_size 20, thresholds 0.6/0.7/0.7, factor 0.709), via
`detect(img, landmarks=True)`. Frames and images are decoded with the ffmpeg command line to
rgb24, the same FFmpeg libraries seqcurate decodes with.

facenet-pytorch imports torchvision (only `batched_nms` is used on this path), PIL and tqdm.
None of them is needed for detection on numpy input, so this script installs nothing and instead
puts small stand-ins into sys.modules before importing facenet-pytorch: a torch implementation
of torchvision's batched_nms (same semantics: per-index NMS, descending score order, suppress
IoU > threshold, areas without +1) and empty PIL/tqdm placeholders that fail if ever used.
`bench` mode (see tools/bench_detect.sh) times the same detector instead of writing fixtures.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import types

import numpy as np
import torch


def nms(boxes, scores, threshold):
    """Greedy NMS as torchvision.ops.nms: returns kept indices, highest score first."""
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64)
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    order = torch.sort(scores, descending=True, stable=True).indices
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep = []
    for pos in range(len(order)):
        if suppressed[pos]:
            continue
        i = order[pos]
        keep.append(int(i))
        rest = order[pos + 1:]
        w = (torch.minimum(x2[i], x2[rest]) - torch.maximum(x1[i], x1[rest])).clamp(min=0)
        h = (torch.minimum(y2[i], y2[rest]) - torch.maximum(y1[i], y1[rest])).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        suppressed[pos + 1:] |= iou > threshold
    return torch.tensor(keep, dtype=torch.int64)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """torchvision.ops.boxes.batched_nms: NMS independently per value of idxs."""
    if boxes.numel() == 0:
        return torch.empty((0,), dtype=torch.int64)
    offsets = idxs.to(boxes) * (boxes.max() + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def _unavailable(name):
    def fail(*args, **kwargs):
        raise RuntimeError(f"{name} is a stand-in in tools/mtcnn_reference.py and cannot be used")
    return fail


def install_stand_ins():
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m
    boxes = module("torchvision.ops.boxes", batched_nms=batched_nms, nms=nms)
    functional = module("torchvision.transforms.functional", to_tensor=_unavailable("to_tensor"))
    ops = module("torchvision.ops", boxes=boxes, batched_nms=batched_nms, nms=nms)
    transforms = module("torchvision.transforms", functional=functional)
    module("torchvision", ops=ops, transforms=transforms)
    pil_image = module("PIL.Image", Image=type("Image", (), {}), open=_unavailable("PIL.Image.open"),
                       BILINEAR=2)
    module("PIL", Image=pil_image)
    tqdm = _unavailable("tqdm")
    module("tqdm", tqdm=tqdm)
    module("tqdm.auto", tqdm=tqdm)


def make_detector():
    for name in ("torchvision", "PIL", "tqdm"):
        try:
            __import__(name)
        except ImportError:
            install_stand_ins()
            break
    from facenet_pytorch import MTCNN
    return MTCNN(keep_all=True, device="cpu")


def probe_size(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height", "-of", "csv=p=0", path],
                         check=True, capture_output=True, text=True).stdout
    w, h = out.strip().splitlines()[0].split(",")[:2]
    return int(w), int(h)


def decode_rgb(path, size=None):
    """All frames of a video (or the one of an image) as uint8 HxWx3 arrays, via ffmpeg."""
    w, h = probe_size(path)
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", path]
    if size:
        w, h = size
        cmd += ["-vf", f"scale={w}:{h}"]
    # passthrough: one output frame per decoded frame (no duplicates or drops for constant rate).
    cmd += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    n = len(raw) // (w * h * 3)
    return [np.frombuffer(raw, np.uint8, w * h * 3, i * w * h * 3).reshape(h, w, 3) for i in range(n)]


def faces_of(mtcnn, frame):
    boxes, probs, points = mtcnn.detect(frame, landmarks=True)
    if boxes is None:
        return []
    return [{"box": [round(float(v), 3) for v in b], "score": round(float(s), 5),
             "landmarks": [[round(float(x), 3), round(float(y), 3)] for x, y in p]}
            for b, s, p in zip(boxes, probs, points)]


def write_fixture(mtcnn, path, out_dir, is_video, every=1):
    frames = decode_rgb(path)
    h, w = frames[0].shape[:2]
    records = []
    for i, frame in enumerate(frames):
        if i % every:
            continue
        records.append({"frame": i if is_video else None,
                        "rgb_sha256": hashlib.sha256(frame.tobytes()).hexdigest()[:16],
                        "faces": faces_of(mtcnn, frame)})
    name = os.path.splitext(os.path.basename(path))[0] + (f"_every{every}" if every > 1 else "") + ".json"
    doc = {"source": os.path.basename(path), "width": w, "height": h,
           "generator": "tools/mtcnn_reference.py: facenet-pytorch 2.6.0 MTCNN defaults, "
                        f"torch {torch.__version__}",
           "frames": records}
    with open(os.path.join(out_dir, name), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {len(records)} frames, {sum(len(r['faces']) for r in records)} faces")


def bench(mtcnn, path, size, threads, repeats):
    torch.set_num_threads(threads)
    frames = decode_rgb(path, size)
    mtcnn.detect(frames[0])  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        for frame in frames:
            mtcnn.detect(frame, landmarks=True)
    elapsed = time.perf_counter() - start
    print(f"{len(frames) * repeats / elapsed:.2f}")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description="facenet-pytorch MTCNN reference fixtures")
    ap.add_argument("--testdata", default=os.path.join(root, "assets"))
    ap.add_argument("--out", default=os.path.join(root, "Tests", "SeqDetectTests", "Fixtures"))
    ap.add_argument("--bench", metavar="VIDEO", help="print frames/s on VIDEO instead")
    ap.add_argument("--size", help="WxH to scale the benchmark frames to")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    mtcnn = make_detector()
    if args.bench:
        size = tuple(int(v) for v in args.size.split("x")) if args.size else None
        bench(mtcnn, args.bench, size, args.threads, args.repeats)
        return
    os.makedirs(args.out, exist_ok=True)
    write_fixture(mtcnn, os.path.join(args.testdata, "messi5.jpg"), args.out, is_video=False)
    write_fixture(mtcnn, os.path.join(args.testdata, "carphone_pristine.mp4"), args.out, is_video=True)
    # Several faces per frame: every 10th frame of a 720x528 trailer.
    write_fixture(mtcnn, os.path.join(args.testdata, "Megamind.avi"), args.out, is_video=True, every=10)


if __name__ == "__main__":
    main()
