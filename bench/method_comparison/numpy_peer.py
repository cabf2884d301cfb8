#!/usr/bin/python3
"""The method comparison's procedure in plain numpy (float64), written from its definition
(gpu/analysis/method_comparison.h, feature_selection.h), for bench_method_comparison: the same
splits (read from the bench), per fold the four pooled selection scores from the item-pair
distances as defined, the k best features, an L2 logistic regression by Newton's method on the
standardised training fold, then balanced accuracy and AUC per split.

usage: numpy_peer.py X.f32 ROWS COLS SPLITS.i64 SPLIT_COUNT K L2 OUT.f64
SPLITS.i64 holds, per split, the labels [ROWS] then the folds [ROWS]. OUT.f64 gets, per split and
method (mean-difference, univariate, pooled-separation-r, pooled-separation-d), the balanced
accuracy and the AUC. Prints {"seconds": ..., "numpy": version} on stdout.
"""
import json
import sys
import time

import numpy as np


def pooled_scores(x, y):
    a, b = x[y == 0], x[y == 1]
    na, nb = len(a), len(b)
    ma, mb = a.mean(0), b.mean(0)
    va, vb = a.var(0, ddof=1), b.var(0, ddof=1)
    constant_a = a.max(0) == a.min(0)
    constant_b = b.max(0) == b.min(0)
    mean_difference = np.abs(ma - mb)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ma - mb) / np.sqrt(va / na + vb / nb)
    univariate = np.where(constant_a & constant_b, 0.0, np.abs(t))
    i, j = np.triu_indices(len(x), 1)
    d = np.abs(x[i] - x[j])
    between = y[i] != y[j]
    within_a = (y[i] == 0) & (y[j] == 0)
    within_b = (y[i] == 1) & (y[j] == 1)
    m = between.astype(np.float64)
    dc = d - d.mean(0)
    mc = m - m.mean()
    constant = x.max(0) == x.min(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (dc * mc[:, None]).sum(0) / np.sqrt((dc ** 2).sum(0) * (mc ** 2).sum())
        within = ~between
        pooled = np.sqrt(((between.sum() - 1) * d[between].var(0, ddof=1)
                          + (within.sum() - 1) * d[within].var(0, ddof=1)) / (len(d) - 2))
        separation = (d[between].mean(0) - 0.5 * (d[within_a].mean(0) + d[within_b].mean(0))) / pooled
    r = np.where(constant, 0.0, r)
    separation = np.where(constant, 0.0, separation)
    return [mean_difference, univariate, r, separation]


def top_k(score, k):
    return np.argsort(-score, kind="stable")[:k]


def fit_logistic(design, y, l2):
    p = design.shape[1]
    penalty = np.eye(p) * l2
    penalty[0, 0] = 0.0
    w = np.zeros(p)
    for _ in range(50):
        prob = 1.0 / (1.0 + np.exp(-design @ w))
        gradient = design.T @ (prob - y) + penalty @ w
        hessian = design.T @ (design * (prob * (1 - prob))[:, None]) + penalty + np.eye(p) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        w = w - step
        if np.abs(step).max() < 1e-10:
            break
    return w


def balanced_accuracy(prob, y):
    hit = (prob >= 0.5) == (y == 1)
    return 0.5 * (hit[y == 0].mean() + hit[y == 1].mean())


def auc(prob, y):
    pos, neg = prob[y == 1], prob[y == 0]
    return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg))


def main():
    path, rows, cols, splits_path, count, k, l2, out = sys.argv[1:9]
    rows, cols, count, k, l2 = int(rows), int(cols), int(count), int(k), float(l2)
    x = np.fromfile(path, dtype=np.float32).reshape(rows, cols).astype(np.float64)
    splits = np.fromfile(splits_path, dtype=np.int64).reshape(count, 2, rows)
    start = time.perf_counter()
    results = []
    for labels, folds in splits:
        probability = np.full((4, rows), 0.5)
        for f in range(folds.max() + 1):
            train, test = folds != f, folds == f
            xt, yt = x[train], labels[train].astype(np.float64)
            for method, score in enumerate(pooled_scores(xt, labels[train])):
                chosen = top_k(score, k)
                mean = xt[:, chosen].mean(0)
                sd = np.maximum(xt[:, chosen].std(0, ddof=1), 1e-12)
                design = np.hstack([np.ones((len(xt), 1)), (xt[:, chosen] - mean) / sd])
                w = fit_logistic(design, yt, l2)
                held = np.hstack([np.ones((test.sum(), 1)), (x[test][:, chosen] - mean) / sd])
                probability[method, test] = 1.0 / (1.0 + np.exp(-held @ w))
        for method in range(4):
            results += [balanced_accuracy(probability[method], labels),
                        auc(probability[method], labels)]
    seconds = time.perf_counter() - start
    np.asarray(results, dtype=np.float64).tofile(out)
    print(json.dumps({"seconds": seconds, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
