"""Checkpoints between train.py and seqcurate (docs/training.md, "Train on GPUs").

- A train.py checkpoint (`torch.save` of a dict, format `seqface-torch`): `config` (the
  seqcurate training config), `model` (FaceResNet state_dict), `head` (`fc6.weight`),
  `dsa` (`dsa.agents`, `dsa.agents_momentum`), `iteration`, `faceid_num`, `seqid_num`.
- A seqcurate model folder (ModelFolder.swift, docs/caffe-models.md): `model.json` with the
  face_res20net graph and the preprocessing of a trained run, `weights.safetensors` with
  `<node>.<role>` tensors, which are exactly the FaceResNet parameter names.
- A seqcurate train run: `config.json` and the weights its `checkpoint.json` names.
"""
import hashlib
import json
import os

import torch

from . import config as cfgmod
from . import safetensors_io
from .model import FaceResNet

FORMAT = "seqface-torch"


def save(path, cfg, model, head=None, dsa=None, iteration=0, faceid_num=None, seqid_num=None, optimizer=None):
    """Writes a train.py checkpoint atomically."""
    state = {"format": FORMAT, "version": 1, "config": cfg, "iteration": int(iteration),
             "faceid_num": faceid_num, "seqid_num": seqid_num,
             "model": {k: v.detach().cpu() for k, v in model.state_dict().items()}}
    if head is not None:
        state["head"] = {"fc6.weight": head.weight.detach().cpu()}
    if dsa is not None:
        state["dsa"] = {"dsa.agents": dsa.agents.cpu(), "dsa.agents_momentum": dsa.agents_momentum.cpu(),
                        "dsa.iteration": dsa.iteration.cpu()}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    tmp = path + ".part"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path):
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:   # torch raises several kinds (pickle, zip, runtime) for a bad file
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ValueError(f"{path}: not a PyTorch checkpoint ({first})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path}: not a train.py checkpoint (no 'model')")
    if state.get("format") != FORMAT:
        # A bare state_dict of FaceResNet is accepted too, with the default config.
        state = {"format": FORMAT, "config": cfgmod.default_config(), "model": state, "iteration": 0}
    return state


def model_from(state):
    cfg = cfgmod.merge(state["config"])
    net = FaceResNet(cfg["network"])
    net.load_state_dict(state["model"])
    return cfg, net.eval()


def graph_spec(network):
    """The GraphSpec (SeqNN/GraphSpec.swift) of face_res20net: node names are the parameter
    prefixes, so the weights keep their names."""
    net = FaceResNet(network)
    chans = cfgmod.effective_channels(network)
    nodes = []
    blob = "data"

    def conv(name, inp, out_c, stride):
        nodes.append({"name": name, "op": "conv", "inputs": [inp], "outputs": [name], "out_channels": out_c,
                      "kernel": [3, 3], "stride": [stride, stride], "pad": [1, 1], "bias": True})
        return name

    def prelu(name, inp):
        nodes.append({"name": name, "op": "prelu", "inputs": [inp], "outputs": [name]})
        return name

    for (opening, relu, units), out_c in zip(net.stages, chans):
        blob = prelu(relu, conv(opening, blob, out_c, 2))
        for ca, ra, cb, rb in units:
            branch = prelu(rb, conv(cb, prelu(ra, conv(ca, blob, out_c, 1)), out_c, 1))
            name = f"{rb}_sum"
            nodes.append({"name": name, "op": "eltwise", "inputs": [blob, branch], "outputs": [name], "eltwise": "sum"})
            blob = name
    nodes.append({"name": "fc5", "op": "linear", "inputs": [blob], "outputs": ["fc5"],
                  "out_channels": network["feature_dim"], "bias": True})
    size = network["input_size"]
    return {"input": "data", "input_shape": [network["input_channels"], size, size], "output": "fc5", "nodes": nodes}


def write_model_folder(folder, cfg, state_dict, source=None):
    """A seqcurate model folder for FaceResNet weights: the graph, and the preprocessing of
    `seqcurate features` on a trained run (resize to image_size, central crop, (v-127.5)/128)."""
    full = cfgmod.merge(cfg)
    network, side = full["network"], cfgmod.image_size(full)
    c = network["input_channels"]
    manifest = {
        "format": "seqcurate-model", "version": 1,
        "graph": graph_spec(network),
        "preprocess": {"resize_height": side, "resize_width": side, "channel_order": network["channel_order"],
                       "raw_scale": 255, "mean_image": False, "mean_values": [127.5] * c,
                       "input_scale": 1 / 128, "box_scale": 1.1},
        "source": dict(source or {}),
    }
    os.makedirs(folder, exist_ok=True)
    weights = {k: v for k, v in state_dict.items()}
    path = os.path.join(folder, "weights.safetensors")
    safetensors_io.write(path, weights, {"format": "seqcurate-model"})
    with open(path, "rb") as f:
        manifest["source"]["weights_sha256"] = hashlib.sha256(f.read()).hexdigest()
    tmp = os.path.join(folder, "model.json.part")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(folder, "model.json"))
    return manifest


def read_run(run, weights=None):
    """A seqcurate train run folder: its config (defaults filled in), the tensors of its last good
    checkpoint (or of `weights`) and the iteration."""
    with open(os.path.join(run, "config.json")) as f:
        cfg = cfgmod.merge(json.load(f), os.path.join(run, "config.json"))
    iteration = 0
    if weights is None:
        pointer = os.path.join(run, "checkpoint.json")
        if not os.path.exists(pointer):
            raise ValueError(f"{run}: the run has no checkpoint yet (no checkpoint.json)")
        with open(pointer) as f:
            state = json.load(f)
        weights = os.path.join(run, "checkpoints", state["weights_file"])
        iteration = state["iteration"]
        if os.path.getsize(weights) != state["weights_bytes"]:
            raise ValueError(f"{weights}: size differs from the one checkpoint.json records")
    tensors, meta = safetensors_io.read(weights)
    iteration = int(meta.get("iteration", iteration))
    info = {}
    if os.path.exists(os.path.join(run, "run.json")):
        with open(os.path.join(run, "run.json")) as f:
            info = json.load(f)
    return cfg, tensors, iteration, info


def run_to_state(run, weights=None):
    """A seqcurate run as a train.py checkpoint dict (network, head and agents when present)."""
    cfg, tensors, iteration, info = read_run(run, weights)
    net = FaceResNet(cfg["network"])
    names = set(net.state_dict())
    missing = sorted(names - set(tensors))
    if missing:
        raise ValueError(f"{run}: the checkpoint lacks {', '.join(missing[:3])}{' …' if len(missing) > 3 else ''}")
    state = {"format": FORMAT, "version": 1, "config": cfg, "iteration": iteration,
             "faceid_num": info.get("faceid_num"), "seqid_num": info.get("seqid_num"),
             "model": {k: tensors[k] for k in net.state_dict()}}
    if "fc6.weight" in tensors:
        state["head"] = {"fc6.weight": tensors["fc6.weight"]}
    if "dsa.agents" in tensors:
        state["dsa"] = {"dsa.agents": tensors["dsa.agents"]}
    net.load_state_dict(state["model"])   # checks every shape
    return state
