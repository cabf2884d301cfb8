#!/usr/bin/python3
"""Writes small SAELens-layout SAE directories and the expected outputs of their inference
functions, computed with numpy from the SAELens formulas (sae_sota.md §4.2):

  standard: f = ReLU((x - b_dec*apply_b_dec_to_input) @ W_enc + b_enc)
  jumprelu: pre = (x - b_dec*apply) @ W_enc + b_enc; f = pre * (pre > threshold)
  topk:     f = top-k of ReLU(pre) per row
  x_hat = f @ W_dec + b_dec
  normalize_activations = expected_average_only_in: SAELens multiplies x by scaling_factor before
  encoding and divides x_hat by it after decoding.

Run from this directory: /usr/bin/python3 make_saelens_fixtures.py
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    offset = 0
    for name, array in tensors.items():
        dtype = {np.dtype("float32"): "F32", np.dtype("float16"): "F16"}[array.dtype]
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def encode(arch, w, x, apply_b_dec, k=None):
    xin = x - w["b_dec"] if apply_b_dec else x
    pre = xin.astype(np.float64) @ w["W_enc"].astype(np.float64) + w["b_enc"]
    if arch == "standard":
        return np.maximum(pre, 0)
    if arch == "jumprelu":
        return pre * (pre > w["threshold"])
    r = np.maximum(pre, 0)
    out = np.zeros_like(r)
    idx = np.argsort(-r, axis=1)[:, :k]
    np.put_along_axis(out, idx, np.take_along_axis(r, idx, axis=1), axis=1)
    return out


def make(name, arch, cfg, d_in, d_sae, apply_b_dec, seed, k=None, scale=None, dtype="float32"):
    rng = np.random.default_rng(seed)
    w = {
        "W_enc": rng.normal(0, 0.4, (d_in, d_sae)).astype(dtype),
        "b_enc": rng.normal(0, 0.1, (d_sae,)).astype(dtype),
        "W_dec": rng.normal(0, 0.3, (d_sae, d_in)).astype(dtype),
        "b_dec": rng.normal(0, 0.2, (d_in,)).astype(dtype),
    }
    if arch == "jumprelu":
        w["threshold"] = rng.uniform(0.05, 0.4, (d_sae,)).astype(dtype)
    directory = os.path.join(HERE, name)
    os.makedirs(directory, exist_ok=True)
    write_safetensors(os.path.join(directory, "sae_weights.safetensors"), w)
    with open(os.path.join(directory, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if scale is not None:
        with open(os.path.join(directory, "activation_scaler.json"), "w") as f:
            json.dump({"scaling_factor": scale}, f)
    x = rng.normal(0, 1.5, (10, d_in)).astype(np.float32)
    w64 = {key: value.astype(np.float64) for key, value in w.items()}
    xs = x.astype(np.float64) * (scale or 1.0)
    f = encode(arch, w64, xs, apply_b_dec, k)
    x_hat = (f @ w64["W_dec"] + w64["b_dec"]) / (scale or 1.0)
    write_safetensors(os.path.join(HERE, name + "_expected.safetensors"),
                      {"x": x, "features": f.astype(np.float32),
                       "reconstruction": x_hat.astype(np.float32)})


def main():
    # SAELens v6, JumpReLU as Gemma Scope conversions are (no b_dec subtraction), fp16 weights.
    make("saelens_jumprelu", "jumprelu", {
        "architecture": "jumprelu", "d_in": 8, "d_sae": 24, "dtype": "float16", "device": "cpu",
        "apply_b_dec_to_input": False, "normalize_activations": "none",
        "reshape_activations": "none",
        "metadata": {"sae_lens_version": "6.18.0", "model_name": "gemma-2-2b",
                     "hook_name": "blocks.12.hook_resid_post", "hook_head_index": None}},
        8, 24, False, 1, dtype="float16")
    # Pre-6 config: no architecture (standard), hook_point, boolean normalisation with a scaler file.
    make("saelens_standard_v5", "standard", {
        "d_in": 6, "d_sae": 16, "dtype": "float32", "device": "cpu", "hook_point": "blocks.0.hook_mlp_out",
        "model_name": "gelu-1l", "apply_b_dec_to_input": True, "normalize_activations": True,
        "sae_lens_training_version": "3.12.0"},
        6, 16, True, 2, scale=2.5)
    # SAELens v6 TopK.
    make("saelens_topk", "topk", {
        "architecture": "topk", "d_in": 8, "d_sae": 20, "k": 3, "dtype": "float32",
        "device": "cpu", "apply_b_dec_to_input": True, "normalize_activations": "none",
        "rescale_acts_by_decoder_norm": False, "reshape_activations": "none",
        "metadata": {"sae_lens_version": "6.5.0", "hook_name": "blocks.3.hook_resid_pre"}},
        8, 20, True, 3, k=3)


if __name__ == "__main__":
    main()
