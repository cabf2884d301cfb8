#!/usr/bin/python3
"""Temporal per-feature RSA (discriminative model) in vectorised numpy/scipy, for
bench_temporal_rsa: per batch of features, every item pair's Pearson correlation over the
positions both items have (einsum of the masked, centred time courses), the distance rounded to
12 decimals, average ranks over the defined pairs (scipy.stats.rankdata), then Spearman's rho with
the between/within model. Undefined pairs (constant time courses, fewer than 3 common positions)
are left out, as in gpu/analysis/temporal_rsa.h (constant: variance below 1e-12 of the sum of
squares about the item's own mean).

usage: numpy_peer.py X.f32 MASK.u8 LABELS.i64 ITEMS POSITIONS FEATURES OUT.f64
Prints {"seconds": ..., "numpy": version} on stdout.
"""
import json
import sys
import time

import numpy as np
from scipy import stats


def main():
    x_path, mask_path, labels_path, items, positions, features, out = sys.argv[1:8]
    n, t, f = int(items), int(positions), int(features)
    x = np.fromfile(x_path, dtype=np.float32).reshape(n, t, f)
    mask = np.fromfile(mask_path, dtype=np.uint8).reshape(n, t).astype(np.float64)
    labels = np.fromfile(labels_path, dtype=np.int64)
    start = time.perf_counter()
    first, second = np.triu_indices(n, 1)
    model = (labels[first] != labels[second]).astype(np.float64)
    common = mask @ mask.T
    pair_common = common[first, second]
    lengths = np.maximum(mask.sum(1), 1)
    scores = np.zeros(f)
    for begin in range(0, f, 256):
        xb = np.transpose(x[:, :, begin:begin + 256], (2, 0, 1)).astype(np.float64)
        masked = xb * mask
        centred = (xb - masked.sum(2, keepdims=True) / lengths[None, :, None]) * mask
        sums = centred @ mask.T
        squares = (centred * centred) @ mask.T
        products = np.einsum("fit,fjt->fij", centred, centred)
        si, sj = sums[:, first, second], sums[:, second, first]
        with np.errstate(divide="ignore", invalid="ignore"):
            cov = products[:, first, second] - si * sj / pair_common
            vi = squares[:, first, second] - si * si / pair_common
            vj = squares[:, second, first] - sj * sj / pair_common
            r = np.clip(cov / np.sqrt(vi * vj), -1, 1)
        defined = ((pair_common >= 3)[None, :] & (vi > 1e-12 * squares[:, first, second])
                   & (vj > 1e-12 * squares[:, second, first]))
        distance = np.round(1 - r, 12)
        for k in range(xb.shape[0]):
            d = distance[k, defined[k]]
            m = model[defined[k]]
            if len(d) < 2 or m.min() == m.max() or d.min() == d.max():
                continue
            ranks = stats.rankdata(d)
            scores[begin + k] = np.corrcoef(ranks, m)[0, 1]
    seconds = time.perf_counter() - start
    scores.tofile(out)
    print(json.dumps({"seconds": seconds, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
