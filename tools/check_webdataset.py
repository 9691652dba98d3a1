#!/usr/bin/env python3
"""Checks a `seqcurate export --format webdataset` folder with Python's tarfile:
every shard of manifest.json exists with its SHA-256, holds KEY.<image> + KEY.json pairs
(lines = samples), and every json has a label. Usage: tools/check_webdataset.py DIR"""
import hashlib, json, os, sys, tarfile

def main(folder):
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    samples = 0
    for f in manifest["files"]:
        path = os.path.join(folder, f["name"])
        data = open(path, "rb").read()
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f"{path}: sha256 differs from the manifest"
        with tarfile.open(path) as tar:
            members = tar.getmembers()
            assert len(members) == 2 * f["lines"], f"{path}: {len(members)} members for {f['lines']} samples"
            for image, meta in zip(members[::2], members[1::2]):
                key = image.name.split(".")[0]
                assert meta.name == key + ".json", f"{path}: {meta.name} does not follow {image.name}"
                assert image.mtime == 0 and image.uid == 0 and image.gid == 0, f"{path}: {image.name} is not deterministic"
                sample = json.loads(tar.extractfile(meta).read())
                assert isinstance(sample["label"], int), f"{path}: {meta.name} has no label"
        samples += f["lines"]
    print(f"{folder}: {len(manifest['files'])} shards, {samples} samples: ok")

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
