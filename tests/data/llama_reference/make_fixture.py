#!/usr/bin/python3
"""Writes a tiny Llama checkpoint and the logits a Hugging Face-style forward gives for it.

Run with Debian's Python (torch 1.13): /usr/bin/python3 make_fixture.py
The reference forward below is written from the semantics of transformers' modeling_llama.py
(LlamaRMSNorm, LlamaRotaryEmbedding with linear scaling, rotate_half, repeat_kv, eager attention
with a causal mask and an fp32 softmax, LlamaMLP), in plain torch because transformers is not
installed here. The checkpoint exercises grouped-query attention (4 heads, 2 KV heads), an
untied head, a non-default rope_theta and linear rope scaling, and norm weights that are not 1.

Outputs (next to this script):
  config.json, model.safetensors          the checkpoint (safetensors written by hand below)
  expected.json                           token ids, shapes, and the names of the .f32 files
  expected_logits.f32                     float32 little-endian [T, vocab]
  expected_resid_post_0.f32               float32 little-endian [T, d]: blocks.0.hook_resid_post
  expected_final_normalized.f32           float32 little-endian [T, d]: ln_final.hook_normalized
                                          (before the final norm's weight, as TransformerLens)
"""
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 176,
    "rms_norm_eps": 1e-5,
    "rope_theta": 50000.0,
    "rope_scaling": {"type": "linear", "factor": 2.0},
    "vocab_size": 128,
    "tie_word_embeddings": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "max_position_embeddings": 256,
    "torch_dtype": "float32",
    "hidden_act": "silu",
}

TOKENS = [1, 17, 93, 5, 64, 64, 2, 127, 40, 3, 88, 12, 51, 7, 100, 33, 9, 71, 26, 120]


def make_weights(cfg, seed=1234):
    g = torch.Generator().manual_seed(seed)
    d = cfg["hidden_size"]
    hd = d // cfg["num_attention_heads"]
    kv = cfg["num_key_value_heads"] * hd
    f = cfg["intermediate_size"]
    v = cfg["vocab_size"]

    def randn(*shape, std):
        return torch.randn(*shape, generator=g) * std

    w = {"model.embed_tokens.weight": randn(v, d, std=1.0)}
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = 1.0 + randn(d, std=0.2)
        w[p + "self_attn.q_proj.weight"] = randn(d, d, std=d ** -0.5)
        w[p + "self_attn.k_proj.weight"] = randn(kv, d, std=d ** -0.5)
        w[p + "self_attn.v_proj.weight"] = randn(kv, d, std=d ** -0.5)
        w[p + "self_attn.o_proj.weight"] = randn(d, d, std=d ** -0.5)
        w[p + "post_attention_layernorm.weight"] = 1.0 + randn(d, std=0.2)
        w[p + "mlp.gate_proj.weight"] = randn(f, d, std=d ** -0.5)
        w[p + "mlp.up_proj.weight"] = randn(f, d, std=d ** -0.5)
        w[p + "mlp.down_proj.weight"] = randn(d, f, std=f ** -0.5)
    w["model.norm.weight"] = 1.0 + randn(d, std=0.2)
    w["lm_head.weight"] = randn(v, d, std=d ** -0.5)
    return w


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


# ---- the reference forward (HF modeling_llama semantics) -------------------------------------

def rms_norm(x, weight, eps):
    hidden = x.to(torch.float32)
    variance = hidden.pow(2).mean(-1, keepdim=True)
    hidden = hidden * torch.rsqrt(variance + eps)
    return weight * hidden.to(x.dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rotary(cfg, seq_len):
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
    t = torch.arange(seq_len, dtype=torch.float32)
    scaling = cfg.get("rope_scaling")
    if scaling and scaling["type"] == "linear":
        t = t / scaling["factor"]
    freqs = torch.einsum("i,j->ij", t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def repeat_kv(x, n_rep):
    b, kvh, s, hd = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, kvh, n_rep, s, hd).reshape(b, kvh * n_rep, s, hd)


def forward(cfg, w, tokens):
    d = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg["num_key_value_heads"]
    hd = d // nh
    eps = cfg["rms_norm_eps"]
    ids = torch.tensor([tokens])
    b, s = ids.shape
    x = torch.nn.functional.embedding(ids, w["model.embed_tokens.weight"])
    cos, sin = rotary(cfg, s)
    cos, sin = cos[None, None], sin[None, None]
    mask = torch.full((s, s), torch.finfo(torch.float32).min).triu(1)[None, None]
    lin = torch.nn.functional.linear
    resid_post = []
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin(h, w[p + "self_attn.q_proj.weight"]).view(b, s, nh, hd).transpose(1, 2)
        k = lin(h, w[p + "self_attn.k_proj.weight"]).view(b, s, nkv, hd).transpose(1, 2)
        v = lin(h, w[p + "self_attn.v_proj.weight"]).view(b, s, nkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, nh // nkv)
        v = repeat_kv(v, nh // nkv)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(hd) + mask
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
        attn = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, d)
        x = x + lin(attn, w[p + "self_attn.o_proj.weight"])
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        mlp = lin(torch.nn.functional.silu(lin(h, w[p + "mlp.gate_proj.weight"]))
                  * lin(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
        x = x + mlp
        resid_post.append(x)
    normed = rms_norm(x, w["model.norm.weight"], eps)
    logits = lin(normed, w["lm_head.weight"])
    # TransformerLens takes ln_final.hook_normalized before the norm's weight.
    unweighted = rms_norm(x, torch.ones_like(w["model.norm.weight"]), eps)
    return logits[0], resid_post[0][0], unweighted[0]


def save_f32(name, t):
    t.detach().numpy().astype("<f4").tofile(os.path.join(HERE, name))


def main():
    torch.set_num_threads(1)
    weights = make_weights(CONFIG)
    with open(os.path.join(HERE, "config.json"), "w") as out:
        json.dump(CONFIG, out, indent=2)
        out.write("\n")
    write_safetensors(os.path.join(HERE, "model.safetensors"), weights)
    with torch.no_grad():
        logits, resid0, normed = forward(CONFIG, weights, TOKENS)
    save_f32("expected_logits.f32", logits)
    save_f32("expected_resid_post_0.f32", resid0)
    save_f32("expected_final_normalized.f32", normed)
    expected = {
        "tokens": TOKENS,
        "logits": {"file": "expected_logits.f32", "shape": list(logits.shape)},
        "hooks": {
            "blocks.0.hook_resid_post": {"file": "expected_resid_post_0.f32",
                                         "shape": list(resid0.shape)},
            "ln_final.hook_normalized": {"file": "expected_final_normalized.f32",
                                         "shape": list(normed.shape)},
        },
        "generator": "make_fixture.py, torch " + torch.__version__,
    }
    with open(os.path.join(HERE, "expected.json"), "w") as out:
        json.dump(expected, out, indent=2)
        out.write("\n")
    print("logits", tuple(logits.shape), "abs max", float(logits.abs().max()))


if __name__ == "__main__":
    main()
