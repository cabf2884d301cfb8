#!/usr/bin/python3
"""The scipy peer of bench_rsa: the same two jobs, timed in the same run on the same machine.

    scipy_peer.py N_RDM FEATURES N_RSA PERMUTATIONS MEASURED_PERMUTATIONS

1. pdist(X, 'correlation') for X [N_RDM, FEATURES] float32 (scipy works in float64).
2. Spearman RSA of two N_RSA-item RDMs with PERMUTATIONS item-label permutations, written the
   way an analysis script does it: spearmanr per permutation of the second RDM's rows and
   columns. Only MEASURED_PERMUTATIONS are run; the time is extrapolated linearly (each
   permutation costs the same), and the JSON says so.
Prints one JSON object.
"""
import json
import sys
import time

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import spearmanr

n_rdm, features, n_rsa, permutations, measured = (int(v) for v in sys.argv[1:6])
rng = np.random.default_rng(0)

x = rng.standard_normal((n_rdm, features), dtype=np.float32)
start = time.perf_counter()
rdm = pdist(x, "correlation")
rdm_seconds = time.perf_counter() - start
del x, rdm

a = pdist(rng.standard_normal((n_rsa, 64)), "correlation")
b = squareform(pdist(rng.standard_normal((n_rsa, 64)), "euclidean"))
upper = np.triu_indices(n_rsa, 1)
start = time.perf_counter()
observed = spearmanr(a, b[upper]).correlation
exceed = 0
for _ in range(measured):
    perm = rng.permutation(n_rsa)
    exceed += spearmanr(a, b[perm][:, perm][upper]).correlation >= observed
rsa_measured_seconds = time.perf_counter() - start

print(json.dumps({
    "rdm_seconds": rdm_seconds,
    "rsa_measured_seconds": rsa_measured_seconds,
    "rsa_measured_permutations": measured,
    "rsa_seconds_extrapolated": rsa_measured_seconds * permutations / max(measured, 1),
}))
