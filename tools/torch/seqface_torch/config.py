"""The training config of seqcurate (`RUN/config.json`, `seqcurate train --config`), with the
same sections, keys and defaults as SeqTrain's `TrainConfig` (docs/training.md, "The config
file"). train.py reads the same files, so a run moves between the two trainers unchanged."""
import copy
import json

DEFAULTS = {
    "network": {"channels": [64, 128, 256, 512], "units": [1, 2, 4, 1], "width": 1.0,
                "input_size": 128, "input_channels": 3, "feature_dim": 512, "channel_order": "rgb"},
    "head": {"kind": "sphereface", "m": 4, "scale": 32, "backward": "caffe",
             "lambda_base": 5, "gamma": 0.12, "power": 1, "lambda_min": 5},
    "dsa": {"lambda": 0.5, "dropout_ratio": 0.99, "alpha": 2, "beta": 1,
            "use_normalize": False, "scale": 1, "center_iter": 0, "diff_iter": 0},
    "solver": {"base_lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005,
               "lr_policy": "step", "gamma": 0.1, "stepsize": 200000, "stepvalues": [],
               "max_iter": 300000, "snapshot": 10000,
               "lsro_weight": 1, "dsa_weight": 0.04, "seed": 1},
    "data": {"identity_batch": 32, "sequence_batch": 32, "image_size": 0, "mirror": True, "threads": 2},
}

# The margin and backward rule defaults depend on the head kind (MarginConfig.init).
HEAD_M = {"sphereface": 4, "cosface": 0.35, "arcface": 0.5, "none": 0}

# `--network tiny` of seqcurate train (NetworkConfig.tiny).
TINY = {"channels": [8, 16, 24, 32], "units": [1, 1, 1, 1], "input_size": 32, "feature_dim": 64}


def default_config():
    return copy.deepcopy(DEFAULTS)


def merge(given, path="config"):
    """`given` (a dict as in config.json) over the defaults; unknown keys are errors naming them."""
    cfg = default_config()
    for section, values in (given or {}).items():
        if section not in cfg:
            raise ValueError(f"{path}: unknown section {section!r}")
        if not isinstance(values, dict):
            raise ValueError(f"{path}: {section} must be an object")
        if section == "head" and "kind" in values:
            cfg["head"]["m"] = HEAD_M[values["kind"]]
            cfg["head"]["backward"] = "caffe" if values["kind"] == "sphereface" else "exact"
        for key, value in values.items():
            if key not in cfg[section]:
                raise ValueError(f"{path}: unknown key {section}.{key}")
            cfg[section][key] = value
    validate(cfg, path)
    return cfg


def load(path):
    with open(path) as f:
        return merge(json.load(f), path)


def validate(cfg, path="config"):
    n, h = cfg["network"], cfg["head"]
    if len(n["channels"]) != len(n["units"]) or not n["channels"]:
        raise ValueError(f"{path}: network.units must have one entry per network.channels entry")
    if n["input_channels"] not in (1, 3):
        raise ValueError(f"{path}: network.input_channels must be 1 or 3")
    if n["channel_order"] not in ("rgb", "bgr"):
        raise ValueError(f"{path}: network.channel_order must be rgb or bgr")
    if h["kind"] not in HEAD_M:
        raise ValueError(f"{path}: head.kind must be one of {sorted(HEAD_M)}")
    if h["kind"] != "sphereface" and h["backward"] == "caffe":
        raise ValueError(f"{path}: head.backward caffe exists for sphereface only")
    if cfg["solver"]["lr_policy"] not in ("fixed", "step", "multistep"):
        raise ValueError(f"{path}: solver.lr_policy must be fixed, step or multistep")


def effective_channels(network):
    """Stage widths after `width` (NetworkConfig.effectiveChannels: rounded half away from zero)."""
    out = []
    for c in network["channels"]:
        v = c * network["width"]
        out.append(max(1, int(v + 0.5) if v >= 0 else -int(-v + 0.5)))
    return out


def final_map_size(network):
    side = network["input_size"]
    for _ in network["channels"]:
        side = (side - 1) // 2 + 1
    return side


def image_size(cfg):
    """`data.image_size`, 0 meaning `input_size * 9 / 8` (DataConfig.resolvedImageSize)."""
    return cfg["data"]["image_size"] or cfg["network"]["input_size"] * 9 // 8


def learning_rate(solver, it):
    """Learning rate at 0-based iteration `it` (Caffe's GetLearningRate, SolverConfig.learningRate)."""
    p = solver["lr_policy"]
    if p == "fixed":
        return solver["base_lr"]
    if p == "step":
        return solver["base_lr"] * solver["gamma"] ** (it // solver["stepsize"])
    return solver["base_lr"] * solver["gamma"] ** sum(1 for s in solver["stepvalues"] if it >= s)
