#!/usr/bin/env python3
"""Trains SeqFace (face_res20net + margin head with LSRO + DSA) with PyTorch
DistributedDataParallel on what `seqcurate export` writes. Run it with torchrun:

  torchrun --nproc_per_node 8 tools/torch/train.py --lists EXPORT/image_train_part1.txt \\
      EXPORT/image_train_part2_seq.txt --out runs/gpu          # or --shards EXPORT/ (webdataset)

Settings are seqcurate's training config (`--config FILE`, the same JSON as `seqcurate train
--config` and a run's config.json; defaults are the published setup) with a few flags on top.
The batch sizes are per process: every iteration each rank takes `identity_batch` identity and
`sequence_batch` sequence samples, so one step sees `world_size` times the batch of seqcurate
train. nccl on GPUs, gloo on CPU.

DSA agents (a buffer, not a parameter) stay identical on every rank: each step every rank
applies the same update, the center-style update of the whole global batch. `--agent-sync
gather` (default) all-gathers the batch's fc5 features and labels (world x B x K floats) and
computes the per-agent sums and counts from them on each rank; `--agent-sync allreduce`
all-reduces each rank's per-agent sums of (x - c) and counts ((F+S) x K floats). Both give the
sums and counts of the global batch, hence the same update on every rank; gather sends far less
when F+S is large. The agents start from rank 0's (broadcast) and are checked equal across ranks
at every checkpoint.

Writes OUT/config.json, OUT/metrics.jsonl (rank 0: iter, lsro, dsa, lr, images_per_s, as
seqcurate's), OUT/checkpoints/iter_N.pt and OUT/checkpoint.json (the last one). `--resume`
continues from it. Convert a checkpoint for seqcurate with convert.py to-model.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch import nn  # noqa: E402

from seqface_torch import checkpoint  # noqa: E402
from seqface_torch import config as cfgmod  # noqa: E402
from seqface_torch.data import ListDataset, ShardDataset, MixedBatchSampler, Preprocess  # noqa: E402
from seqface_torch.losses import LSROLoss, DSALoss, MarginHead  # noqa: E402
from seqface_torch.model import FaceResNet  # noqa: E402
from seqface_torch.optim import CaffeSGD  # noqa: E402


class Net(nn.Module):
    """Body and head in one module, so DDP synchronises the gradients of both."""

    def __init__(self, body, head):
        super().__init__()
        self.body, self.head = body, head

    def forward(self, x, labels, iteration):
        features = self.body(x)
        return features, self.head(features, labels, iteration)


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--lists", nargs="+", help="exported lists (identity list, sequence list)")
    src.add_argument("--shards", help="a `seqcurate export --format webdataset` folder")
    ap.add_argument("--root", help="folder relative list paths start from (default: the export manifest's root)")
    ap.add_argument("--out", required=True, help="run folder")
    ap.add_argument("--config", help="seqcurate training config JSON (default: --init's config, else the defaults)")
    ap.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    ap.add_argument("--init", help="start from the weights of a checkpoint (train.py's, or a seqcurate run "
                                   "converted with convert.py from-run): the network, and the head and agents "
                                   "when their shapes match; iteration and momentum start afresh")
    ap.add_argument("--network", choices=["face_res20net", "tiny"], help="network preset (as seqcurate train)")
    ap.add_argument("--margin", choices=["sphereface", "cosface", "arcface", "none"])
    ap.add_argument("--identity-batch", type=int, help="identity samples per rank and iteration")
    ap.add_argument("--sequence-batch", type=int, help="sequence samples per rank and iteration")
    ap.add_argument("--base-lr", type=float)
    ap.add_argument("--max-iter", type=int)
    ap.add_argument("--snapshot", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--dsa-dropout-ratio", type=float)
    ap.add_argument("--faceid-num", type=int, help="F (default: the export manifest, else the labels)")
    ap.add_argument("--seqid-num", type=int, help="S (default: the export manifest, else the labels)")
    ap.add_argument("--workers", type=int, help="DataLoader workers per rank (default: data.threads)")
    ap.add_argument("--agent-sync", choices=["gather", "allreduce"], default="gather")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def build_config(args):
    if args.resume:
        cfg = cfgmod.load(os.path.join(args.out, "config.json"))
    elif args.config:
        cfg = cfgmod.load(args.config)
    elif args.init:
        cfg = cfgmod.merge(checkpoint.load(args.init)["config"], args.init)
    else:
        cfg = cfgmod.default_config()
    if args.network == "tiny":
        cfg["network"].update(cfgmod.TINY)
    elif args.network == "face_res20net":
        cfg["network"].update({k: cfgmod.DEFAULTS["network"][k] for k in cfgmod.TINY})
    if args.margin:
        cfg["head"].update(kind=args.margin, m=cfgmod.HEAD_M[args.margin],
                           backward="caffe" if args.margin == "sphereface" else "exact")
    for flag, section, key in [("identity_batch", "data", "identity_batch"), ("sequence_batch", "data", "sequence_batch"),
                               ("base_lr", "solver", "base_lr"), ("max_iter", "solver", "max_iter"),
                               ("snapshot", "solver", "snapshot"), ("seed", "solver", "seed"),
                               ("dsa_dropout_ratio", "dsa", "dropout_ratio")]:
        if getattr(args, flag) is not None:
            cfg[section][key] = getattr(args, flag)
    cfgmod.validate(cfg)
    return cfg


def class_counts(args, dataset):
    manifest = {}
    where = args.shards if args.shards else (os.path.dirname(os.path.abspath(args.lists[0])) if args.lists else None)
    if where and os.path.exists(os.path.join(where, "manifest.json")):
        with open(os.path.join(where, "manifest.json")) as f:
            manifest = json.load(f)
    labels = np.asarray(dataset.labels)
    F = args.faceid_num or manifest.get("faceid_num") or int(labels.max(initial=-1)) + 1
    S = args.seqid_num if args.seqid_num is not None else (manifest.get("seqid_num") or int(-labels.min(initial=0)))
    if labels.max(initial=-1) >= F or -labels.min(initial=0) > S:
        raise ValueError(f"labels run outside -{S}…{F - 1}")
    return F, S


def agent_order(seed, iteration, n):
    """The agent permutation of an iteration: a function of (seed, iteration), the same on every rank."""
    g = torch.Generator().manual_seed((int(seed) * 1_000_003 + 0xD5A * 7919 + int(iteration)) % (2 ** 63))
    return torch.randperm(n, generator=g)


def main(argv=None):
    args = parse(argv)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    local = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if rank == 0 and not args.quiet else (lambda *a: None)

    if args.resume:
        with open(os.path.join(args.out, "checkpoint.json")) as f:
            pointer = json.load(f)
        state = checkpoint.load(os.path.join(args.out, "checkpoints", pointer["file"]))
        with open(os.path.join(args.out, "run.json")) as f:
            info = json.load(f)
        args.lists, args.shards = info.get("lists"), info.get("shards")
        args.root = args.root or info.get("root")
    cfg = build_config(args)
    n, d, s = cfg["network"], cfg["data"], cfg["solver"]
    pre = Preprocess(cfgmod.image_size(cfg), n["input_size"], n["input_channels"], n["channel_order"])
    if args.shards:
        dataset = ShardDataset(args.shards, pre, mirror=d["mirror"])
    elif args.lists:
        dataset = ListDataset(args.lists, pre, root=args.root, mirror=d["mirror"])
    else:
        sys.exit("train.py: error: give --lists or --shards")
    F, S = class_counts(args, dataset)
    identity, sequence = dataset.identity_indices(), dataset.sequence_indices()
    if not identity:
        sys.exit("train.py: error: no identity samples (labels >= 0)")
    seq_batch = d["sequence_batch"] if sequence and S > 0 else 0
    use_dsa = seq_batch > 0 and s["dsa_weight"] > 0

    g = torch.Generator().manual_seed(int(s["seed"]))
    body = FaceResNet(n, seed=int(s["seed"]))
    head = MarginHead(n["feature_dim"], F, cfg["head"], generator=g)
    dsa = DSALoss(F, S, n["feature_dim"], cfg["dsa"], generator=g).to(device) if use_dsa else None
    net = Net(body, head).to(device)
    multipliers = {"body." + k: v for k, v in body.multipliers().items()}
    multipliers["head.weight"] = (1.0, 1.0)
    optimizer = CaffeSGD(net.named_parameters(), multipliers, s["momentum"], s["weight_decay"])
    start = 0
    if args.resume:
        body.load_state_dict(state["model"])
        with torch.no_grad():
            head.weight.copy_(state["head"]["fc6.weight"])
            if dsa is not None:
                dsa.agents.copy_(state["dsa"]["dsa.agents"])
                dsa.agents_momentum.copy_(state["dsa"]["dsa.agents_momentum"])
                dsa.iteration.copy_(state["dsa"]["dsa.iteration"])
        optimizer.load_state_dict(state["optimizer"])
        start = int(state["iteration"])
    else:
        if args.init:
            init_from(checkpoint.load(args.init), body, head, dsa, say)
    if not args.resume and rank == 0:
        os.makedirs(os.path.join(args.out, "checkpoints"), exist_ok=True)
        if os.path.exists(os.path.join(args.out, "checkpoint.json")):
            sys.exit(f"train.py: error: {args.out} already holds a run; use --resume or another --out")
        with open(os.path.join(args.out, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, sort_keys=True)
        with open(os.path.join(args.out, "run.json"), "w") as f:
            json.dump({"lists": [os.path.abspath(p) for p in args.lists] if args.lists else None,
                       "shards": os.path.abspath(args.shards) if args.shards else None, "root": args.root,
                       "faceid_num": F, "seqid_num": S, "world_size": world, "identity_images": len(identity),
                       "sequence_images": len(sequence)}, f, indent=2, sort_keys=True)
        open(os.path.join(args.out, "metrics.jsonl"), "w").close()
    if distributed:
        # Everyone starts from rank 0's weights and agents (DDP broadcasts the parameters).
        if dsa is not None:
            dist.broadcast(dsa.agents, 0)
        ddp = nn.parallel.DistributedDataParallel(net, device_ids=[local] if cuda else None)
    else:
        ddp = net

    end = s["max_iter"]
    sampler = MixedBatchSampler(identity, sequence, d["identity_batch"], seq_batch, seed=int(s["seed"]),
                                rank=rank, world=world, start=start, iterations=max(end - start, 0))
    workers = d["threads"] if args.workers is None else args.workers
    loader = torch.utils.data.DataLoader(dataset, batch_sampler=sampler, num_workers=workers, pin_memory=cuda,
                                         persistent_workers=workers > 0)
    lsro = LSROLoss()
    metrics = open(os.path.join(args.out, "metrics.jsonl"), "a") if rank == 0 else None
    say(f"train.py: {world} process(es) on {device.type}, F={F} S={S}, per-rank batch "
        f"{d['identity_batch']}+{seq_batch}, iterations {start}…{end}")
    it = start
    started, images = time.time(), 0
    first = last = None
    for x, labels in loader:
        x, labels = x.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        lr = cfgmod.learning_rate(s, it)
        number = it + 1
        optimizer.zero_grad(set_to_none=True)
        features, logits = ddp(x, labels, number)
        id_loss = lsro(logits, labels)
        loss = s["lsro_weight"] * id_loss
        seq_loss = None
        if dsa is not None:
            seq_loss = dsa(features, labels, agent_order(s["seed"], it, dsa.agent_count))
            loss = loss + s["dsa_weight"] * seq_loss
        loss.backward()
        optimizer.step(lr)
        if dsa is not None:
            update = agent_update(dsa, features.detach(), labels, distributed, args.agent_sync, world)
            dsa.apply_agent_update(update, lr, s["momentum"])
        logged = torch.stack([id_loss.detach(), (seq_loss.detach() if seq_loss is not None else id_loss.new_zeros(()))])
        if distributed:
            dist.all_reduce(logged)
            logged /= world
        if not torch.isfinite(logged).all():
            sys.exit(f"train.py: error: iteration {number}: a loss became NaN or infinite; training stopped")
        it = number
        images += x.shape[0] * world
        record = {"iter": it, "lsro": float(logged[0]), "lr": lr,
                  "images_per_s": images / max(time.time() - started, 1e-9)}
        if seq_loss is not None:
            record["dsa"] = float(logged[1])
        first = first or record
        last = record
        if metrics:
            metrics.write(json.dumps(record, sort_keys=True) + "\n")
            metrics.flush()
        if (s["snapshot"] > 0 and it % s["snapshot"] == 0) or it == end:
            save(args.out, cfg, body, head, dsa, optimizer, it, F, S, rank, distributed)
        if it % 20 == 0 or it == end:
            say(f"iter {it} lsro {record['lsro']:.4f}" + (f" dsa {record['dsa']:.4f}" if "dsa" in record else "")
                + f" lr {lr:.3g} {record['images_per_s']:.1f} img/s")
    if metrics:
        metrics.close()
    if rank == 0:
        print(json.dumps({"iterations": it, "first": first, "last": last, "world_size": world,
                          "checkpoint": os.path.join(args.out, "checkpoints", f"iter_{it:08d}.pt")}))
    if distributed:
        dist.barrier()
        # Everything is written. Leave without tearing down the process group: gloo's teardown
        # at interpreter exit now and then aborts a rank ("terminate called without an active
        # exception", seen about once in ten 2-process CPU runs), which torchrun reports as a
        # failed job.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def init_from(state, body, head, dsa, say):
    """Loads a checkpoint's network (which must have this network's shape), and its head and
    agents when they have the shapes of this run's (same F and S)."""
    body.load_state_dict(state["model"])
    with torch.no_grad():
        w = (state.get("head") or {}).get("fc6.weight")
        if w is not None and w.shape == head.weight.shape:
            head.weight.copy_(w)
        else:
            say("train.py: --init: the head is initialised afresh (no fc6.weight of this run's shape)")
        a = (state.get("dsa") or {}).get("dsa.agents")
        if dsa is not None:
            if a is not None and a.shape == dsa.agents.shape:
                dsa.agents.copy_(a)
            else:
                say("train.py: --init: the DSA agents are initialised afresh (none of this run's shape)")


def agent_update(dsa, features, labels, distributed, mode, world):
    """The DSA agent update of the global batch, identical on every rank (see the module doc)."""
    if not distributed:
        return dsa.agent_update(features, labels)
    if mode == "allreduce":
        sums, counts = dsa.agent_statistics(features, labels)
        dist.all_reduce(sums)
        dist.all_reduce(counts)
        return DSALoss.agent_update_from(sums, counts)
    xs = [torch.empty_like(features) for _ in range(world)]
    ys = [torch.empty_like(labels) for _ in range(world)]
    dist.all_gather(xs, features.contiguous())
    dist.all_gather(ys, labels.contiguous())
    return dsa.agent_update(torch.cat(xs), torch.cat(ys))


def save(out, cfg, body, head, dsa, optimizer, it, F, S, rank, distributed):
    """Rank 0 writes the checkpoint; first every rank checks that its agents equal rank 0's."""
    if dsa is not None and distributed:
        reference = dsa.agents.clone()
        dist.broadcast(reference, 0)
        if not torch.equal(reference, dsa.agents):
            raise RuntimeError(f"iteration {it}: DSA agents differ between rank 0 and rank {dist.get_rank()}")
    if rank == 0:
        name = f"iter_{it:08d}.pt"
        checkpoint.save(os.path.join(out, "checkpoints", name), cfg, body, head, dsa, it, F, S, optimizer=optimizer)
        tmp = os.path.join(out, "checkpoint.json.part")
        with open(tmp, "w") as f:
            json.dump({"file": name, "iteration": it}, f)
        os.replace(tmp, os.path.join(out, "checkpoint.json"))
    if distributed:
        dist.barrier()


def run(argv=None):
    """main, with bad input (a list, a shard, a config, a checkpoint) as a one-line error."""
    try:
        main(argv)
    except (ValueError, OSError, KeyError, RuntimeError) as e:
        sys.exit(f"train.py: error: {(str(e).strip().splitlines() or [type(e).__name__])[0]}")


if __name__ == "__main__":
    run()
