#!/usr/bin/python3
"""Reference scores for tests/gpu/tst_temporal_rsa.cpp, written from the definition in
gpu/analysis/temporal_rsa.h with numpy and scipy (no code shared with Gyrus): for each feature,
every item pair i < j is compared over the positions both items have; a pair with fewer than 3
common positions, or where either time course is constant there, is left out; the distance is
1 - scipy.stats.pearsonr, rounded to 12 decimals; the score is scipy.stats.spearmanr between
those distances and the model (discriminative: 1 between conditions, 0 within; categorical: the
pairs within a condition only, 1 within B, 0 within A), 0 when undefined.

Also the original project's formula (seed_pipeline.md §8.3) transcribed from its description:
np.corrcoef of the stacked [N1 + N2, T] time courses, z = arctanh(1 - clip(r, -.999, .999)) with
non-finite values dropped, a Student t-test (scipy.stats.ttest_ind) of z(W1) against z(X12)
(discriminative) or z(W2) (categorical), 0 for a constant feature or a NaN anywhere in the
correlation matrix, then the z-score over features (population SD).

Run with Debian's /usr/bin/python3 (numpy, scipy, h5py):
    /usr/bin/python3 tests/data/stats/make_temporal_rsa_fixture.py
Writes temporal_rsa_reference.h5 next to this script.
"""
import os

import h5py
import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261205)


def temporal_scores(x, mask, labels, categorical, min_positions=3):
    items, _, features = x.shape
    scores = np.zeros(features)
    used = np.zeros(features, dtype=np.int64)
    for f in range(features):
        distances, model = [], []
        for i in range(items):
            for j in range(i + 1, items):
                if categorical and labels[i] != labels[j]:
                    continue
                common = mask[i] & mask[j]
                if common.sum() < min_positions:
                    continue
                a = x[i, common, f].astype(np.float64)
                b = x[j, common, f].astype(np.float64)
                if np.ptp(a) == 0 or np.ptp(b) == 0:
                    continue
                distances.append(np.round(1.0 - stats.pearsonr(a, b)[0], 12))
                if categorical:
                    model.append(1.0 if labels[i] == 1 else 0.0)
                else:
                    model.append(1.0 if labels[i] != labels[j] else 0.0)
        used[f] = len(distances)
        if len(distances) >= 2 and 0 < sum(model) < len(model) and np.ptp(distances) > 0:
            rho = stats.spearmanr(distances, model)[0]
            scores[f] = 0.0 if np.isnan(rho) else rho
    return scores, used


def seed_scores(x, labels, categorical):
    """part3e's compute_discriminative_rsa / compute_categorical_rsa, as the spec describes it."""
    first = x[labels == 0]
    second = x[labels == 1]
    n1 = len(first)
    t_values = np.zeros(x.shape[2])

    def z(r):
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.arctanh(1 - np.clip(r, -0.999, 0.999))
        return values[np.isfinite(values)]

    for f in range(x.shape[2]):
        q = np.vstack([first[:, :, f], second[:, :, f]]).astype(np.float64)
        if np.std(q) < 1e-9:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.corrcoef(q)
        if np.isnan(r).any():
            continue
        w1 = r[:n1, :n1][np.triu_indices(n1, 1)]
        w2 = r[n1:, n1:][np.triu_indices(len(q) - n1, 1)]
        x12 = r[:n1, n1:].flatten()
        other = w2 if categorical else x12
        with np.errstate(divide="ignore", invalid="ignore"):
            t = stats.ttest_ind(z(w1), z(other)).statistic
        t_values[f] = t if np.isfinite(t) else 0.0
    sd = t_values.std()
    return (t_values - t_values.mean()) / sd if sd > 1e-9 else t_values


def random_case():
    items, positions, features = 22, 9, 14
    labels = np.array([0] * 10 + [1] * 12)
    x = rng.normal(size=(items, positions, features)).astype(np.float32)
    x[:, :, 3] = np.round(x[:, :, 3])  # ties in the time courses, hence in the distances
    x[:, :, 4] = 0.0  # a dead feature: every pattern constant
    x[:, :, 5] = np.maximum(x[:, :, 5], 0.0) * (rng.random((items, 1)) < 0.5)  # sparse
    x[:, :, 6] += np.where(labels == 0, 1.0, -1.0)[:, None] * np.sin(np.arange(positions))[None, :]
    x[3, :, 7] = 2.5  # one constant item in feature 7
    lengths = rng.integers(4, positions + 1, size=items)
    lengths[5] = 2  # too short to correlate: left out everywhere
    mask = np.arange(positions)[None, :] < lengths[:, None]
    x[~mask] = 0.0
    return x, mask, labels


def seed_case():
    # The seed's windows are never masked: every item has all positions (zero-padded upstream).
    items, positions, features = 16, 12, 10
    labels = np.array([0] * 8 + [1] * 8)
    x = rng.gamma(1.0, 1.0, size=(items, positions, features)).astype(np.float32)
    x[:, :, 2] = 0.0
    x[:, 6:, 3] = 0.0  # padded tail, as in the seed's left-first window
    x[:, :, 4] += np.where(labels == 0, 2.0, 0.0)[:, None] * np.cos(np.arange(positions))[None, :]
    return x, labels


def main():
    with h5py.File(os.path.join(HERE, "temporal_rsa_reference.h5"), "w") as out:
        x, mask, labels = random_case()
        group = out.create_group("random")
        group["X"] = x
        group["mask"] = mask.astype(np.int32)
        group["labels"] = labels.astype(np.int32)
        for name, categorical in (("discriminative", False), ("categorical", True)):
            scores, used = temporal_scores(x, mask, labels, categorical)
            group[name] = scores
            group[name + "_pairs"] = used
        x, labels = seed_case()
        group = out.create_group("seed")
        group["X"] = x
        group["labels"] = labels.astype(np.int32)
        group["discriminative"] = seed_scores(x, labels, False)
        group["categorical"] = seed_scores(x, labels, True)


if __name__ == "__main__":
    main()
