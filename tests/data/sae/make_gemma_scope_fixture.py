#!/usr/bin/python3
"""Writes gemma_scope/params.npz as Gemma Scope releases it (np.savez: W_enc [d, n], W_dec [n, d],
b_enc [n], b_dec [d], threshold [n], float32) and gemma_scope_expected.safetensors: the JumpReLU outputs computed with numpy (f = pre * (pre > threshold), pre = x @ W_enc + b_enc,
x_hat = f @ W_dec + b_dec). Run from this directory."""
import os

import numpy as np

from make_saelens_fixtures import write_safetensors

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(9)
d, n = 6, 14
w = {
    "W_enc": rng.normal(0, 0.5, (d, n)).astype(np.float32),
    "W_dec": rng.normal(0, 0.3, (n, d)).astype(np.float32),
    "b_enc": rng.normal(0, 0.1, (n,)).astype(np.float32),
    "b_dec": rng.normal(0, 0.2, (d,)).astype(np.float32),
    "threshold": rng.uniform(0.05, 0.3, (n,)).astype(np.float32),
}
# np.savez_compressed output, which Gyrus refuses with a clear message.
os.makedirs(os.path.join(HERE, "gemma_scope_compressed"), exist_ok=True)
np.savez_compressed(os.path.join(HERE, "gemma_scope_compressed", "params.npz"), **w)
os.makedirs(os.path.join(HERE, "gemma_scope"), exist_ok=True)
np.savez(os.path.join(HERE, "gemma_scope", "params.npz"), **w)
x = rng.normal(0, 1.5, (9, d)).astype(np.float32)
pre = x.astype(np.float64) @ w["W_enc"] + w["b_enc"]
f = pre * (pre > w["threshold"])
x_hat = f @ w["W_dec"] + w["b_dec"]
write_safetensors(os.path.join(HERE, "gemma_scope_expected.safetensors"),
                  {"x": x, "features": f.astype(np.float32),
                   "reconstruction": x_hat.astype(np.float32)})
