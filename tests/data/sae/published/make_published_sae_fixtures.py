#!/usr/bin/python3
"""Writes one tiny SAE in each published layout Gyrus loads, and what it must compute.

Every directory below is written here with numpy, struct and json only (no Gyrus code), in the
layout its release uses. expected/<name>.safetensors holds a batch of activations `x` (float32)
and the `features` and `reconstruction` a float64 numpy implementation of the release's
documented inference function gives for it (stored as float32). The formulas, with their sources:

SAELens (sae_lens/saes/{sae,standard_sae,topk_sae,jumprelu_sae}.py, loading/pretrained_sae_loaders.py;
shared/reference/sae_sota.md §4.2, model_families.md §0.3 and §8):
  x' = x − mean_d(x)            if model_from_pretrained_kwargs.center_writing_weights (the SAE
                                 was trained on TransformerLens-centred residuals)
  normalize_activations:
    constant_norm_rescale: c = √d_in/‖x'‖; x'' = x'·c;      out: x̂ = x̂''/c
    layer_norm: μ = mean(x'), σ = std(x', ddof=1); x'' = (x' − μ)/(σ + 1e−5); out: x̂''·σ + μ
  pre = (x'' − b_dec·apply_b_dec_to_input) @ W_enc + b_enc   (apply_b_dec_to_input defaults to
                                                              true before SAELens 6)
  standard: f = ReLU(pre)
  topk: (rescale_acts_by_decoder_norm: pre·‖W_dec,i‖) then the k largest, ReLU'd, others 0;
        pre-6 configs say "activation_fn_str": "topk", "activation_fn_kwargs": {"k": k}
  jumprelu: f = pre·[pre > threshold]   (threshold = exp(log_threshold) in training checkpoints)
  decode: x̂'' = (f/‖W_dec,i‖ when rescaled)·(scaling_factor when finetuning_scaling_factor)
          @ W_dec + b_dec, then the inverse normalisation and + mean_d(x) when centred.
Gemma Scope (google/gemma-scope-*; SAELens gemma_2 loader): params.npz, JumpReLU without b_dec
  on the input; the hook and model come from the release path (layer_L, -res → hook_resid_post).
Llama Scope (fnlp/Llama3_1-8B-Base-LX*; SAELens llama_scope loader as fixed with the authors,
  SAELens PR #483): hyperparams.json, checkpoints/final.safetensors with encoder.weight
  [d_sae, d_model], decoder.weight [d_model, d_sae] (bfloat16); s = √d_model /
  dataset_average_activation_norm.in; pre = (x·s) @ encoder.weightᵀ + encoder.bias;
  f = pre·[pre > jump_relu_threshold·s]; x̂ = (f @ decoder.weightᵀ + decoder.bias)/s.

Run from this directory: /usr/bin/python3 make_published_sae_fixtures.py
"""
import json
import os
import struct
import zipfile
import io

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
D = 16
ROWS = 12


def bf16_bits(a):
    """float32 -> bfloat16 bit patterns (round to nearest even), as torch converts."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype(np.uint16)


def from_bf16(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, array) in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def f32(tensors):
    return {k: ("F32", v.astype(np.float32)) for k, v in tensors.items()}


def write_npz(path, arrays):
    """np.savez layout (a stored zip of .npy files), written by hand."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array, dtype="<f4"))
            z.writestr(name + ".npy", buffer.getvalue())


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)


def inputs(rng):
    x = rng.normal(0.3, 1.2, (ROWS, D))
    x[0] *= 12.0  # a BOS-like row with a large norm
    x[1] += 2.5   # a row with a large mean
    return x.astype(np.float32)


def top_k(pre, k):
    out = np.zeros_like(pre)
    idx = np.argsort(-pre, axis=1)[:, :k]
    np.put_along_axis(out, idx, np.maximum(np.take_along_axis(pre, idx, axis=1), 0), axis=1)
    srt = -np.sort(-pre, axis=1)
    gap = np.min(srt[:, k - 1] - srt[:, k])
    return out, gap


def weights(rng, n, scale_dec=0.3):
    return {
        "W_enc": rng.normal(0, 0.35, (D, n)).astype(np.float32),
        "b_enc": rng.normal(0, 0.2, (n,)).astype(np.float32),
        "W_dec": (rng.normal(0, scale_dec, (n, D)) * rng.uniform(0.5, 2.0, (n, 1))).astype(np.float32),
        "b_dec": rng.normal(0, 0.2, (D,)).astype(np.float32),
    }


def saelens_function(w, x, *, arch, apply_b_dec, centre=False, norm="none", k=None,
                     rescale=False, threshold=None, scaling_factor=None):
    """The SAELens inference function in float64. Returns (features, reconstruction, margin)."""
    w = {key: value.astype(np.float64) for key, value in w.items()}
    x = x.astype(np.float64)
    mean = x.mean(axis=1, keepdims=True) if centre else 0.0
    xc = x - mean
    if norm == "constant_norm_rescale":
        c = np.sqrt(D) / np.linalg.norm(xc, axis=1, keepdims=True)
        xn = xc * c
    elif norm == "layer_norm":
        mu = xc.mean(axis=1, keepdims=True)
        sigma = xc.std(axis=1, ddof=1, keepdims=True)
        xn = (xc - mu) / (sigma + 1e-5)
    else:
        xn = xc
    pre = (xn - w["b_dec"] * apply_b_dec) @ w["W_enc"] + w["b_enc"]
    norms = np.linalg.norm(w["W_dec"], axis=1)
    margin = np.inf
    if arch == "standard":
        f = np.maximum(pre, 0)
        margin = np.min(np.abs(pre))
    elif arch == "topk":
        if rescale:
            pre = pre * norms
        f, margin = top_k(pre, k)
    else:
        th = threshold.astype(np.float64)
        f = pre * (pre > th)
        margin = np.min(np.abs(pre - th))
    g = f / norms if rescale else f
    if scaling_factor is not None:
        g = g * scaling_factor.astype(np.float64)
    y = g @ w["W_dec"] + w["b_dec"]
    if norm == "constant_norm_rescale":
        y = y / c
    elif norm == "layer_norm":
        y = y * sigma + mu
    return f, y + mean, margin


def expected(name, x, f, y):
    write_safetensors(os.path.join(HERE, "expected", name + ".safetensors"),
                      f32({"x": x, "features": f, "reconstruction": y}))


def draw(seed, build):
    """Re-draws until no pre-activation sits within 1e-3 of a decision boundary, so float32 and
    float64 agree on which latents fire."""
    for attempt in range(1000):
        rng = np.random.default_rng(seed * 1000 + attempt)
        result = build(rng)
        if result[-1] > 1e-3:
            return result[:-1]
    raise RuntimeError("no draw with a safe margin")


def saelens_pre6_standard_centred():
    # gpt2-small-res-jb: a pre-6 cfg.json (hook_point, no apply_b_dec_to_input, which defaults to
    # true), trained on TransformerLens' centred residual stream.
    n = 40

    def build(rng):
        w = weights(rng, n)
        x = inputs(rng)
        f, y, margin = saelens_function(w, x, arch="standard", apply_b_dec=True, centre=True)
        return w, x, f, y, margin
    w, x, f, y = draw(1, build)
    name = "saelens_pre6_standard_centred"
    write_safetensors(os.path.join(HERE, name, "sae_weights.safetensors"), f32(w))
    write_json(os.path.join(HERE, name, "cfg.json"), {
        "model_name": "gpt2-small", "hook_point": "blocks.8.hook_resid_pre",
        "hook_point_layer": 8, "hook_point_head_index": None, "d_in": D, "d_sae": n,
        "dtype": "torch.float32", "device": "cpu", "prepend_bos": True, "context_size": 128,
        "lp_norm": 1, "l1_coefficient": 8e-05, "b_dec_init_method": "geometric_median",
        "model_from_pretrained_kwargs": {"center_writing_weights": True}})
    expected(name, x, f, y)


def saelens_v6_meta_jumprelu_log_threshold():
    # An early SAELens 6 file ("meta" rather than "metadata") with a training-style
    # log_threshold, JumpReLU without b_dec on the input.
    n = 32

    def build(rng):
        w = weights(rng, n)
        log_threshold = np.log(rng.uniform(0.05, 0.6, (n,))).astype(np.float32)
        x = inputs(rng)
        th = np.exp(log_threshold.astype(np.float64))
        f, y, margin = saelens_function(w, x, arch="jumprelu", apply_b_dec=False, threshold=th)
        return w, log_threshold, x, f, y, margin
    w, log_threshold, x, f, y = draw(2, build)
    name = "saelens_v6_meta_jumprelu"
    tensors = f32(w)
    tensors["log_threshold"] = ("F32", log_threshold)
    write_safetensors(os.path.join(HERE, name, "sae_weights.safetensors"), tensors)
    write_json(os.path.join(HERE, name, "cfg.json"), {
        "d_in": D, "d_sae": n, "dtype": "float32", "device": "cpu",
        "apply_b_dec_to_input": False, "normalize_activations": "none",
        "reshape_activations": "none", "architecture": "jumprelu",
        "meta": {"model_name": "gemma-2-2b", "hook_name": "blocks.5.hook_resid_post",
                 "hook_head_index": None, "prepend_bos": True, "context_size": 1024,
                 "sae_lens_version": "6.0.0", "sae_lens_training_version": "6.0.0"}})
    expected(name, x, f, y)


def saelens_pre6_topk_layer_norm():
    # OpenAI's v5 GPT-2 TopK SAEs as SAELens converted them (gpt2-small-resid-post-v5-32k).
    n, k = 40, 5

    def build(rng):
        w = weights(rng, n)
        x = inputs(rng)
        f, y, margin = saelens_function(w, x, arch="topk", apply_b_dec=True, norm="layer_norm", k=k)
        return w, x, f, y, margin
    w, x, f, y = draw(3, build)
    name = "saelens_pre6_topk_layer_norm"
    write_safetensors(os.path.join(HERE, name, "sae_weights.safetensors"), f32(w))
    write_json(os.path.join(HERE, name, "cfg.json"), {
        "d_in": D, "d_sae": n, "dtype": "torch.float32", "device": "cpu",
        "model_name": "gpt2-small", "hook_point": "blocks.6.hook_resid_post",
        "hook_point_layer": 6, "activation_fn_str": "topk", "activation_fn_kwargs": {"k": k},
        "apply_b_dec_to_input": True, "normalize_activations": "layer_norm",
        "prepend_bos": False, "context_size": 64, "dataset_path": "Skylion007/openwebtext",
        "finetuning_scaling_factor": False})
    expected(name, x, f, y)


def saelens_v6_topk_rescaled_norm_rescale():
    # SAELens 6 TopK with rescale_acts_by_decoder_norm and constant_norm_rescale
    # (mistral-7b-res-wg's normalisation).
    n, k = 36, 4

    def build(rng):
        w = weights(rng, n)
        x = inputs(rng)
        f, y, margin = saelens_function(w, x, arch="topk", apply_b_dec=True,
                                        norm="constant_norm_rescale", k=k, rescale=True)
        return w, x, f, y, margin
    w, x, f, y = draw(4, build)
    name = "saelens_v6_topk_rescaled_cnr"
    write_safetensors(os.path.join(HERE, name, "sae_weights.safetensors"), f32(w))
    write_json(os.path.join(HERE, name, "cfg.json"), {
        "architecture": "topk", "d_in": D, "d_sae": n, "k": k, "dtype": "float32",
        "device": "cpu", "apply_b_dec_to_input": True,
        "normalize_activations": "constant_norm_rescale", "reshape_activations": "none",
        "rescale_acts_by_decoder_norm": True,
        "metadata": {"sae_lens_version": "6.12.0", "model_name": "mistral-7b",
                     "hook_name": "blocks.8.hook_resid_pre", "prepend_bos": True,
                     "model_from_pretrained_kwargs": {}}})
    expected(name, x, f, y)


def saelens_v6_batchtopk_bf16():
    # A BatchTopK (or Matryoshka) SAE as SAELens exports it: jumprelu with one global threshold
    # in every entry, here with bfloat16 weights.
    n = 32

    def build(rng):
        w = weights(rng, n)
        w = {key: from_bf16(bf16_bits(value)) for key, value in w.items()}
        theta = from_bf16(bf16_bits(np.full((n,), 0.4, np.float32)))
        x = inputs(rng)
        f, y, margin = saelens_function(w, x, arch="jumprelu", apply_b_dec=True, threshold=theta)
        return w, theta, x, f, y, margin
    w, theta, x, f, y = draw(5, build)
    name = "saelens_v6_batchtopk_bf16"
    tensors = {key: ("BF16", bf16_bits(value)) for key, value in w.items()}
    tensors["threshold"] = ("BF16", bf16_bits(theta))
    write_safetensors(os.path.join(HERE, name, "sae_weights.safetensors"), tensors)
    write_json(os.path.join(HERE, name, "cfg.json"), {
        "architecture": "jumprelu", "d_in": D, "d_sae": n, "dtype": "bfloat16", "device": "cpu",
        "apply_b_dec_to_input": True, "normalize_activations": "none",
        "reshape_activations": "none",
        "metadata": {"sae_lens_version": "6.18.0", "model_name": "gemma-2-2b",
                     "hook_name": "blocks.12.hook_resid_post", "prepend_bos": True}})
    expected(name, x, f, y)


def saelens_v5_finetuning_scale():
    # SAELens 5: hook_name at the top level, and a finetuning scaling_factor tensor.
    n = 24

    def build(rng):
        w = weights(rng, n)
        scale = rng.uniform(0.5, 1.5, (n,)).astype(np.float32)
        x = inputs(rng)
        f, y, margin = saelens_function(w, x, arch="standard", apply_b_dec=False,
                                        scaling_factor=scale)
        return w, scale, x, f, y, margin
    w, scale, x, f, y = draw(6, build)
    name = "saelens_v5_finetuning_scale"
    tensors = f32(w)
    tensors["scaling_factor"] = ("F32", scale)
    write_safetensors(os.path.join(HERE, name, "sae_weights.safetensors"), tensors)
    write_json(os.path.join(HERE, name, "cfg.json"), {
        "architecture": "standard", "d_in": D, "d_sae": n, "dtype": "float32", "device": "cpu",
        "model_name": "pythia-70m-deduped", "hook_name": "blocks.3.hook_resid_post",
        "hook_layer": 3, "hook_head_index": None, "activation_fn_str": "relu",
        "apply_b_dec_to_input": False, "normalize_activations": "none",
        "finetuning_scaling_factor": True, "prepend_bos": True,
        "sae_lens_training_version": "5.3.0"})
    expected(name, x, f, y)


def gemma_scope_release():
    # google/gemma-scope-2b-pt-res as the Hub lays it out: the path names layer and site.
    n = 32

    def build(rng):
        w = weights(rng, n)
        threshold = rng.uniform(0.05, 0.5, (n,)).astype(np.float32)
        x = inputs(rng)
        f, y, margin = saelens_function(w, x, arch="jumprelu", apply_b_dec=False,
                                        threshold=threshold)
        return w, threshold, x, f, y, margin
    w, threshold, x, f, y = draw(7, build)
    arrays = dict(w)
    arrays["threshold"] = threshold
    write_npz(os.path.join(HERE, "gemma-scope-2b-pt-res", "layer_3", "width_16k",
                           "average_l0_20", "params.npz"), arrays)
    expected("gemma_scope_release", x, f, y)


def llama_scope():
    # fnlp/Llama3_1-8B-Base-LXR-8x/Llama3_1-8B-Base-L7R-8x.
    n = 48
    norm_in = 6.3125
    s = np.sqrt(D) / norm_in

    def build(rng):
        enc = from_bf16(bf16_bits(rng.normal(0, 0.35, (n, D)).astype(np.float32)))
        enc_b = from_bf16(bf16_bits(rng.normal(0, 0.2, (n,)).astype(np.float32)))
        dec = from_bf16(bf16_bits(rng.normal(0, 0.3, (D, n)).astype(np.float32)))
        dec_b = from_bf16(bf16_bits(rng.normal(0, 0.2, (D,)).astype(np.float32)))
        theta = 0.52734375
        x = inputs(rng) * np.float32(norm_in / np.sqrt(D) * 1.3)
        pre = (x.astype(np.float64) * s) @ enc.T.astype(np.float64) + enc_b
        f = pre * (pre > theta * s)
        y = (f @ dec.T.astype(np.float64) + dec_b) / s
        margin = np.min(np.abs(pre - theta * s))
        return enc, enc_b, dec, dec_b, theta, x, f, y, margin
    enc, enc_b, dec, dec_b, theta, x, f, y = draw(8, build)
    name = "Llama3_1-8B-Base-L7R-8x"
    write_json(os.path.join(HERE, name, "hyperparams.json"), {
        "hook_point_in": "blocks.7.hook_resid_post", "hook_point_out": "blocks.7.hook_resid_post",
        "d_model": D, "d_sae": n, "expansion_factor": n // D, "act_fn": "jumprelu",
        "jump_relu_threshold": theta, "norm_activation": "dataset-wise",
        "dataset_average_activation_norm": {"in": norm_in, "out": norm_in},
        "use_decoder_bias": True, "apply_decoder_bias_to_pre_encoder": False,
        "sparsity_include_decoder_norm": True, "top_k": 50})
    write_safetensors(os.path.join(HERE, name, "checkpoints", "final.safetensors"), {
        "encoder.weight": ("BF16", bf16_bits(enc)), "encoder.bias": ("BF16", bf16_bits(enc_b)),
        "decoder.weight": ("BF16", bf16_bits(dec)), "decoder.bias": ("BF16", bf16_bits(dec_b))})
    expected("llama_scope", x, f, y)


def main():
    saelens_pre6_standard_centred()
    saelens_v6_meta_jumprelu_log_threshold()
    saelens_pre6_topk_layer_norm()
    saelens_v6_topk_rescaled_norm_rescale()
    saelens_v6_batchtopk_bf16()
    saelens_v5_finetuning_scale()
    gemma_scope_release()
    llama_scope()


if __name__ == "__main__":
    main()
