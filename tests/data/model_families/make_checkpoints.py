#!/usr/bin/python3
"""Tiny random checkpoints of every supported model family, in exact Hugging Face layout, and
what a float64 forward written from Hugging Face's modeling semantics computes for them.

Usage: /usr/bin/python3 make_checkpoints.py OUT_DIR      (needs only numpy)

Independent of Gyrus: its own safetensors writer, its own forward per family, written from
transformers' modeling_gpt2.py, modeling_gpt_neox.py, modeling_llama.py, modeling_qwen2.py,
modeling_qwen3.py, modeling_gemma2.py and modeling_gemma3.py (eager attention), as summarised in
model_families.md. Every case is chosen so that a missing term shows: norm weights far from 1
(Gemma's zero-centred ones far from 0), biases, grouped-query attention, sliding windows shorter
than the sequence, soft-caps that bite, all three llama3 RoPE regimes.

Writes OUT_DIR/<case>/{config.json, *.safetensors[, model.safetensors.index.json]} and
OUT_DIR/manifest.json: per case the token ids, the dtype, and for the logits and every hook the
reference computes a float64 little-endian file with its shape; "patterns" lists each layer's
attention probabilities [heads, queries, keys] the same way.
"""
import json
import math
import os
import struct
import sys

import numpy as np

T = 12  # tokens per test sequence; every sliding window below is shorter


# ---------------------------------------------------------------- safetensors, written by hand

def to_bf16_bits(a):
    """Round float32 to bfloat16 (nearest even) and return the uint16 bit patterns."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def safetensors_bytes(tensors):
    """tensors: list of (name, dtype 'F32'|'BF16', array of float32 or uint16 bits)."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, dtype, array in tensors:
        raw = np.ascontiguousarray(array).astype("<u2" if dtype == "BF16" else "<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def write_checkpoint(directory, weights, dtype, shards):
    """Stores weights (name -> float32) and returns them as the file holds them (float64)."""
    os.makedirs(directory, exist_ok=True)
    stored = {}
    entries = []
    for name, value in weights.items():
        value = np.asarray(value, dtype=np.float32)
        if dtype == "BF16":
            bits = to_bf16_bits(value)
            stored[name] = from_bf16_bits(bits).astype(np.float64)
            entries.append((name, "BF16", bits))
        else:
            stored[name] = value.astype(np.float64)
            entries.append((name, "F32", value))
    if shards == 1:
        with open(os.path.join(directory, "model.safetensors"), "wb") as f:
            f.write(safetensors_bytes(entries))
        return stored
    per = math.ceil(len(entries) / shards)
    weight_map = {}
    total = 0
    for i in range(shards):
        part = entries[i * per:(i + 1) * per]
        file = "model-%05d-of-%05d.safetensors" % (i + 1, shards)
        with open(os.path.join(directory, file), "wb") as f:
            f.write(safetensors_bytes(part))
        for name, _, array in part:
            weight_map[name] = file
            total += array.nbytes
    with open(os.path.join(directory, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    return stored


# ---------------------------------------------------------------- shared maths (float64)

def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):  # Llama, Qwen: w * x / rms(x)
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def gemma_rms_norm(x, w, eps):  # Gemma: (1 + w) * x / rms(x)
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * (1.0 + w)


def gelu_tanh(x):  # gelu_new and gelu_pytorch_tanh: the same function, rounded differently
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


_erf = np.vectorize(math.erf)


def gelu_erf(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def silu(x):
    return x / (1.0 + np.exp(-x))


def inverse_frequencies(rot, theta, scaling=None):
    inv = 1.0 / theta ** (np.arange(0, rot, 2, dtype=np.float64) / rot)
    if not scaling:
        return inv
    factor = scaling["factor"]
    if scaling["rope_type"] == "linear":
        return inv / factor
    assert scaling["rope_type"] == "llama3"
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    original = scaling["original_max_position_embeddings"]
    low_wavelength, high_wavelength = original / low, original / high
    wavelength = 2 * math.pi / inv
    scaled = np.where(wavelength > low_wavelength, inv / factor, inv)
    smooth = (original / wavelength - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelength < high_wavelength) & ~(wavelength > low_wavelength)
    return np.where(medium, smoothed, scaled)


def rope(x, inv):
    """x [T, heads, D]; rotate_half over the first 2*len(inv) dims, the rest pass through."""
    rot = 2 * len(inv)
    freqs = np.outer(np.arange(x.shape[0], dtype=np.float64), inv)
    emb = np.concatenate([freqs, freqs], -1)[:, None, :]
    xr, rest = x[..., :rot], x[..., rot:]
    half = rot // 2
    rotated = np.concatenate([-xr[..., half:], xr[..., :half]], -1)
    return np.concatenate([xr * np.cos(emb) + rotated * np.sin(emb), rest], -1)


PATTERNS = []  # every attention() call appends its pattern [H, T, T]: one per layer, in order


def attention(q, k, v, scale, softcap=0.0, window=0):
    """q [T, H, D], k/v [T, KV, D] -> [T, H*D]; causal; query h reads kv head h // (H/KV)."""
    t, heads, d = q.shape
    group = heads // k.shape[1]
    out = np.zeros((t, heads, d))
    pattern = np.zeros((heads, t, t))
    PATTERNS.append(pattern)
    i = np.arange(t)[:, None]
    j = np.arange(t)[None, :]
    allowed = j <= i
    if window:
        allowed &= j > i - window
    for h in range(heads):
        s = q[:, h, :] @ k[:, h // group, :].T * scale
        if softcap:
            s = softcap * np.tanh(s / softcap)
        s = np.where(allowed, s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        pattern[h] = p
        out[:, h, :] = p @ v[:, h // group, :]
    return out.reshape(t, heads * d)


def linear(x, w, b=None):  # nn.Linear: w [out, in]
    y = x @ w.T
    return y if b is None else y + b


# ---------------------------------------------------------------- forwards per family

def forward_gpt2(cfg, w, ids, root="transformer."):
    d, heads = cfg["n_embd"], cfg["n_head"]
    hd = d // heads
    eps = cfg["layer_norm_epsilon"]
    g = lambda name: w[root + name]
    hooks = {}
    hooks["hook_embed"] = g("wte.weight")[ids]
    hooks["hook_pos_embed"] = g("wpe.weight")[: len(ids)]
    x = hooks["hook_embed"] + hooks["hook_pos_embed"]
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        hooks["blocks.%d.hook_resid_pre" % l] = x
        h = layer_norm(x, g(p + "ln_1.weight"), g(p + "ln_1.bias"), eps)
        qkv = h @ g(p + "attn.c_attn.weight") + g(p + "attn.c_attn.bias")  # Conv1D [in, out]
        q, k, v = (qkv[:, i * d:(i + 1) * d].reshape(-1, heads, hd) for i in range(3))
        a = attention(q, k, v, 1.0 / math.sqrt(hd))
        a = a @ g(p + "attn.c_proj.weight") + g(p + "attn.c_proj.bias")
        hooks["blocks.%d.hook_attn_out" % l] = a
        x = x + a
        hooks["blocks.%d.hook_resid_mid" % l] = x
        h = layer_norm(x, g(p + "ln_2.weight"), g(p + "ln_2.bias"), eps)
        m = gelu_tanh(h @ g(p + "mlp.c_fc.weight") + g(p + "mlp.c_fc.bias"))
        m = m @ g(p + "mlp.c_proj.weight") + g(p + "mlp.c_proj.bias")
        hooks["blocks.%d.hook_mlp_out" % l] = m
        x = x + m
        hooks["blocks.%d.hook_resid_post" % l] = x
    f = layer_norm(x, g("ln_f.weight"), g("ln_f.bias"), eps)
    hooks["ln_final.hook_normalized"] = layer_norm(x, 1.0, 0.0, eps)  # before the weight, as TL
    return f @ g("wte.weight").T, hooks


def forward_neox(cfg, w, ids):
    d, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    hd = d // heads
    eps = cfg["layer_norm_eps"]
    inv = inverse_frequencies(int(hd * cfg["rotary_pct"]), cfg["rotary_emb_base"])
    g = lambda name: w["gpt_neox." + name]
    hooks = {"hook_embed": g("embed_in.weight")[ids]}
    x = hooks["hook_embed"]
    for l in range(cfg["num_hidden_layers"]):
        p = "layers.%d." % l
        hooks["blocks.%d.hook_resid_pre" % l] = x
        h = layer_norm(x, g(p + "input_layernorm.weight"), g(p + "input_layernorm.bias"), eps)
        qkv = linear(h, g(p + "attention.query_key_value.weight"),
                     g(p + "attention.query_key_value.bias")).reshape(-1, heads, 3 * hd)
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]  # per head: q | k | v
        a = attention(rope(q, inv), rope(k, inv), v, 1.0 / math.sqrt(hd))
        a = linear(a, g(p + "attention.dense.weight"), g(p + "attention.dense.bias"))
        hooks["blocks.%d.hook_attn_out" % l] = a
        h2 = layer_norm(x, g(p + "post_attention_layernorm.weight"),
                        g(p + "post_attention_layernorm.bias"), eps)  # the same x: parallel
        m = gelu_erf(linear(h2, g(p + "mlp.dense_h_to_4h.weight"), g(p + "mlp.dense_h_to_4h.bias")))
        m = linear(m, g(p + "mlp.dense_4h_to_h.weight"), g(p + "mlp.dense_4h_to_h.bias"))
        hooks["blocks.%d.hook_mlp_out" % l] = m
        x = x + a + m
        hooks["blocks.%d.hook_resid_post" % l] = x
    f = layer_norm(x, g("final_layer_norm.weight"), g("final_layer_norm.bias"), eps)
    hooks["ln_final.hook_normalized"] = layer_norm(x, 1.0, 0.0, eps)
    return f @ w["embed_out.weight"].T, hooks


def forward_llama_like(cfg, w, ids, family):
    """llama, qwen2, qwen3."""
    d, heads, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", d // heads)
    eps = cfg["rms_norm_eps"]
    inv = inverse_frequencies(hd, cfg["rope_theta"], cfg.get("rope_scaling"))
    g = lambda name: w["model." + name]
    bias = lambda name: w.get("model." + name)
    hooks = {"hook_embed": g("embed_tokens.weight")[ids]}
    x = hooks["hook_embed"]
    for l in range(cfg["num_hidden_layers"]):
        p = "layers.%d." % l
        hooks["blocks.%d.hook_resid_pre" % l] = x
        h = rms_norm(x, g(p + "input_layernorm.weight"), eps)
        q = linear(h, g(p + "self_attn.q_proj.weight"), bias(p + "self_attn.q_proj.bias"))
        k = linear(h, g(p + "self_attn.k_proj.weight"), bias(p + "self_attn.k_proj.bias"))
        v = linear(h, g(p + "self_attn.v_proj.weight"), bias(p + "self_attn.v_proj.bias"))
        q, k, v = q.reshape(-1, heads, hd), k.reshape(-1, kv, hd), v.reshape(-1, kv, hd)
        if family == "qwen3":  # per-head RMSNorm before RoPE
            q = rms_norm(q, g(p + "self_attn.q_norm.weight"), eps)
            k = rms_norm(k, g(p + "self_attn.k_norm.weight"), eps)
        window = 0
        if cfg.get("use_sliding_window") and l >= cfg["max_window_layers"]:
            window = cfg["sliding_window"]
        a = attention(rope(q, inv), rope(k, inv), v, 1.0 / math.sqrt(hd), window=window)
        a = linear(a, g(p + "self_attn.o_proj.weight"), bias(p + "self_attn.o_proj.bias"))
        hooks["blocks.%d.hook_attn_out" % l] = a
        x = x + a
        hooks["blocks.%d.hook_resid_mid" % l] = x
        h = rms_norm(x, g(p + "post_attention_layernorm.weight"), eps)
        m = linear(silu(linear(h, g(p + "mlp.gate_proj.weight"))) * linear(h, g(p + "mlp.up_proj.weight")),
                   g(p + "mlp.down_proj.weight"))
        hooks["blocks.%d.hook_mlp_out" % l] = m
        x = x + m
        hooks["blocks.%d.hook_resid_post" % l] = x
    f = rms_norm(x, g("norm.weight"), eps)
    hooks["ln_final.hook_normalized"] = rms_norm(x, 1.0, eps)
    head = w["lm_head.weight"] if "lm_head.weight" in w else g("embed_tokens.weight")
    return f @ head.T, hooks


def forward_gemma(cfg, w, ids, family, root="model.", dtype="F32"):
    """gemma2, gemma3 (text)."""
    d, heads, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    g = lambda name: w[root + name]
    gemma3 = family == "gemma3"
    layers = cfg["num_hidden_layers"]
    if gemma3:
        pattern = cfg["sliding_window_pattern"]
        sliding = [(l + 1) % pattern != 0 for l in range(layers)]
        inv_global = inverse_frequencies(hd, cfg["rope_theta"], cfg.get("rope_scaling"))
        inv_local = inverse_frequencies(hd, cfg["rope_local_base_freq"])
    else:
        sliding = [l % 2 == 0 for l in range(layers)]
        inv_global = inv_local = inverse_frequencies(hd, cfg["rope_theta"])
    # The normaliser sqrt(d) is a tensor in the weight dtype.
    normaliser = float(np.float32(math.sqrt(d)))
    if dtype == "BF16":
        normaliser = float(from_bf16_bits(to_bf16_bits(np.array([math.sqrt(d)], np.float32)))[0])
    hooks = {"hook_embed": g("embed_tokens.weight")[ids] * normaliser}
    x = hooks["hook_embed"]
    for l in range(layers):
        p = "layers.%d." % l
        hooks["blocks.%d.hook_resid_pre" % l] = x
        h = gemma_rms_norm(x, g(p + "input_layernorm.weight"), eps)
        q = linear(h, g(p + "self_attn.q_proj.weight")).reshape(-1, heads, hd)
        k = linear(h, g(p + "self_attn.k_proj.weight")).reshape(-1, kv, hd)
        v = linear(h, g(p + "self_attn.v_proj.weight")).reshape(-1, kv, hd)
        if gemma3:
            q = gemma_rms_norm(q, g(p + "self_attn.q_norm.weight"), eps)
            k = gemma_rms_norm(k, g(p + "self_attn.k_norm.weight"), eps)
        inv = inv_local if sliding[l] else inv_global
        a = attention(rope(q, inv), rope(k, inv), v, cfg["query_pre_attn_scalar"] ** -0.5,
                      softcap=0.0 if gemma3 else cfg["attn_logit_softcapping"],
                      window=cfg["sliding_window"] if sliding[l] else 0)
        a = linear(a, g(p + "self_attn.o_proj.weight"))
        a = gemma_rms_norm(a, g(p + "post_attention_layernorm.weight"), eps)
        hooks["blocks.%d.hook_attn_out" % l] = a
        x = x + a
        hooks["blocks.%d.hook_resid_mid" % l] = x
        h = gemma_rms_norm(x, g(p + "pre_feedforward_layernorm.weight"), eps)
        m = linear(gelu_tanh(linear(h, g(p + "mlp.gate_proj.weight"))) * linear(h, g(p + "mlp.up_proj.weight")),
                   g(p + "mlp.down_proj.weight"))
        m = gemma_rms_norm(m, g(p + "post_feedforward_layernorm.weight"), eps)
        hooks["blocks.%d.hook_mlp_out" % l] = m
        x = x + m
        hooks["blocks.%d.hook_resid_post" % l] = x
    f = gemma_rms_norm(x, g("norm.weight"), eps)
    hooks["ln_final.hook_normalized"] = rms_norm(x, 1.0, eps)
    logits = f @ g("embed_tokens.weight").T
    cap = cfg.get("final_logit_softcapping")
    if cap:
        logits = cap * np.tanh(logits / cap)
    return logits, hooks


# ---------------------------------------------------------------- random weights per family

class Random:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def matrix(self, out_dim, in_dim, scale=1.0):
        return self.rng.standard_normal((out_dim, in_dim)) * scale / math.sqrt(in_dim)

    def gain(self, n, centre=1.0):  # far from the identity, so a missing norm weight shows
        return centre + 0.3 * self.rng.standard_normal(n)

    def bias(self, n):
        return 0.2 * self.rng.standard_normal(n)

    def embedding(self, rows, d, scale=1.0):
        return self.rng.standard_normal((rows, d)) * scale


def weights_gpt2(cfg, r, root):
    d, f, v = cfg["n_embd"], cfg["n_inner"], cfg["vocab_size"]
    w = {root + "wte.weight": r.embedding(v, d, 0.5), root + "wpe.weight": r.embedding(cfg["n_positions"], d, 0.3)}
    for l in range(cfg["n_layer"]):
        p = root + "h.%d." % l
        w[p + "ln_1.weight"], w[p + "ln_1.bias"] = r.gain(d), r.bias(d)
        w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"] = r.matrix(3 * d, d).T, r.bias(3 * d)
        w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"] = r.matrix(d, d).T, r.bias(d)
        w[p + "ln_2.weight"], w[p + "ln_2.bias"] = r.gain(d), r.bias(d)
        w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"] = r.matrix(f, d).T, r.bias(f)
        w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"] = r.matrix(d, f).T, r.bias(d)
        w[p + "attn.bias"] = np.tril(np.ones((1, 1, cfg["n_positions"], cfg["n_positions"])))  # a buffer HF ignores
    w[root + "ln_f.weight"], w[root + "ln_f.bias"] = r.gain(d), r.bias(d)
    return w


def weights_neox(cfg, r):
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    w = {"gpt_neox.embed_in.weight": r.embedding(v, d)}
    for l in range(cfg["num_hidden_layers"]):
        p = "gpt_neox.layers.%d." % l
        for norm in ("input_layernorm", "post_attention_layernorm"):
            w[p + norm + ".weight"], w[p + norm + ".bias"] = r.gain(d), r.bias(d)
        w[p + "attention.query_key_value.weight"] = r.matrix(3 * d, d, 2.0)
        w[p + "attention.query_key_value.bias"] = r.bias(3 * d)
        w[p + "attention.dense.weight"], w[p + "attention.dense.bias"] = r.matrix(d, d), r.bias(d)
        w[p + "mlp.dense_h_to_4h.weight"], w[p + "mlp.dense_h_to_4h.bias"] = r.matrix(f, d), r.bias(f)
        w[p + "mlp.dense_4h_to_h.weight"], w[p + "mlp.dense_4h_to_h.bias"] = r.matrix(d, f), r.bias(d)
    w["gpt_neox.final_layer_norm.weight"] = r.gain(d)
    w["gpt_neox.final_layer_norm.bias"] = r.bias(d)
    w["embed_out.weight"] = r.matrix(v, d)
    return w


def weights_decoder(cfg, r, family, root="model."):
    d, f, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    heads, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", d // heads)
    gemma = family.startswith("gemma")
    centre = 0.0 if gemma else 1.0  # Gemma stores norm weights zero-centred
    w = {root + "embed_tokens.weight": r.embedding(v, d, 0.2 if gemma else 1.0)}
    for l in range(cfg["num_hidden_layers"]):
        p = root + "layers.%d." % l
        w[p + "input_layernorm.weight"] = r.gain(d, centre)
        w[p + "self_attn.q_proj.weight"] = r.matrix(heads * hd, d, 2.0)
        w[p + "self_attn.k_proj.weight"] = r.matrix(kv * hd, d, 2.0)
        w[p + "self_attn.v_proj.weight"] = r.matrix(kv * hd, d)
        w[p + "self_attn.o_proj.weight"] = r.matrix(d, heads * hd)
        if family == "qwen2":
            for name, n in (("q", heads * hd), ("k", kv * hd), ("v", kv * hd)):
                w[p + "self_attn.%s_proj.bias" % name] = r.bias(n)
        if family in ("qwen3", "gemma3"):
            w[p + "self_attn.q_norm.weight"] = r.gain(hd, centre)
            w[p + "self_attn.k_norm.weight"] = r.gain(hd, centre)
        w[p + "post_attention_layernorm.weight"] = r.gain(d, centre)
        if gemma:
            w[p + "pre_feedforward_layernorm.weight"] = r.gain(d, centre)
            w[p + "post_feedforward_layernorm.weight"] = r.gain(d, centre)
        w[p + "mlp.gate_proj.weight"] = r.matrix(f, d)
        w[p + "mlp.up_proj.weight"] = r.matrix(f, d)
        w[p + "mlp.down_proj.weight"] = r.matrix(d, f)
    w[root + "norm.weight"] = r.gain(d, centre)
    if not cfg.get("tie_word_embeddings", False):
        w["lm_head.weight"] = r.matrix(v, d)
    return w


# ---------------------------------------------------------------- the cases

def gpt2_config():
    return {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 32, "n_layer": 3,
            "n_head": 4, "n_inner": 80, "n_positions": 16, "n_ctx": 16, "vocab_size": 64,
            "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new", "scale_attn_weights": True,
            "bos_token_id": 50, "eos_token_id": 50}


def llama_config(scaling):
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
            "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2,
            "intermediate_size": 80, "vocab_size": 64, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
            "rope_scaling": scaling, "max_position_embeddings": 16384, "tie_word_embeddings": False,
            "hidden_act": "silu", "bos_token_id": 1, "eos_token_id": 2}


# llama3 scaling whose three regimes (kept, smoothed, slowed) all occur for head_dim 8, theta 5e5.
LLAMA3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
          "original_max_position_embeddings": 8192}


def qwen_config(family):
    cfg = {"architectures": ["Qwen2ForCausalLM" if family == "qwen2" else "Qwen3ForCausalLM"],
           "model_type": family, "hidden_size": 32, "num_hidden_layers": 3, "num_attention_heads": 4,
           "num_key_value_heads": 2, "intermediate_size": 80, "vocab_size": 64, "rms_norm_eps": 1e-6,
           "rope_theta": 1000000.0, "max_position_embeddings": 64, "tie_word_embeddings": True,
           "hidden_act": "silu", "use_sliding_window": False, "sliding_window": 5,
           "max_window_layers": 1, "bos_token_id": 60, "eos_token_id": 61}
    if family == "qwen3":
        cfg["head_dim"] = 16  # independent of hidden / heads = 8
        cfg["attention_bias"] = False
    return cfg


def neox_config():
    return {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "hidden_size": 32,
            "num_hidden_layers": 3, "num_attention_heads": 2, "intermediate_size": 80,
            "vocab_size": 72, "rotary_pct": 0.25, "rotary_emb_base": 10000, "layer_norm_eps": 1e-5,
            "hidden_act": "gelu", "use_parallel_residual": True, "tie_word_embeddings": False,
            "max_position_embeddings": 64, "bos_token_id": 0, "eos_token_id": 0}


def gemma2_config():
    return {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 32,
            "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 16, "intermediate_size": 80, "vocab_size": 64, "rms_norm_eps": 1e-6,
            "rope_theta": 10000.0, "query_pre_attn_scalar": 24, "attn_logit_softcapping": 1.5,
            "final_logit_softcapping": 2.0, "sliding_window": 4, "max_position_embeddings": 64,
            "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True,
            "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0}


def gemma3_text_config():
    return {"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "hidden_size": 32,
            "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 1,
            "head_dim": 16, "intermediate_size": 80, "vocab_size": 64, "rms_norm_eps": 1e-6,
            "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "sliding_window_pattern": 3,
            "query_pre_attn_scalar": 16, "final_logit_softcapping": 3.0,
            "attn_logit_softcapping": None, "sliding_window": 4, "max_position_embeddings": 64,
            "rope_scaling": {"rope_type": "linear", "factor": 8.0},
            "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": True,
            "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0}


def gemma3_multimodal_config():
    text = gemma3_text_config()
    for key in ("architectures", "bos_token_id", "eos_token_id", "pad_token_id"):
        text.pop(key)
    return {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
            "text_config": text,
            "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 8, "num_attention_heads": 2,
                              "num_hidden_layers": 1, "intermediate_size": 16, "image_size": 28,
                              "patch_size": 14},
            "mm_tokens_per_image": 4, "bos_token_id": 2, "eos_token_id": 1}


def cases():
    """(name, config, family, dtype, shards, weights(rng), forward(weights))"""
    out = []

    def gpt2(name, dtype, shards, root):
        cfg = gpt2_config()
        out.append((name, cfg, dtype, shards,
                    lambda r: weights_gpt2(cfg, r, root),
                    lambda w, ids: forward_gpt2(cfg, w, ids, root)))

    gpt2("gpt2_f32", "F32", 1, "transformer.")
    gpt2("gpt2_bare_bf16_sharded", "BF16", 2, "")  # openai-community/gpt2 has no "transformer."

    def decoder(name, cfg, family, dtype, shards):
        out.append((name, cfg, dtype, shards,
                    lambda r: weights_decoder(cfg, r, family),
                    lambda w, ids: forward_llama_like(cfg, w, ids, family)))

    decoder("llama3_f32_sharded", llama_config(LLAMA3), "llama", "F32", 3)
    decoder("llama_linear_bf16", llama_config({"rope_type": "linear", "factor": 2.0}), "llama", "BF16", 1)
    decoder("qwen2_f32", qwen_config("qwen2"), "qwen2", "F32", 1)
    decoder("qwen3_f32", qwen_config("qwen3"), "qwen3", "F32", 2)

    neox = neox_config()
    out.append(("gpt_neox_f32", neox, "F32", 1, lambda r: weights_neox(neox, r),
                lambda w, ids: forward_neox(neox, w, ids)))

    def gemma(name, cfg, family, dtype, shards, root="model."):
        text = cfg.get("text_config", cfg)
        if text is not cfg:
            # Gemma3ForConditionalGeneration's head does not soft-cap (Gemma3ForCausalLM does).
            text = dict(text, final_logit_softcapping=None)
        out.append((name, cfg, dtype, shards,
                    lambda r: weights_decoder(text, r, family, root),
                    lambda w, ids: forward_gemma(text, w, ids, family, root, dtype)))

    gemma("gemma2_f32_sharded", gemma2_config(), "gemma2", "F32", 2)
    gemma("gemma2_bf16", gemma2_config(), "gemma2", "BF16", 1)
    gemma("gemma3_text_f32", gemma3_text_config(), "gemma3", "F32", 1)
    gemma("gemma3_multimodal_f32", gemma3_multimodal_config(), "gemma3", "F32", 2,
          root="language_model.model.")

    # The same models with their RoPE settings as transformers 5 writes them (rope_parameters;
    # nested by layer type for Gemma-3); the reference reads the older fields it was given.
    def as_written_by_transformers5(name, family):
        for case in list(out):
            if case[0] == name:
                out.append((name + "_rope_parameters",) + case[1:] + (rope_parameters(case[1], family),))

    as_written_by_transformers5("llama3_f32_sharded", "llama")
    as_written_by_transformers5("gpt_neox_f32", "gpt_neox")
    as_written_by_transformers5("gemma3_text_f32", "gemma3")
    return out


def rope_parameters(cfg, family):
    """cfg with rope_theta/rope_scaling (rotary_emb_base/rotary_pct, rope_local_base_freq) moved
    into transformers 5's rope_parameters."""
    cfg = dict(cfg)
    if family == "gpt_neox":
        cfg["rope_parameters"] = {"rope_type": "default", "rope_theta": cfg.pop("rotary_emb_base"),
                                  "partial_rotary_factor": cfg.pop("rotary_pct")}
        return cfg
    full = dict(cfg.pop("rope_scaling") or {"rope_type": "default"}, rope_theta=cfg.pop("rope_theta"))
    if family == "gemma3":
        cfg["rope_parameters"] = {"full_attention": full, "sliding_attention": {
            "rope_type": "default", "rope_theta": cfg.pop("rope_local_base_freq")}}
    else:
        cfg["rope_parameters"] = full
    return cfg


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_checkpoints.py OUT_DIR")
    root = sys.argv[1]
    os.makedirs(root, exist_ok=True)
    manifest = {"cases": []}
    for index, (name, cfg, dtype, shards, make, forward, *written) in enumerate(cases()):
        r = Random(1000 + index)
        weights = make(r)
        if name.startswith("gemma3_multimodal"):
            weights["vision_tower.vision_model.embeddings.patch_embedding.weight"] = r.matrix(8, 3 * 14 * 14).reshape(8, 3, 14, 14)
            weights["multi_modal_projector.mm_input_projection_weight"] = r.matrix(8, 32)
        directory = os.path.join(root, name)
        on_disk = dict(written[0] if written else cfg, torch_dtype="bfloat16" if dtype == "BF16" else "float32")
        stored = write_checkpoint(directory, weights, dtype, shards)
        with open(os.path.join(directory, "config.json"), "w") as f:
            json.dump(on_disk, f, indent=1)
        vocab = cfg.get("text_config", cfg)["vocab_size"]
        ids = [int(i) for i in r.rng.integers(0, min(vocab, 60), T)]
        del PATTERNS[:]
        logits, hooks = forward(stored, np.array(ids))
        patterns = []
        for layer, pattern in enumerate(PATTERNS):
            file = "%s.pattern%d.f64" % (name, layer)
            np.ascontiguousarray(pattern, dtype="<f8").tofile(os.path.join(root, file))
            patterns.append({"file": file, "shape": list(pattern.shape)})
        outputs = {}
        for key, value in [("logits", logits)] + sorted(hooks.items()):
            file = "%s.%s.f64" % (name, key)
            np.ascontiguousarray(value, dtype="<f8").tofile(os.path.join(root, file))
            outputs[key] = {"file": file, "shape": list(value.shape)}
        manifest["cases"].append({"name": name, "dir": name, "dtype": dtype, "tokens": ids,
                                  "outputs": outputs, "patterns": patterns})
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
