#!/usr/bin/python3
"""The numpy peer of bench_feature_rsa_map: the same per-feature scores, vectorised over features
the way an analysis script would (item pairs × features distance matrix, chunked), timed in the
same run.

    numpy_peer.py MATRIX.f32 ITEMS FEATURES SCORES.f64

MATRIX.f32 holds ITEMS × FEATURES float32 (row-major); items alternate between the two
conditions (label = item % 2). Writes discriminative then categorical RSA (float64, FEATURES
each) to SCORES.f64 and prints one JSON object with the seconds.
"""
import json
import sys
import time

import numpy as np

path, items, features, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
x = np.fromfile(path, dtype=np.float32).reshape(items, features).astype(np.float64)
labels = np.arange(items) % 2
i, j = np.triu_indices(items, 1)
between = (labels[i] != labels[j]).astype(np.float64)
within_a = ((labels[i] == labels[j]) & (labels[i] == 0)).astype(np.float64)
within_b = ((labels[i] == labels[j]) & (labels[i] == 1)).astype(np.float64)
within = within_a + within_b

start = time.perf_counter()
chunk = max(1, (1 << 26) // len(i))
disc = np.empty(features)
cat = np.empty(features)
mc = between - between.mean()
n_between, n_within = between.sum(), within.sum()
for begin in range(0, features, chunk):
    block = x[:, begin:begin + chunk]
    d = np.abs(block[i] - block[j])
    dc = d - d.mean(0)
    denominator = np.sqrt((dc ** 2).sum(0) * (mc ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        disc[begin:begin + chunk] = np.where(denominator > 0, (dc * mc[:, None]).sum(0) / denominator, 0)
    mean_between = (d * between[:, None]).sum(0) / n_between
    mean_within = 0.5 * ((d * within_a[:, None]).sum(0) / within_a.sum() + (d * within_b[:, None]).sum(0) / within_b.sum())
    var_between = (((d - mean_between) ** 2) * between[:, None]).sum(0) / (n_between - 1)
    all_within = (d * within[:, None]).sum(0) / n_within
    var_within = (((d - all_within) ** 2) * within[:, None]).sum(0) / (n_within - 1)
    pooled = np.sqrt(((n_between - 1) * var_between + (n_within - 1) * var_within) / (n_between + n_within - 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        cat[begin:begin + chunk] = np.where(pooled > 0, (mean_between - mean_within) / pooled, 0)
seconds = time.perf_counter() - start
np.concatenate([disc, cat]).tofile(out)
print(json.dumps({"seconds": seconds, "numpy": np.__version__}))
