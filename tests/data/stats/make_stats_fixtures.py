#!/usr/bin/python3
"""Generates the reference fixtures of the statistics tests (tests/gpu/tst_contrasts.cpp,
tst_rdm_compute.cpp, tst_rsa_compare.cpp, tst_stats_cli.cpp) from independent implementations:
scipy.stats (ttest_ind with equal_var=False, ttest_rel, spearmanr, pearsonr), scipy.spatial.distance
.pdist, numpy Benjamini-Hochberg, and direct loops for crossnobis and Kendall's tau-a.

Run with Debian's /usr/bin/python3 (numpy, scipy, h5py):
    /usr/bin/python3 tests/data/stats/make_stats_fixtures.py
Writes stats_reference.h5, cli_input.h5 and cli_bad.h5 next to this script.
"""
import os

import h5py
import numpy as np
from scipy import stats
from scipy.spatial.distance import pdist

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261124)


def bh(p):
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def cohen_d(a, b):
    na, nb = len(a), len(b)
    sp = np.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
    return (a.mean() - b.mean()) / sp


def welch_df(a, b):
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    return (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))


def kendall_tau_a(x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    s = 0.0
    # Row blocks keep the n x n sign matrices small.
    for start in range(0, n, 256):
        sx = np.sign(x[start:start + 256, None] - x[None, :])
        sy = np.sign(y[start:start + 256, None] - y[None, :])
        s += (sx * sy).sum()
    return s / 2.0 / (n * (n - 1) / 2.0)


def crossnobis(parts, variance=None):
    parts = np.asarray(parts, dtype=np.float64)
    m, n, f = parts.shape
    if variance is not None:
        parts = parts / np.sqrt(variance)[None, None, :]
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            total = 0.0
            for a in range(m):
                for b in range(m):
                    if a != b:
                        total += np.dot(parts[a, i] - parts[a, j], parts[b, i] - parts[b, j])
            out.append(total / (m * (m - 1) * f))
    return np.array(out)


with h5py.File(os.path.join(HERE, "stats_reference.h5"), "w") as h:
    # --- two-group Welch contrast, with a constant feature and a one-group-constant feature ---
    n_a, n_b, f = 18, 22, 30
    x = rng.normal(size=(n_a + n_b, f)) * rng.uniform(0.5, 3.0, size=f) + 5.0
    labels = np.array([1] * n_a + [0] * n_b)
    rng.shuffle(labels)
    x[:, :6] += 0.9 * labels[:, None]  # some real effects so p spans the range
    x[:, 7] = 2.5                      # constant in both groups: t undefined
    x[labels == 1, 8] = 1.25           # constant in one group only: Welch still defined
    x = x.astype(np.float32)
    xd = x.astype(np.float64)
    a, b = xd[labels == 1], xd[labels == 0]
    t, p = stats.ttest_ind(a, b, equal_var=False)
    t, p = np.array(t), np.array(p)
    df = np.array([welch_df(a[:, j], b[:, j]) if j != 7 else n_a + n_b - 2 for j in range(f)])
    d = np.array([cohen_d(a[:, j], b[:, j]) if j != 7 else 0.0 for j in range(f)])
    t[7], p[7] = 0.0, 1.0
    g = d * (1 - 3 / (4 * (n_a + n_b - 2) - 1))
    grp = h.create_group("contrast")
    grp["x"] = x
    grp["labels"] = labels.astype(np.int32)
    for name, value in dict(t=t, p=p, df=df, d=d, g=g, q=bh(p),
                            mean_diff=a.mean(0) - b.mean(0)).items():
        grp[name] = value

    # --- paired t (minimal pairs: item k in A with item k + n in B) ---
    n, f = 15, 12
    base = rng.normal(size=(n, f)) * 2.0
    xa = base + rng.normal(size=(n, f)) * 0.5 + 0.3
    xb = base + rng.normal(size=(n, f)) * 0.5
    xp = np.vstack([xa, xb]).astype(np.float32)
    tp, pp = stats.ttest_rel(xp[:n].astype(np.float64), xp[n:].astype(np.float64))
    grp = h.create_group("paired")
    grp["x"] = xp
    grp["labels"] = np.array([1] * n + [0] * n, dtype=np.int32)
    grp["t"], grp["p"] = tp, pp

    # --- 2 x 2 contrasts (unequal cells), Welch-type contrast of cell means ---
    counts = [7, 9, 8, 10]
    f = 16
    rows, la, lb = [], [], []
    effects = rng.normal(size=(4, f))
    for cell, c in enumerate(counts):
        rows.append(rng.normal(size=(c, f)) * rng.uniform(0.5, 2.0) + effects[cell])
        la += [cell // 2] * c
        lb += [cell % 2] * c
    xf = np.vstack(rows).astype(np.float32)
    la, lb = np.array(la), np.array(lb)
    perm = rng.permutation(len(la))
    xf, la, lb = xf[perm], la[perm], lb[perm]
    grp = h.create_group("factorial")
    grp["x"], grp["levels_a"], grp["levels_b"] = xf, (la * 3 + 1).astype(np.int32), (lb * 5 - 2).astype(np.int32)
    xfd = xf.astype(np.float64)
    cells = [xfd[(la == k // 2) & (lb == k % 2)] for k in range(4)]
    means = np.array([c.mean(0) for c in cells])
    var = np.array([c.var(0, ddof=1) for c in cells])
    ns = np.array([len(c) for c in cells], dtype=np.float64)
    n_total = ns.sum()
    sp = np.sqrt(((ns[:, None] - 1) * var).sum(0) / (n_total - 4))
    for name, w in dict(main_a=[-.5, -.5, .5, .5], main_b=[-.5, .5, -.5, .5],
                        interaction=[1, -1, -1, 1]).items():
        w = np.array(w)[:, None]
        est = (w * means).sum(0)
        terms = w ** 2 * var / ns[:, None]
        se2 = terms.sum(0)
        dfc = se2 ** 2 / (terms ** 2 / (ns[:, None] - 1)).sum(0)
        tc = est / np.sqrt(se2)
        sub = grp.create_group(name)
        sub["t"], sub["df"] = tc, dfc
        sub["p"] = 2 * stats.t.sf(np.abs(tc), dfc)
        sub["d"] = est / sp
        sub["g"] = est / sp * (1 - 3 / (4 * (n_total - 4) - 1))

    # --- Benjamini-Hochberg with ties ---
    pv = rng.uniform(size=60) ** 2
    pv[10] = pv[11] = pv[12]
    pv[20] = 1.0
    grp = h.create_group("bh")
    grp["p"], grp["q"] = pv, bh(pv)

    # --- RDMs (scipy pdist), weights and a subset ---
    xr = (rng.normal(size=(25, 40)) + rng.normal(size=(1, 40)) * 2).astype(np.float32)
    w = rng.uniform(0.1, 2.0, size=40)
    subset = np.array([3, 17, 5, 0, 39, 22, 8, 11, 30, 2])
    grp = h.create_group("rdm")
    grp["x"], grp["weights"], grp["subset"] = xr, w.astype(np.float32), subset.astype(np.int64)
    xrd = xr.astype(np.float64)
    wf = w.astype(np.float32).astype(np.float64)
    for metric in ["correlation", "cosine", "euclidean", "sqeuclidean"]:
        grp[metric] = pdist(xrd, metric)
        grp[metric + "_weighted"] = pdist(xrd, metric, w=wf)
        grp[metric + "_subset"] = pdist(xrd[:, subset], metric)

    # --- crossnobis: direct loop over partitions and pairs ---
    m, n, f = 3, 12, 30
    true = rng.normal(size=(n, f))
    parts = (true[None] + rng.normal(size=(m, n, f)) * rng.uniform(0.5, 2.0, size=f)).astype(np.float32)
    grp = h.create_group("crossnobis")
    grp["partitions"] = parts
    pd = parts.astype(np.float64)
    grp["identity"] = crossnobis(pd)
    resid = pd - pd.mean(0, keepdims=True)
    sigma2 = (resid ** 2).sum((0, 1)) / (n * (m - 1))
    lam = 0.4
    grp["diagonal_0.4"] = crossnobis(pd, (1 - lam) * sigma2 + lam * sigma2.mean())

    # --- RDM comparisons ---
    n = 30
    ya = rng.normal(size=(n, 20))
    yb = ya[:, :10] + rng.normal(size=(n, 10)) * 1.5
    ra = pdist(ya, "correlation").astype(np.float32)
    rb = pdist(yb, "euclidean").astype(np.float32)
    levels = np.arange(n) % 3
    model = pdist(levels[:, None], lambda u, v: float(u[0] != v[0])).astype(np.float32)
    grp = h.create_group("rsa")
    grp["a"], grp["b"], grp["model"], grp["levels"] = ra, rb, model, levels.astype(np.int32)
    ra64, rb64, model64 = ra.astype(np.float64), rb.astype(np.float64), model.astype(np.float64)
    grp["spearman"] = stats.spearmanr(ra64, rb64).correlation
    grp["pearson"] = stats.pearsonr(ra64, rb64)[0]
    grp["kendall_tau_a"] = kendall_tau_a(ra64, rb64)
    # With ties (the model RDM has two values): scipy's average ranks; tau-a counts ties as 0.
    grp["model_spearman"] = stats.spearmanr(model64, ra64).correlation
    grp["model_kendall_tau_a"] = kendall_tau_a(model64, ra64)
    grp["model_pearson"] = stats.pearsonr(model64, ra64)[0]

with h5py.File(os.path.join(HERE, "cli_input.h5"), "w") as h:
    n_a, n_b, f = 12, 14, 9
    x = rng.normal(size=(n_a + n_b, f)).astype(np.float32)
    labels = np.array([1] * n_a + [0] * n_b, dtype=np.int32)
    x[:n_a, :3] += 1.5
    h["x"], h["labels"] = x, labels
    h.create_dataset("ids", data=np.array(["s%02d" % i for i in range(n_a + n_b)], dtype=object),
                     dtype=h5py.string_dtype())
    t, p = stats.ttest_ind(x[labels == 1].astype(np.float64), x[labels == 0].astype(np.float64),
                           equal_var=False)
    h["expected_t"], h["expected_p"], h["expected_q"] = t, p, bh(p)
    h["expected_correlation"] = pdist(x.astype(np.float64), "correlation")
    h["labels3"] = (np.arange(n_a + n_b) % 3).astype(np.int32)
    h["x3d"] = np.zeros((2, 3, 4), dtype=np.float32)

with h5py.File(os.path.join(HERE, "cli_bad.h5"), "w") as h:
    x = rng.normal(size=(10, 5)).astype(np.float32)
    x[3, 2] = np.nan
    h["x"], h["labels"] = x, np.array([0, 1] * 5, dtype=np.int32)
