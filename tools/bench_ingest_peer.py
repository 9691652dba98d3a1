#!/usr/bin/env python3
"""The Python peer of `seqcurate ingest` for tools/bench_ingest_vs_peer.sh: facenet-pytorch MTCNN on
every frame plus greedy IoU linking of detections into tracks.

    python3 tools/bench_ingest_peer.py VIDEO [--threads 2] [--batch 1]

Frames are streamed from the ffmpeg command line as rgb24 (one frame in memory at a time, as
seqcurate does), detected with facenet-pytorch 2.6.0's MTCNN defaults (min face 20, thresholds
0.6/0.7/0.7, factor 0.709; torchvision/PIL/tqdm stand-ins from tools/mtcnn_reference.py), and
linked frame to frame: detection/track pairs sorted by IoU with the track's last box, taken
greedily one-to-one while IoU >= 0.3; a track survives --max-gap missed frames; tracks shorter
than --min-track frames are dropped. That is the whole pipeline: no shots, quality, crops or
database, so it does less work than seqcurate.

Prints one JSON line: frames, video_seconds, tracks, faces, and the seconds spent importing
torch and facenet-pytorch (`import_s`), building the model (`load_s`) and in the
decode-detect-link loop (`loop_s`). The caller times the whole process too.
"""
import argparse
import json
import os
import subprocess
import sys
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtcnn_reference import make_detector  # noqa: E402  (installs the stand-ins, imports facenet_pytorch)


def probe(path):
    """width, height, frames per second of the first video stream."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,r_frame_rate", "-of", "csv=p=0", path],
                         check=True, capture_output=True, text=True).stdout
    w, h, rate = out.strip().splitlines()[0].split(",")[:3]
    num, _, den = rate.partition("/")
    return int(w), int(h), float(num) / float(den or 1)


def frames_of(path, w, h):
    """Yields the frames as uint8 HxWx3 arrays, streamed from ffmpeg."""
    size = w * h * 3
    proc = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo",
                             "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE, bufsize=size * 2)
    try:
        while True:
            raw = proc.stdout.read(size)
            if len(raw) < size:
                break
            yield np.frombuffer(raw, np.uint8).reshape(h, w, 3)
    finally:
        proc.stdout.close()
        if proc.wait() != 0:
            raise SystemExit(f"ffmpeg failed on {path}")


def iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


class GreedyLinker:
    """One-to-one greedy IoU assignment of each frame's detections to the open tracks."""

    def __init__(self, min_iou, max_gap, min_track):
        self.min_iou, self.max_gap, self.min_track = min_iou, max_gap, min_track
        self.open = []      # each: {"first": frame, "last": frame, "box": last box, "n": faces}
        self.closed = []

    def update(self, frame, boxes):
        still = []
        for t in self.open:
            (still if frame - t["last"] <= self.max_gap + 1 else self.closed).append(t)
        self.open = still
        pairs = sorted(((iou(t["box"], b), ti, bi) for ti, t in enumerate(self.open)
                        for bi, b in enumerate(boxes)), reverse=True)
        used_t, used_b = set(), set()
        for v, ti, bi in pairs:
            if v < self.min_iou:
                break
            if ti in used_t or bi in used_b:
                continue
            used_t.add(ti)
            used_b.add(bi)
            t = self.open[ti]
            t["last"], t["box"], t["n"] = frame, boxes[bi], t["n"] + 1
        for bi, b in enumerate(boxes):
            if bi not in used_b:
                self.open.append({"first": frame, "last": frame, "box": b, "n": 1})

    def finish(self):
        self.closed += self.open
        self.open = []
        return [t for t in self.closed if t["last"] - t["first"] + 1 >= self.min_track]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--batch", type=int, default=1, help="frames per MTCNN call (default 1)")
    ap.add_argument("--min-iou", type=float, default=0.3)
    ap.add_argument("--max-gap", type=int, default=2)
    ap.add_argument("--min-track", type=int, default=5)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    t_import = time.perf_counter()
    mtcnn = make_detector()
    t_load = time.perf_counter()

    w, h, fps = probe(args.video)
    linker = GreedyLinker(args.min_iou, args.max_gap, args.min_track)
    frames = faces = 0
    pending = []

    def flush():
        nonlocal faces
        if not pending:
            return
        batch = [f for _, f in pending]
        boxes, _, _ = mtcnn.detect(batch if len(batch) > 1 else batch[0], landmarks=True)
        if len(batch) == 1:
            boxes = [boxes]
        for (index, _), b in zip(pending, boxes):
            found = [] if b is None else [tuple(float(v) for v in box) for box in b]
            faces += len(found)
            linker.update(index, found)
        pending.clear()

    with torch.inference_mode():
        for index, frame in enumerate(frames_of(args.video, w, h)):
            pending.append((index, frame))
            frames += 1
            if len(pending) >= args.batch:
                flush()
        flush()
    tracks = linker.finish()
    t_end = time.perf_counter()
    print(json.dumps({"frames": frames, "video_seconds": round(frames / fps, 4), "tracks": len(tracks),
                      "faces": faces, "import_s": round(t_import - T0, 3), "load_s": round(t_load - t_import, 3),
                      "loop_s": round(t_end - t_load, 3), "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "batch": args.batch}))


if __name__ == "__main__":
    main()
