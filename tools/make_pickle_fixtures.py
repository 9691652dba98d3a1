#!/usr/bin/env python3
"""Writes the feature-pickle fixtures of Tests/Fixtures/pickles/ (FeaturePickle, eval --features X.pkl).

SeqFace published its LFW and YTF features as Python 2 `cPickle.dump(features, f)` files:
a dict {path: numpy vector}, protocol 0 (cPickle's default), keys and the arrays' raw data
being Python 2 `str`. Python 3 pickles `bytes` differently (as `_codecs.encode(text,
'latin1')`) and `str` as unicode, so `Py2Pickler` below writes bytes and ASCII text the way
Python 2 wrote `str` (STRING with a Python 2 repr in protocol 0, SHORT_BINSTRING/BINSTRING in
protocols 1-2) and names numpy's module as numpy 1.x did. One fixture is a plain Python 3
protocol-2 pickle, which the reader takes as well.

Usage: python3 tools/make_pickle_fixtures.py [OUT_DIR]   (needs numpy; deterministic output)

Writes, besides the pickles, expected.json: for each good fixture the dict items in file order
as {"key": ..., "values": [...] or null}, every value a float32 (as a JSON double); and the
hostile bad_*.pkl files the reader must refuse.
"""
import io
import json
import os
import pickle
import struct
import sys

import numpy as np


def py2_repr(data: bytes) -> bytes:
    """Python 2's repr() of a str: quotes ' unless the text holds ' and not "."""
    quote = b'"' if (b"'" in data and b'"' not in data) else b"'"
    out = bytearray(quote)
    for c in data:
        ch = bytes([c])
        if ch == quote or ch == b"\\":
            out += b"\\" + ch
        elif ch == b"\t":
            out += b"\\t"
        elif ch == b"\n":
            out += b"\\n"
        elif ch == b"\r":
            out += b"\\r"
        elif c < 0x20 or c >= 0x7F:
            out += b"\\x%02x" % c
        else:
            out += ch
    out += quote
    return bytes(out)


class Py2Pickler(pickle._Pickler):
    """Pickles bytes (and ASCII text) as a Python 2 `str`, numpy's module as numpy.core."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("ascii")
        if self.proto == 0:
            self.write(b"S" + py2_repr(data) + b"\n")
        elif len(data) < 256:
            self.write(b"U" + bytes([len(data)]) + data)
        else:
            self.write(b"T" + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    def save_text(self, obj):
        if obj.isascii():
            self.save_py2_str(obj)
        else:
            pickle._Pickler.save_str(self, obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_text

    def save_global(self, obj, name=None):
        module = getattr(obj, "__module__", None)
        if module == "numpy._core.multiarray" or (module or "").startswith("numpy._core"):
            name = name or obj.__qualname__
            self.write(b"c" + b"numpy.core.multiarray" + b"\n" + name.encode("ascii") + b"\n")
            self.memoize(obj)
            return
        pickle._Pickler.save_global(self, obj, name)



def py2_dumps(obj, protocol):
    f = io.BytesIO()
    Py2Pickler(f, protocol=protocol).dump(obj)
    return f.getvalue()


def vectors(seed, n, dim, dtype):
    rng = np.random.RandomState(seed)
    return [rng.standard_normal(dim).astype(np.float32).astype(dtype) for _ in range(n)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "pickles")
    os.makedirs(out, exist_ok=True)
    people = [("Ann_Ames", 1), ("Ann_Ames", 2), ("Bo_Berg", 1), ("Bo_Berg", 2), ("Cy_Cole", 1), ("Dee_Dorn", 1)]
    lfw_paths = ["%s/%s_%04d.jpg" % (p, p, n) for p, n in people]
    ytf_paths = ["Ann_Ames/0", "Ann_Ames/3", "Bo_Berg/1", "Bo_Berg/2", "Cy_Cole/0", "Dee_Dorn/4"]

    fixtures = {}

    # LFW as SeqFace's evaluate.py wrote it: keys relative to the repository, float32, protocol 0.
    v = vectors(27, len(lfw_paths), 8, np.float32)
    # One byte pattern that needs every escape of a Python 2 repr: ' " \ \n \r \t and high bytes.
    v[0][0] = np.frombuffer(b"'\"\\\n", dtype=np.float32)[0]
    v[0][1] = np.frombuffer(b"\r\t\x7f\xff", dtype=np.float32)[0]
    v[0] = v[0].copy()
    fixtures["lfw_p0_py2.pkl"] = ({"data/LFW/images/" + k: a for k, a in zip(lfw_paths, v)}, 0, True)

    # YTF video features: float64 (np.zeros(512) summed), keys with a trailing slash, protocol 2.
    w = vectors(64, len(ytf_paths), 8, np.float64)
    fixtures["ytf_p2_py2.pkl"] = ({"data/YTF/images/" + k + "/": a for k, a in zip(ytf_paths, w)}, 2, True)

    # The first published evaluate.py kept absolute paths; protocol 1, with a None value.
    u = vectors(5, len(lfw_paths), 8, np.float32)
    d = {"/data/image_server/user/huangyangyu/seqface/SeqFace/data/LFW/images/" + k: a for k, a in zip(lfw_paths, u)}
    d["/data/image_server/user/huangyangyu/seqface/SeqFace/data/LFW/images/Zed/Zed_0001.jpg"] = None
    fixtures["lfw_p1_abs_py2.pkl"] = (d, 1, True)

    # A plain Python 3 protocol-2 pickle (unicode keys, _codecs.encode data, numpy._core).
    fixtures["lfw_p2_py3.pkl"] = ({"data/LFW/images/" + k: a for k, a in zip(lfw_paths, u)}, 2, False)

    expected = {}
    for name, (obj, proto, py2) in fixtures.items():
        data = py2_dumps(obj, proto) if py2 else pickle.dumps(obj, protocol=proto)
        # Python itself must read back what was written.
        back = pickle.loads(data, encoding="latin1")
        assert list(back.keys()) == list(obj.keys()), name
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        expected[name] = [
            {"key": k, "values": None if a is None else [float(x) for x in np.asarray(a, dtype=np.float32)]}
            for k, a in obj.items()
        ]

    # Hostile files: each must be refused with one line naming the file.
    bad = {}
    # A pickle that would run a shell command when unpickled.
    bad["bad_global.pkl"] = b"cos\nsystem\n(S'echo pwned'\ntR."
    # A shape of 2^40 float32 over 8 bytes of data.
    a = py2_dumps({"k": np.zeros(2, dtype=np.float32)}, 2)
    bad["bad_huge_shape.pkl"] = a.replace(b"K\x02\x85", b"\x8a\x06\x00\x00\x00\x00\x00\x01\x85", 1)
    assert bad["bad_huge_shape.pkl"] != a
    # Integer features.
    bad["bad_int32.pkl"] = py2_dumps({"k": np.arange(4, dtype=np.int32)}, 2)
    # Protocol 4 (Python 3's default).
    bad["bad_protocol4.pkl"] = pickle.dumps({"k": np.zeros(2, dtype=np.float32)}, protocol=4)
    # A dict of lists.
    bad["bad_list_value.pkl"] = pickle.dumps({"k": [1.0, 2.0]}, protocol=2)
    # One array referenced by many keys (memo GET): more values than the file has bytes.
    shared = np.ones(64, dtype=np.float32)
    bad["bad_alias_bomb.pkl"] = py2_dumps({"k%03d" % i: shared for i in range(100)}, 2)
    for name, data in bad.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
