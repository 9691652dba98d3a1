#!/usr/bin/env python3
"""Convert dlib's face descriptor network (dlib_face_recognition_resnet_model_v1.dat) into
safetensors for seqcurate's Swift FaceEmbedder (Sources/SeqEmbed).

    python3 tools/convert_dlib.py assets/dlib_face_recognition_resnet_model_v1.dat \
        --out assets/dlib_face_resnet.safetensors

The .dat file is dlib's own serialisation of `anet_type` (dlib's dnn_face_recognition_ex.cpp).
This is an independent reader of that format, written from dlib's serialize.h, dnn/core.h,
dnn/layers.h, dnn/input.h, dnn/loss.h and cuda/tensor.h; it needs numpy only (no dlib).
docs/embedding.md describes the format, the layer list and the output tensors.

The reader knows the network's shape (the template expression below) and walks the file as dlib
wrote it, checking every version tag, layer parameter (kernel, stride, padding, pooling window)
and tensor size against that shape, so a different or damaged file fails loudly.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np

DAT_SHA256 = "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"


class FormatError(Exception):
    pass


class Reader:
    """dlib's primitive encodings (serialize.h, float_details.h, cuda/tensor.h)."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        if self.pos >= len(self.data):
            raise FormatError("unexpected end of file")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def raw(self, n):
        if self.pos + n > len(self.data):
            raise FormatError(f"unexpected end of file reading {n} bytes")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self):
        """An integer of any width: a control byte (low 4 bits = number of bytes that follow,
        0x80 = negative), then that many bytes of the magnitude, least significant first."""
        at = self.pos
        control = self.byte()
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            raise FormatError(f"bad integer control byte 0x{control:02x} at offset {at}")
        value = int.from_bytes(self.raw(size), "little")
        return -value if control & 0x80 else value

    def float(self):
        """A float as dlib's float_details: int64 mantissa, int16 exponent, value m * 2^e;
        exponents 32000/32001/32002 stand for +inf, -inf and NaN."""
        mantissa = self.int()
        exponent = self.int()
        if exponent == 32000:
            return float("inf")
        if exponent == 32001:
            return float("-inf")
        if exponent == 32002:
            return float("nan")
        return float(np.ldexp(np.float64(mantissa), exponent))

    def bool(self):
        """A bool is the ASCII character '0' or '1'."""
        c = self.byte()
        if c not in (0x30, 0x31):
            raise FormatError(f"bad bool byte 0x{c:02x} at offset {self.pos - 1}")
        return c == 0x31

    def string(self):
        """A string: its length as an integer, then the bytes (no terminator)."""
        n = self.int()
        return self.raw(n).decode("ascii")

    def expect_string(self, *allowed):
        at = self.pos
        s = self.string()
        if s not in allowed:
            raise FormatError(f"expected {' or '.join(allowed)} at offset {at}, found {s!r}")
        return s

    def expect_int(self, what, *allowed):
        at = self.pos
        v = self.int()
        if v not in allowed:
            raise FormatError(f"{what}: expected {allowed}, found {v} at offset {at}")
        return v

    def tensor(self):
        """A resizable_tensor: version 2, num_samples, k, nr, nc, then the values as raw
        little-endian float32 in N,K,R,C order."""
        self.expect_int("tensor version", 2)
        shape = tuple(self.int() for _ in range(4))
        count = int(np.prod(shape))
        values = np.frombuffer(self.raw(4 * count), dtype="<f4").astype(np.float32)
        return values.reshape(shape)

    def alias_tensor(self):
        """An alias_tensor (a view into a layer's params): version 1 and the four extents."""
        self.expect_int("alias_tensor version", 1)
        return tuple(self.int() for _ in range(4))


# --- The network ------------------------------------------------------------------------------
# anet_type of dnn_face_recognition_ex.cpp, outermost layer first. Nodes:
#   ("con", filters, size, stride) ("affine",) ("relu",) ("max_pool", size, stride)
#   ("avg_pool", size, stride) (size 0 = avg_pool_everything) ("add_prev", tag) ("fc", n)
#   ("tag", id) ("skip", id) ("input",)

def block(n, stride):
    # BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>, outermost first
    return [("affine",), ("con", n, 3, 1), ("relu",), ("affine",), ("con", n, 3, stride)]


def ares(n):
    # relu<add_prev1<block<N,affine,1,tag1<SUBNET>>>>
    return [("relu",), ("add_prev", 1)] + block(n, 1) + [("tag", 1)]


def ares_down(n):
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,affine,2,tag1<SUBNET>>>>>>>
    return [("relu",), ("add_prev", 2), ("avg_pool", 2, 2), ("skip", 1), ("tag", 2)] + block(n, 2) + [("tag", 1)]


NETWORK = ([("fc", 128), ("avg_pool", 0, 1)]
           + ares_down(256)
           + ares(256) + ares(256) + ares_down(256)
           + ares(128) + ares(128) + ares_down(128)
           + ares(64) + ares(64) + ares(64) + ares_down(64)
           + ares(32) + ares(32) + ares(32)
           + [("max_pool", 3, 2), ("relu",), ("affine",), ("con", 32, 7, 2), ("input",)])


def default_padding(size, stride):
    """dlib's con_/max_pool_/avg_pool_ template default: 0 when stride != 1, else size/2."""
    return 0 if stride != 1 else size // 2


class Parser:
    def __init__(self, data):
        self.r = Reader(data)
        self.layers = []  # parsed details, input side first (the order dlib writes them)

    def parse(self):
        r = self.r
        r.expect_int("add_loss_layer version", 1)
        r.expect_string("loss_metric_2", "loss_metric_")
        self.margin = r.float()
        self.dist_thresh = r.float()
        self.node(0)
        if r.pos != len(r.data):
            raise FormatError(f"{len(r.data) - r.pos} bytes left after the network")
        return self

    def node(self, i):
        r = self.r
        kind = NETWORK[i][0]
        if kind in ("tag", "skip"):
            r.expect_int(f"add_{kind}_layer version", 1)
            self.node(i + 1)
            self.layers.append(NETWORK[i])
            return
        below_is_input = NETWORK[i + 1][0] == "input"
        version = r.expect_int("add_layer version", 2, 3) if below_is_input else r.expect_int("add_layer version", 2)
        if below_is_input:
            self.input_layer()
        else:
            self.node(i + 1)
        self.layers.append(self.details(NETWORK[i]))
        for _ in range(3):  # this_layer_setup_called, gradient_input_is_stale, get_output_..._disabled
            r.bool()
        for _ in range(3):  # x_grad, cached_output, params_grad (or grad_final): training state
            r.tensor()
        if below_is_input and version >= 3:
            r.int()  # _sample_expansion_factor

    def input_layer(self):
        r = self.r
        r.expect_string("input_rgb_image_sized")
        self.mean = (r.float(), r.float(), r.float())
        self.size = (r.int(), r.int())
        if self.size != (150, 150):
            raise FormatError(f"input size {self.size}, expected 150x150")

    def details(self, node):
        r = self.r
        kind = node[0]
        if kind == "con":
            _, filters, size, stride = node
            version = r.expect_string("con_4", "con_5", "con_6")
            params = r.tensor()
            got = [r.int() for _ in range(7)]  # num_filters, nr, nc, stride_y, stride_x, pad_y, pad_x
            pad = default_padding(size, stride)
            want = [filters, size, size, stride, stride, pad, pad]
            if got != want:
                raise FormatError(f"con: expected (filters, nr, nc, sy, sx, py, px) {want}, found {got}")
            fshape = r.alias_tensor()
            bshape = r.alias_tensor()
            for _ in range(4):  # learning-rate and weight-decay multipliers
                r.float()
            use_bias = r.bool() if version in ("con_5", "con_6") else True
            if version == "con_6" and r.bool():
                raise FormatError("con with a fused relu is not supported")
            if fshape[0] != filters or fshape[2:] != (size, size) or bshape != (1, filters, 1, 1):
                raise FormatError(f"con: filters {fshape}, biases {bshape}")
            n_f = int(np.prod(fshape))
            flat = params.reshape(-1)
            if flat.size != n_f + (filters if use_bias else 0):
                raise FormatError(f"con: params hold {flat.size} values for filters {fshape}")
            w = flat[:n_f].reshape(fshape)
            b = flat[n_f:n_f + filters] if use_bias else np.zeros(filters, np.float32)
            return ("con", w, b, stride, pad)
        if kind == "affine":
            version = r.expect_string("affine_", "affine_2")
            params = r.tensor()
            g = r.alias_tensor()
            b = r.alias_tensor()
            mode = r.int()
            if version == "affine_2" and r.bool():
                raise FormatError("disabled affine layer")
            if mode != 0:  # layer_mode CONV_MODE = 0: one gamma/beta per channel
                raise FormatError(f"affine mode {mode}, expected CONV_MODE (0)")
            n = int(np.prod(g))
            flat = params.reshape(-1)
            if g != b or flat.size != 2 * n:
                raise FormatError(f"affine: gamma {g}, beta {b}, params {flat.size}")
            return ("affine", flat[:n].copy(), flat[n:].copy())
        if kind == "relu":
            if r.expect_string("relu_", "relu_2") == "relu_2" and r.bool():
                raise FormatError("disabled relu layer")
            return ("relu",)
        if kind in ("max_pool", "avg_pool"):
            _, size, stride = node
            r.expect_string(kind + "_2")
            got = [r.int() for _ in range(6)]  # nr, nc, stride_y, stride_x, pad_y, pad_x
            pad = default_padding(size, stride)
            want = [size, size, stride, stride, pad, pad]
            if got != want:
                raise FormatError(f"{kind}: expected (nr, nc, sy, sx, py, px) {want}, found {got}")
            return (kind, size, stride, pad)
        if kind == "add_prev":
            r.expect_string("add_prev_")
            return node
        if kind == "fc":
            version = r.expect_string("fc_2", "fc_3")
            n_out, n_in = r.int(), r.int()
            params = r.tensor()
            w = r.alias_tensor()
            b = r.alias_tensor()
            bias_mode = r.int()
            for _ in range(4):
                r.float()
            if version == "fc_3":
                r.bool()
            if n_out != node[1] or bias_mode != 1 or w != (n_in, n_out, 1, 1):  # FC_NO_BIAS = 1
                raise FormatError(f"fc: outputs {n_out}, inputs {n_in}, bias mode {bias_mode}, weights {w}")
            # dlib computes output = input (N x in) * W (in x out).
            return ("fc", params.reshape(n_in, n_out).copy())
        raise FormatError(f"unexpected node {node}")


def convert(parsed):
    """The weights in the layout Sources/SeqEmbed reads (docs/embedding.md): convolutions
    conv{i}.weight [out, in, k, k] (NCHW, cross-correlation) and conv{i}.bias [out]; the affine
    layer after each one as affine{i}.gamma / affine{i}.beta [out]; fc.weight [128, 256]
    ([out, in], so y = W x). i counts the 29 convolutions from the input."""
    tensors = {}
    convs = [l for l in parsed.layers if l[0] == "con"]
    affines = [l for l in parsed.layers if l[0] == "affine"]
    fcs = [l for l in parsed.layers if l[0] == "fc"]
    if len(convs) != 29 or len(affines) != 29 or len(fcs) != 1:
        raise FormatError(f"found {len(convs)} con, {len(affines)} affine, {len(fcs)} fc layers; expected 29, 29, 1")
    # Every conv is followed directly by its affine (input side first).
    kinds = [l[0] for l in parsed.layers]
    for i, k in enumerate(kinds):
        if k == "con" and kinds[i + 1] != "affine":
            raise FormatError("a con layer not followed by affine")
    for i, (c, a) in enumerate(zip(convs, affines)):
        tensors[f"conv{i}.weight"] = c[1]
        tensors[f"conv{i}.bias"] = c[2]
        tensors[f"affine{i}.gamma"] = a[1]
        tensors[f"affine{i}.beta"] = a[2]
    tensors["fc.weight"] = np.ascontiguousarray(fcs[0][1].T)
    return tensors


def layer_summary(parsed):
    """One line per layer, input side first, for the docs and the self-check."""
    out = []
    for l in parsed.layers:
        if l[0] == "con":
            out.append(f"con {l[1].shape[0]}x{l[1].shape[1]}x{l[1].shape[2]}x{l[1].shape[3]} stride {l[3]} pad {l[4]}")
        elif l[0] in ("max_pool", "avg_pool"):
            out.append(f"{l[0]} {l[1] or 'all'} stride {l[2]} pad {l[3]}")
        elif l[0] in ("tag", "skip", "add_prev"):
            out.append(f"{l[0]}{l[1]}")
        elif l[0] == "fc":
            out.append(f"fc_no_bias {l[1].shape[0]}->{l[1].shape[1]}")
        else:
            out.append(l[0])
    return out


def write_safetensors(tensors, path, metadata):
    header = {}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def self_check():
    """The primitive decoders on hand-made bytes (the encodings of serialize.h)."""
    assert Reader(bytes([0x01, 0x00])).int() == 0
    assert Reader(bytes([0x01, 0x02])).int() == 2
    assert Reader(bytes([0x81, 0x1c])).int() == -28
    assert Reader(bytes([0x02, 0x2c, 0x01])).int() == 300
    # 0.6 as dlib writes it: mantissa 0x99999a, exponent -24
    assert abs(Reader(bytes([0x03, 0x9a, 0x99, 0x99, 0x81, 0x18])).float() - 0.6) < 1e-7
    assert Reader(bytes([0x01, 0x02, 0x68, 0x69])).string() == "hi"
    assert Reader(b"1").bool() and not Reader(b"0").bool()
    t = Reader(bytes([1, 2, 1, 1, 1, 2, 1, 1, 1, 1]) + struct.pack("<2f", 1.5, -2)).tensor()
    assert t.shape == (1, 2, 1, 1) and t.reshape(-1).tolist() == [1.5, -2.0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dat", help="dlib_face_recognition_resnet_model_v1.dat")
    ap.add_argument("--out", required=True, help="output .safetensors path")
    ap.add_argument("--layers", action="store_true", help="print the parsed layer list")
    args = ap.parse_args()
    self_check()
    with open(args.dat, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != DAT_SHA256:
        print(f"convert_dlib: warning: {args.dat}: SHA-256 {digest} is not the pinned one; "
              "converting anyway, the structure checks still apply", file=sys.stderr)
    try:
        parsed = Parser(data).parse()
        tensors = convert(parsed)
    except FormatError as e:
        sys.exit(f"convert_dlib: {args.dat}: {e}")
    summary = layer_summary(parsed)
    if args.layers:
        print("\n".join(summary))
    n_params = sum(t.size for t in tensors.values())
    write_safetensors(tensors, args.out, {
        "format": "seqcurate dlib face resnet v1",
        "source": "face_recognition_models==0.3.0 dlib_face_recognition_resnet_model_v1.dat",
        "source_sha256": digest,
        "input_mean_rgb": json.dumps([round(m, 6) for m in parsed.mean]),
        "input_scale": "0.00390625",
        "input_size": "150",
        "loss_margin": repr(parsed.margin),
        "distance_threshold": repr(parsed.dist_thresh),
    })
    with open(args.out, "rb") as f:
        out_sha = hashlib.sha256(f.read()).hexdigest()
    with open(args.out + ".sha256", "w") as f:
        f.write(f"{out_sha}  {os.path.basename(args.out)}\n")
    print(f"convert_dlib: {len(summary)} layers, {len(tensors)} tensors, {n_params} parameters, "
          f"mean {parsed.mean}, threshold {parsed.dist_thresh:g} -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
