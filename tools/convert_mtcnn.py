#!/usr/bin/env python3
"""Convert the published MTCNN weights (pip package mtcnn==0.1.1) into assets/mtcnn.safetensors.

    python3 tools/convert_mtcnn.py --cache DIR --out assets/mtcnn.safetensors

Steps: `pip download --no-deps mtcnn==0.1.1` into DIR (skipped when the wheel is already
there), check the wheel's SHA-256 against the pinned value, read mtcnn/data/mtcnn_weights.npy
(a pickled dict {pnet|rnet|onet: [Keras arrays in layer order]}) straight from the wheel,
rearrange every array into the layout seqcurate's Swift MTCNN reads (NCHW convolutions, [out, in]
fully connected layers flattening C,H,W) and write a safetensors file plus `<out>.sha256`.
Every layout change is documented in docs/mtcnn.md. Needs only numpy (no safetensors package).
"""
import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np

WHEEL = "mtcnn-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "fd69d2f4dd10647dd7481a53b9586e805f35a17c61ac78ba472a7f53766eb86e"
WEIGHTS_MEMBER = "mtcnn/data/mtcnn_weights.npy"

# Keras layer order per network: (kind, name). "conv" = Conv2D kernel+bias, "prelu" = PReLU
# alphas, "dense" = Dense kernel+bias. Spatial size of the feature map that a dense layer
# flattens is given where the dense input comes from Flatten (channels, height, width).
LAYERS = {
    "pnet": [("conv", "conv1"), ("prelu", "prelu1"), ("conv", "conv2"), ("prelu", "prelu2"),
             ("conv", "conv3"), ("prelu", "prelu3"), ("conv", "conv4_1"), ("conv", "conv4_2")],
    "rnet": [("conv", "conv1"), ("prelu", "prelu1"), ("conv", "conv2"), ("prelu", "prelu2"),
             ("conv", "conv3"), ("prelu", "prelu3"), ("dense", "dense4", (64, 3, 3)),
             ("prelu", "prelu4"), ("dense", "dense5_1"), ("dense", "dense5_2")],
    "onet": [("conv", "conv1"), ("prelu", "prelu1"), ("conv", "conv2"), ("prelu", "prelu2"),
             ("conv", "conv3"), ("prelu", "prelu3"), ("conv", "conv4"), ("prelu", "prelu4"),
             ("dense", "dense5", (128, 3, 3)), ("prelu", "prelu5"),
             ("dense", "dense6_1"), ("dense", "dense6_2"), ("dense", "dense6_3")],
}


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_wheel(cache):
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, WHEEL)
    if not os.path.exists(path):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "mtcnn==0.1.1", "-d", cache], check=True)
    digest = sha256_of(path)
    if digest != WHEEL_SHA256:
        sys.exit(f"convert_mtcnn: {path}: SHA-256 {digest} does not match the pinned "
                 f"{WHEEL_SHA256}; delete it and run again")
    return path


def convert(keras):
    """Keras arrays (as stored) -> {name: float32 array in seqcurate layout}."""
    out = {}
    for net, layers in LAYERS.items():
        arrays = list(keras[net])
        for layer in layers:
            kind, name = layer[0], layer[1]
            key = f"{net}.{name}"
            if kind == "conv":
                kernel, bias = arrays.pop(0), arrays.pop(0)
                # Keras [kh, kw, in, out], learned on images transposed W<->H (the Caffe original
                # ran on MATLAB column-major images): [a, b, in, out] -> [out, in, b, a] puts the
                # kernel in the ordinary orientation, so images are fed untransposed.
                out[key + ".weight"] = kernel.transpose(3, 2, 1, 0)
                out[key + ".bias"] = bias
            elif kind == "prelu":
                out[key + ".slope"] = arrays.pop(0).reshape(-1)
            else:
                kernel, bias = arrays.pop(0), arrays.pop(0)
                weight = kernel.T  # [in, out] -> [out, in]
                if len(layer) == 3:
                    # Keras flattened its (transposed) H'W'C map = (W, H, C) order; our Linear
                    # flattens NCHW in (C, H, W) order.
                    c, h, w = layer[2]
                    weight = weight.reshape(-1, w, h, c).transpose(0, 3, 2, 1).reshape(-1, c * h * w)
                out[key + ".weight"] = weight
                out[key + ".bias"] = bias
        assert not arrays, f"{net}: {len(arrays)} arrays left over"
    return {k: np.ascontiguousarray(v, dtype="<f4") for k, v in out.items()}


def write_safetensors(tensors, path, metadata):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the tensor data 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", required=True, help="folder for the downloaded wheel")
    ap.add_argument("--out", required=True, help="output .safetensors path")
    args = ap.parse_args()

    wheel = fetch_wheel(args.cache)
    with zipfile.ZipFile(wheel) as z:
        keras = np.load(io.BytesIO(z.read(WEIGHTS_MEMBER)), allow_pickle=True).item()
    tensors = convert(keras)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_safetensors(tensors, args.out, {
        "source": f"pip mtcnn==0.1.1 {WEIGHTS_MEMBER}",
        "source_sha256": WHEEL_SHA256,
        "layout": "conv [out,in,kh,kw] untransposed; linear [out,in] over C,H,W; prelu slope [C]",
    })
    digest = sha256_of(args.out)
    with open(args.out + ".sha256", "w") as f:
        f.write(f"{digest}  {os.path.basename(args.out)}\n")
    print(f"wrote {args.out} ({len(tensors)} tensors, sha256 {digest})")


if __name__ == "__main__":
    main()
