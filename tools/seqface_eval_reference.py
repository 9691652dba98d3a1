#!/usr/bin/env python3
"""Reference figures for cross-checking `seqcurate eval` (written for seqcurate, numpy only).

SeqFace's published evaluate.py tries every pair's similarity as the threshold, in ascending
order, calls a pair "same" when similarity >= threshold, and keeps the first threshold whose
accuracy is strictly better than all before it (so the lowest threshold wins a tie). This
script implements that rule twice: literally (a loop over every pair's similarity, O(n^2)) and
vectorised with sorted arrays (O(n log n)); --self-test checks that they agree.

It also computes the 10-fold accuracy (threshold chosen on the other folds with the same rule),
the AUC (Mann-Whitney, ties count half) and, from features, the cosine similarities with
SeqFace's YTF video rule (sum of L2-normalised frames, L2-normalised again).

Usage:
  seqface_eval_reference.py --scores OUT/scores.txt          # scores written by seqcurate eval --out
  seqface_eval_reference.py --pairs P --features F.npy --keys K.txt --benchmark ytf [--scores-out S]
  seqface_eval_reference.py --self-test
Prints one JSON object.
"""
import argparse
import json
import sys

import numpy as np


def best_threshold_literal(sims, labels):
    """SeqFace's loop as a rule: every pair's similarity in ascending order (duplicates
    included), strict improvement only; O(n^2), the inner count done by numpy."""
    s = np.asarray(sims, dtype=np.float64)
    y = np.asarray(labels) == 1
    best_accuracy, best_thred = 0.0, 0.0
    for thred in sorted(sims):
        correct = int(np.count_nonzero((s >= thred) == y))
        accuracy = correct / len(sims)
        if accuracy > best_accuracy:
            best_accuracy, best_thred = accuracy, thred
    return best_accuracy, best_thred


def best_threshold(sims, labels):
    """The same rule with sorted arrays: accuracy at every distinct similarity, first maximum."""
    sims = np.asarray(sims, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    pos, neg = np.sort(sims[labels]), np.sort(sims[~labels])
    thresholds = np.unique(sims)  # ascending; equal similarities are one candidate
    tp = len(pos) - np.searchsorted(pos, thresholds, side="left")
    tn = np.searchsorted(neg, thresholds, side="left")
    accuracy = (tp + tn) / len(sims)
    i = int(np.argmax(accuracy))  # first maximum = lowest threshold
    return float(accuracy[i]), float(thresholds[i])


def accuracy_at(sims, labels, threshold):
    sims = np.asarray(sims, dtype=np.float64)
    labels = np.asarray(labels).astype(bool)
    return float(np.mean((sims >= threshold) == labels))


def kfold(sims, labels, folds):
    sims, labels, folds = np.asarray(sims), np.asarray(labels).astype(bool), np.asarray(folds)
    ids = np.unique(folds)
    if len(ids) < 2:
        return None, None
    accs = []
    for f in ids:
        train, test = folds != f, folds == f
        _, t = best_threshold(sims[train], labels[train])
        accs.append(accuracy_at(sims[test], labels[test], t))
    return float(np.mean(accs)), float(np.std(accs))


def auc(sims, labels):
    sims, labels = np.asarray(sims, dtype=np.float64), np.asarray(labels).astype(bool)
    pos, neg = sims[labels], np.sort(sims[~labels])
    if len(pos) == 0 or len(neg) == 0:
        return None
    below = np.searchsorted(neg, pos, side="left")
    equal = np.searchsorted(neg, pos, side="right") - below
    return float((below.sum() + 0.5 * equal.sum()) / (len(pos) * len(neg)))


def read_scores(path):
    sims, labels, folds = [], [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            sims.append(float(parts[0]))
            labels.append(int(parts[1]))
            folds.append(int(parts[2]))
    return sims, labels, folds


def read_pairs(path):
    """(key1, key2, label, fold) for the four published layouts."""
    lines = [l.rstrip("\r\n") for l in open(path)]
    lines = [l for l in lines if l.strip()]
    first = lines[0]
    out = []
    if "," in first:  # YTF splits.txt
        for l in lines:
            c = [x.strip() for x in l.split(",")]
            if not c[0].isdigit():
                continue
            out.append((c[2], c[3], int(c[4]), int(c[0])))
    elif len(first.split()) <= 2:  # LFW pairs.txt with header
        head = [int(x) for x in first.split()]
        per = head[-1]
        for i, l in enumerate(lines[1:]):
            f = l.split()
            key = lambda n, i: "%s/%s_%04d.jpg" % (n, n, int(i))
            if len(f) == 3:
                out.append((key(f[0], f[1]), key(f[0], f[2]), 1, i // (2 * per) + 1))
            else:
                out.append((key(f[0], f[1]), key(f[2], f[3]), 0, i // (2 * per) + 1))
    elif len(first.split()) == 5:  # SeqFace YTF
        for l in lines:
            f = l.split()
            out.append((f[2], f[3], int(f[4]), int(f[0])))
    else:  # SeqFace LFW
        n = len(lines)
        for i, l in enumerate(lines):
            f = l.split()
            out.append((f[0], f[1], int(f[2]), i * 10 // n + 1))
    return out


def similarities_from_features(pairs, features, keys, benchmark):
    feats = np.load(features).astype(np.float64)
    names = [k.strip() for k in open(keys) if k.strip()]
    assert len(names) == len(feats), "row count mismatch"
    unit = feats / np.linalg.norm(feats, axis=1, keepdims=True)
    if benchmark == "lfw":
        row = {k: i for i, k in enumerate(names)}
        vec = lambda k: unit[row[k]]
    else:
        video_rows = {}
        for i, k in enumerate(names):
            video_rows.setdefault(k.rsplit("/", 1)[0], []).append(i)
        cache = {}

        def vec(k):
            if k not in cache:
                v = unit[video_rows[k]].sum(axis=0)
                cache[k] = v / np.linalg.norm(v)
            return cache[k]
    sims = [float(np.dot(vec(a), vec(b)) / (np.linalg.norm(vec(a)) * np.linalg.norm(vec(b)))) for a, b, _, _ in pairs]
    return sims, [p[2] for p in pairs], [p[3] for p in pairs]


def figures(sims, labels, folds):
    acc, thr = best_threshold(sims, labels)
    mean, std = kfold(sims, labels, folds)
    return {"pairs": len(sims), "best_threshold_accuracy": acc, "best_threshold": thr,
            "kfold_mean": mean, "kfold_std": std, "auc": auc(sims, labels)}


def self_test():
    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(1, 60))
        sims = list(np.round(rng.random(n), int(rng.integers(1, 3))))  # coarse rounding makes ties
        labels = list(rng.integers(0, 2, n))
        lit, fast = best_threshold_literal(sims, labels), best_threshold(sims, labels)
        if lit[0] > 0:  # SeqFace keeps threshold 0.0 when every accuracy is 0
            assert abs(lit[0] - fast[0]) < 1e-12 and lit[1] == fast[1], (trial, lit, fast)
        else:
            assert fast[0] == 0.0
    return {"self_test": "ok", "trials": 200}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scores")
    ap.add_argument("--pairs")
    ap.add_argument("--features")
    ap.add_argument("--keys")
    ap.add_argument("--benchmark", choices=["lfw", "ytf"])
    ap.add_argument("--literal", action="store_true", help="also run the literal O(n^2) loop")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        print(json.dumps(self_test()))
        return
    if a.scores:
        sims, labels, folds = read_scores(a.scores)
    elif a.pairs and a.features and a.keys and a.benchmark:
        sims, labels, folds = similarities_from_features(read_pairs(a.pairs), a.features, a.keys, a.benchmark)
    else:
        ap.error("give --scores, or --pairs --features --keys --benchmark, or --self-test")
    out = figures(sims, labels, folds)
    if a.literal:
        out["best_threshold_accuracy_literal"], out["best_threshold_literal"] = best_threshold_literal(sims, labels)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
