#!/usr/bin/env python3
"""Writes the small Caffe models under Tests/Fixtures/caffe/ that SeqCaffeTests import.

face1.png and face2.png are two synthetic images (120x100 and 170x150). Each fixture folder
holds what a published Caffe face model comes with, made up here with random weights, and what
the Swift tests compare against:

  deploy.prototxt     the network (text NetParameter)
  model.caffemodel    its weights (binary NetParameter, blobs per layer)
  mean.binaryproto    a mean image (binary BlobProto)
  input.npy           the network input for face1.png, float32 [1, C, H, W], prepared as
                      SeqFace's featurer.py does (docs/caffe-models.md)
  features.npy        the network output for face1.png and face2.png, float32 [2, D]
  fc5.npy             (res only) the fc5 blob, for --output fc5

The reference forward pass and preprocessing are written out in NumPy (float64) below, from
Caffe's layer definitions; nothing here runs Caffe. Needs numpy and protobuf, and grpcio-tools
to compile schemas/caffe/caffe.proto (pip install numpy protobuf grpcio-tools).

Usage: tools/make_caffe_fixture.py [OUT_DIR]   (default Tests/Fixtures/caffe)
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_caffe_pb2():
    out = tempfile.mkdtemp(prefix="caffe_pb2-")
    subprocess.check_call([sys.executable, "-m", "grpc_tools.protoc", "-I", os.path.join(REPO, "schemas/caffe"),
                           "--python_out=" + out, os.path.join(REPO, "schemas/caffe/caffe.proto")])
    sys.path.insert(0, out)
    import caffe_pb2  # noqa: E402
    return caffe_pb2


pb = load_caffe_pb2()
from google.protobuf import text_format  # noqa: E402


# ----------------------------------------------------------------------------- files

def write_png(path, rgb):
    """8-bit RGB PNG, no filtering."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def synthetic_face(rng, h, w):
    """A smooth image with some structure (gradients and soft blobs), so resizing matters."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        img[:, :, c] = 90 + 60 * np.sin(x / (7 + 3 * c)) * np.cos(y / (9 + 2 * c)) + 40 * (x / w) - 30 * (y / h)
    for _ in range(6):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, 15)
        blob = np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r))
        img += blob[:, :, None] * rng.uniform(-80, 80, size=3)
    img += rng.normal(0, 1.5, size=img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def blob(array, legacy=False):
    b = pb.BlobProto()
    a = np.asarray(array, dtype=np.float32)
    if legacy:
        dims = list(a.shape)
        dims = [1] * (4 - len(dims)) + dims
        b.num, b.channels, b.height, b.width = dims
    else:
        b.shape.dim.extend(a.shape)
    b.data.extend(a.ravel().tolist())
    return b


# ----------------------------------------------------------------------------- reference layers
# Per-sample arrays: [C, H, W] maps or [D] vectors, float64.

def conv(x, w, b, stride, pad, group):
    c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ph, pw = pad
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // stride + 1, (wd + 2 * pw - kw) // stride + 1
    og = o // group
    out = np.zeros((o, oh, ow))
    for g in range(group):
        win = np.lib.stride_tricks.sliding_window_view(xp[g * cg:(g + 1) * cg], (kh, kw), axis=(1, 2))
        win = win[:, ::stride, ::stride][:, :oh, :ow]
        out[g * og:(g + 1) * og] = np.einsum("cyxij,ocij->oyx", win, w[g * og:(g + 1) * og])
    if b is not None:
        out += b[:, None, None]
    return out


def pool_extent(size, k, s, p):
    out = int(np.ceil((size + 2 * p - k) / s)) + 1
    if p > 0 and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool(x, kind, k, s, p):
    """Caffe pooling: ceil rounding; max over the clipped window; average over the window
    clipped to the padded map."""
    c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    oh, ow = pool_extent(h, kh, sh, ph), pool_extent(w, kw, sw, pw)
    out = np.zeros((c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * sh - ph, j * sw - pw
            he, we = min(hs + kh, h + ph), min(ws + kw, w + pw)
            area = (he - hs) * (we - ws)
            y0, x0, y1, x1 = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            region = x[:, y0:y1, x0:x1]
            out[:, i, j] = region.max(axis=(1, 2)) if kind == "max" else region.sum(axis=(1, 2)) / area
    return out


def prelu(x, a):
    a = np.broadcast_to(np.asarray(a).ravel(), (x.shape[0],)) if np.asarray(a).size == 1 else np.asarray(a)
    shape = (-1,) + (1,) * (x.ndim - 1)
    return np.where(x > 0, x, x * a.reshape(shape))


# ----------------------------------------------------------------------------- preprocessing

def bilinear(img, oh, ow):
    """[H, W, C] -> [oh, ow, C]: pixel centres (i + 0.5) * in / out - 0.5, clamped to the edge."""
    h, w = img.shape[:2]

    def axis(n_in, n_out):
        f = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        i0 = np.floor(f).astype(int)
        return i0, np.minimum(i0 + 1, n_in - 1), f - i0

    y0, y1, wy = axis(h, oh)
    x0, x1, wx = axis(w, ow)
    img = img.astype(np.float64)
    top = img[y0][:, x0] * (1 - wx)[None, :, None] + img[y0][:, x1] * wx[None, :, None]
    bot = img[y1][:, x0] * (1 - wx)[None, :, None] + img[y1][:, x1] * wx[None, :, None]
    return top * (1 - wy)[:, None, None] + bot * wy[:, None, None]


def featurer_input(rgb, resize, crop, mean_chw, raw_scale=255.0, input_scale=0.0078125):
    """featurer.py's preprocessing with evaluate.py's settings (no face box, no oversampling)."""
    img = rgb.astype(np.float64) / 255.0                       # caffe.io.load_image: RGB in [0, 1]
    img = bilinear(img, *resize)                               # resize_image(image_dims)
    oy, ox = int(resize[0] / 2.0 - crop[0] / 2.0), int(resize[1] / 2.0 - crop[1] / 2.0)
    img = img[oy:oy + crop[0], ox:ox + crop[1]]                # central crop
    chw = img.transpose(2, 0, 1)[[2, 1, 0]]                    # CHW, RGB -> BGR
    mean = bilinear(mean_chw.transpose(1, 2, 0), *crop).transpose(2, 0, 1)  # mean resized to the input
    return (chw * raw_scale - mean) * input_scale


# ----------------------------------------------------------------------------- networks

def he(rng, *shape):
    fan_in = int(np.prod(shape[1:]))
    return rng.normal(0, np.sqrt(2.0 / fan_in), size=shape)


RES_PROTOTXT = """name: "tiny_res"
input: "data"
input_dim: 1
input_dim: 3
input_dim: 32
input_dim: 32
layer { name: "conv1_1" type: "Convolution" bottom: "data" top: "conv1_1"
  param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
  convolution_param { num_output: 8 kernel_size: 3 stride: 2 pad: 1 weight_filler { type: "xavier" } } }
layer { name: "relu1_1" type: "PReLU" bottom: "conv1_1" top: "conv1_1" }
layer { name: "conv1_2" type: "Convolution" bottom: "conv1_1" top: "conv1_2"
  convolution_param { num_output: 8 kernel_size: 3 stride: 1 pad: 1 } }
layer { name: "relu1_2" type: "PReLU" bottom: "conv1_2" top: "conv1_2" prelu_param { channel_shared: true } }
layer { name: "res1_2" type: "Eltwise" bottom: "conv1_1" bottom: "conv1_2" top: "res1_2"
  eltwise_param { operation: SUM coeff: 1 coeff: 0.5 } }
layer { name: "split1" type: "Split" bottom: "res1_2" top: "res1_2a" top: "res1_2b" }
layer { name: "conv2_1" type: "Convolution" bottom: "res1_2a" top: "conv2_1"
  convolution_param { num_output: 12 kernel_h: 3 kernel_w: 2 pad: 1 group: 2 } }
layer { name: "relu2_1" type: "ReLU" bottom: "conv2_1" top: "conv2_1" relu_param { negative_slope: 0.1 } }
layer { name: "pool1" type: "Pooling" bottom: "conv2_1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "side" type: "Convolution" bottom: "res1_2b" top: "side"
  convolution_param { num_output: 12 kernel_size: 1 stride: 2 } }
layer { name: "mx" type: "Eltwise" bottom: "pool1" bottom: "side" top: "mx" eltwise_param { operation: MAX } }
layer { name: "pool2" type: "Pooling" bottom: "mx" top: "pool2"
  pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
layer { name: "drop" type: "Dropout" bottom: "pool2" top: "pool2" dropout_param { dropout_ratio: 0.5 } }
layer { name: "fc5" type: "InnerProduct" bottom: "pool2" top: "fc5"
  inner_product_param { num_output: 16 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc5" bottom: "label" top: "loss" include { phase: TRAIN } }
layer { name: "norm" type: "NormL2" bottom: "fc5" top: "norm" }
"""

BN_PROTOTXT = """name: "tiny_bn"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 112 dim: 96 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 3 stride: 2 pad: 1 bias_term: false } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" batch_norm_param { use_global_stats: true } }
layer { name: "sc1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
  convolution_param { num_output: 8 kernel_size: 3 pad: 1 } }
layer { name: "bn2" type: "BatchNorm" bottom: "conv2" top: "bn2" batch_norm_param { eps: 0.001 } }
layer { name: "sc2" type: "Scale" bottom: "bn2" top: "bn2" }
layer { name: "add" type: "Eltwise" bottom: "conv1" bottom: "bn2" top: "add" }
layer { name: "pool" type: "Pooling" bottom: "add" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "nrm" type: "Normalize" bottom: "pool" top: "nrm"
  norm_param { across_spatial: false channel_shared: false } }
layer { name: "gpool" type: "Pooling" bottom: "nrm" top: "gpool" pooling_param { pool: AVE global_pooling: true } }
layer { name: "flat" type: "Flatten" bottom: "gpool" top: "flat" }
layer { name: "fc" type: "InnerProduct" bottom: "flat" top: "fc" inner_product_param { num_output: 10 transpose: true } }
"""


def make_res(rng):
    p = {
        "conv1_1": [he(rng, 8, 3, 3, 3), rng.normal(0, 0.1, 8)],
        "relu1_1": [rng.uniform(0.05, 0.4, 8)],
        "conv1_2": [he(rng, 8, 8, 3, 3), rng.normal(0, 0.1, 8)],
        "relu1_2": [np.array([0.2])],
        "conv2_1": [he(rng, 12, 4, 3, 2), rng.normal(0, 0.1, 12)],
        "side": [he(rng, 12, 8, 1, 1), rng.normal(0, 0.1, 12)],
        "fc5": [he(rng, 16, 12 * 5 * 5), rng.normal(0, 0.1, 16)],
    }

    def forward(x):
        c11 = prelu(conv(x, *p["conv1_1"], 2, (1, 1), 1), p["relu1_1"][0])
        c12 = prelu(conv(c11, *p["conv1_2"], 1, (1, 1), 1), p["relu1_2"][0])
        res = c11 + 0.5 * c12
        c21 = conv(res, *p["conv2_1"], 1, (1, 1), 2)
        c21 = np.where(c21 > 0, c21, 0.1 * c21)
        p1 = pool(c21, "max", (3, 3), (2, 2), (0, 0))
        side = conv(res, *p["side"], 2, (0, 0), 1)
        mx = np.maximum(p1, side)
        p2 = pool(mx, "ave", (3, 3), (2, 2), (1, 1))
        fc5 = p["fc5"][0] @ p2.ravel() + p["fc5"][1]
        return {"fc5": fc5, "norm": fc5 / np.sqrt((fc5 ** 2).sum() + 1e-7)}

    return RES_PROTOTXT, p, forward, {"legacy": {"conv1_1"}}


def make_bn(rng):
    def stats(c, factor):
        mean, var = rng.normal(0, 0.3, c), rng.uniform(0.5, 2.0, c)
        return [mean * factor, var * factor, np.array([factor])]

    p = {
        "conv1": [he(rng, 8, 3, 3, 3)],
        "bn1": stats(8, 3.7),
        "sc1": [rng.uniform(0.5, 1.5, 8), rng.normal(0, 0.2, 8)],
        "conv2": [he(rng, 8, 8, 3, 3), rng.normal(0, 0.1, 8)],
        "bn2": stats(8, 1.0),
        "sc2": [rng.uniform(0.5, 1.5, 8)],
        "nrm": [rng.uniform(5, 20, 8)],
        "fc": [rng.normal(0, 0.5, (8, 10)), rng.normal(0, 0.1, 10)],  # transpose: [in, out]
    }

    def bn(x, blobs, eps):
        f = blobs[2][0]
        f = 0 if f == 0 else 1 / f
        m, v = blobs[0] * f, blobs[1] * f
        return (x - m[:, None, None]) / np.sqrt(v + eps)[:, None, None]

    def forward(x):
        c1 = conv(x, p["conv1"][0], None, 2, (1, 1), 1)
        c1 = bn(c1, p["bn1"], 1e-5) * p["sc1"][0][:, None, None] + p["sc1"][1][:, None, None]
        c1 = np.maximum(c1, 0)
        c2 = conv(c1, *p["conv2"], 1, (1, 1), 1)
        b2 = bn(c2, p["bn2"], 1e-3) * p["sc2"][0][:, None, None]
        pl = pool(c1 + b2, "max", (2, 2), (2, 2), (0, 0))
        nrm = pl / np.sqrt((pl ** 2).sum(axis=0, keepdims=True) + 1e-10) * p["nrm"][0][:, None, None]
        g = nrm.mean(axis=(1, 2))
        return {"fc": p["fc"][0].T @ g + p["fc"][1]}

    return BN_PROTOTXT, p, forward, {"legacy": set()}


def write_fixture(out, name, maker, resize, mean_shape, rng, images, extra_outputs=()):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    text, params, forward, opts = maker(rng)
    with open(os.path.join(folder, "deploy.prototxt"), "w") as f:
        f.write(text)

    net = text_format.Parse(text, pb.NetParameter())
    model = pb.NetParameter()
    model.name = net.name
    for layer in net.layer:
        saved = model.layer.add()
        saved.CopyFrom(layer)
        for array in params.get(layer.name, []):
            saved.blobs.append(blob(array, legacy=layer.name in opts["legacy"]))
    with open(os.path.join(folder, "model.caffemodel"), "wb") as f:
        f.write(model.SerializeToString())

    mean = rng.uniform(90, 160, size=mean_shape)
    with open(os.path.join(folder, "mean.binaryproto"), "wb") as f:
        f.write(blob(mean[None], legacy=(name == "res")).SerializeToString())

    if net.input:
        crop = tuple(net.input_dim[2:4])
    else:
        crop = tuple(net.layer[0].input_param.shape[0].dim[2:4])
    inputs, outputs = [], {}
    for img in images:
        x = featurer_input(img, resize, crop, mean)
        inputs.append(x)
        for key, value in forward(x).items():
            outputs.setdefault(key, []).append(value)
    last = list(outputs)[-1]
    np.save(os.path.join(folder, "input.npy"), np.array(inputs[:1], dtype=np.float32))
    np.save(os.path.join(folder, "features.npy"), np.array(outputs[last], dtype=np.float32))
    for key in extra_outputs:
        np.save(os.path.join(folder, key + ".npy"), np.array(outputs[key], dtype=np.float32))
    sizes = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
    print("%s: %d files, %d bytes, output %s %s" % (folder, len(os.listdir(folder)), sizes, last,
                                                    np.array(outputs[last]).shape))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "Tests/Fixtures/caffe")
    rng = np.random.default_rng(20240611)
    os.makedirs(out, exist_ok=True)
    images = [synthetic_face(rng, 120, 100), synthetic_face(rng, 170, 150)]
    for k, img in enumerate(images):
        write_png(os.path.join(out, "face%d.png" % (k + 1)), img)
    # res: legacy input/input_dim, 32x32 input, resize 36x36 (import with --resize 36x36);
    # the mean image is already the input size.
    write_fixture(out, "res", make_res, (36, 36), (3, 32, 32), rng, images, extra_outputs=("fc5",))
    # bn: Input layer, 112x96 input, featurer's default 144x144 resize; a 64x64 mean image
    # that the import resizes to 112x96.
    write_fixture(out, "bn", make_bn, (144, 144), (3, 64, 64), rng, images)


if __name__ == "__main__":
    main()
