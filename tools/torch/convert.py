#!/usr/bin/env python3
"""Converts checkpoints between train.py (PyTorch) and seqcurate.

  convert.py to-model CKPT.pt --out MODEL/         a train.py checkpoint (or a FaceResNet
                                                  state_dict) -> a seqcurate model folder for
                                                  `seqcurate features --model` / `eval --model`
  convert.py from-run RUN/ --out CKPT.pt [--weights FILE]
                                                  a seqcurate train run (its last good
                                                  checkpoint, or FILE) -> a train.py checkpoint
                                                  (network state_dict, head, agents, config)

The parameter names are the same on both sides (conv1_1.weight, relu1_1.slope, ..., fc5.bias),
so the weights are copied unchanged; features agree within float rounding (tests/test_convert.py).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from seqface_torch import checkpoint  # noqa: E402


def to_model(args):
    state = checkpoint.load(args.checkpoint)
    cfg, net = checkpoint.model_from(state)
    source = {"converted_from": os.path.abspath(args.checkpoint), "converter": "tools/torch/convert.py to-model",
              "iteration": str(state.get("iteration", 0))}
    checkpoint.write_model_folder(args.out, cfg, net.state_dict(), source)
    print(f"{args.out}: model folder ({sum(v.numel() for v in net.state_dict().values())} weights, "
          f"iteration {state.get('iteration', 0)})")


def from_run(args):
    state = checkpoint.run_to_state(args.run, args.weights)
    import torch
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".part"
    torch.save(state, tmp)
    os.replace(tmp, args.out)
    print(f"{args.out}: train.py checkpoint of {args.run} (iteration {state['iteration']})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("to-model", help="train.py checkpoint -> seqcurate model folder")
    a.add_argument("checkpoint")
    a.add_argument("--out", required=True)
    a.set_defaults(func=to_model)
    b = sub.add_parser("from-run", help="seqcurate train run -> train.py checkpoint")
    b.add_argument("run")
    b.add_argument("--out", required=True)
    b.add_argument("--weights", help="a checkpoint weights file of the run (default: its last good one)")
    b.set_defaults(func=from_run)
    args = ap.parse_args(argv)
    try:
        args.func(args)
    except (ValueError, OSError, RuntimeError, KeyError) as e:
        sys.exit(f"convert.py: error: {e}")


if __name__ == "__main__":
    main()
