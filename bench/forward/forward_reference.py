#!/usr/bin/python3
"""The peer of bench/forward (bench_forward): a plain-torch Llama or GPT-2 forward (config.json's
model_type picks), as Hugging Face's eager code runs it.

Loads config.json + model.safetensors (parsed here: the safetensors package is not installed),
then times a prefill of a right-padded-free batch and a greedy decode with a KV cache that grows
by torch.cat each step, as transformers' DynamicCache does. Prints one JSON object.

  /usr/bin/python3 bench/forward/forward_reference.py --model DIR [--batch 8 --tokens 128
      --decode-prompt 16 --decode-tokens 128 --threads N --repeats 3]
"""
import argparse
import json
import math
import os
import struct
import time

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16}


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        if entry["dtype"] == "BF16":
            raw = np.frombuffer(data[start:end], dtype=np.int16).astype(np.int32) << 16
            array = raw.view(np.float32)
        else:
            array = np.frombuffer(data[start:end], dtype=DTYPES[entry["dtype"]]).astype(np.float32)
        tensors[name] = torch.from_numpy(array.copy()).reshape(entry["shape"])
    return tensors


class Llama:
    def __init__(self, directory):
        with open(os.path.join(directory, "config.json")) as f:
            self.cfg = json.load(f)
        self.w = load_safetensors(os.path.join(directory, "model.safetensors"))
        c = self.cfg
        self.d = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.nkv = c.get("num_key_value_heads", self.nh)
        self.hd = self.d // self.nh
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.layers = c["num_hidden_layers"]
        head = self.w.get("lm_head.weight")
        self.lm_head = head if head is not None else self.w["model.embed_tokens.weight"]
        theta = c.get("rope_theta", 10000.0)
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, self.hd, 2).float() / self.hd))

    def rms(self, x, weight):
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * h.to(x.dtype)

    @staticmethod
    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    def forward(self, ids, cache=None):
        """ids [B, T]; cache: list of (k, v) per layer or None. Returns logits, new cache."""
        b, t = ids.shape
        past = 0 if cache is None else cache[0][0].shape[2]
        x = torch.nn.functional.embedding(ids, self.w["model.embed_tokens.weight"])
        pos = torch.arange(past, past + t, dtype=torch.float32)
        freqs = torch.outer(pos, self.inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = None
        if t > 1:
            mask = torch.full((t, past + t), torch.finfo(torch.float32).min).triu(past + 1)
        lin = torch.nn.functional.linear
        new_cache = []
        rep = self.nh // self.nkv
        for i in range(self.layers):
            p = f"model.layers.{i}."
            h = self.rms(x, self.w[p + "input_layernorm.weight"])
            q = lin(h, self.w[p + "self_attn.q_proj.weight"]).view(b, t, self.nh, self.hd).transpose(1, 2)
            k = lin(h, self.w[p + "self_attn.k_proj.weight"]).view(b, t, self.nkv, self.hd).transpose(1, 2)
            v = lin(h, self.w[p + "self_attn.v_proj.weight"]).view(b, t, self.nkv, self.hd).transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if cache is not None:
                k = torch.cat((cache[i][0], k), dim=2)
                v = torch.cat((cache[i][1], v), dim=2)
            new_cache.append((k, v))
            kk = k[:, :, None].expand(b, self.nkv, rep, k.shape[2], self.hd).reshape(b, self.nh, k.shape[2], self.hd)
            vv = v[:, :, None].expand(b, self.nkv, rep, v.shape[2], self.hd).reshape(b, self.nh, v.shape[2], self.hd)
            scores = torch.matmul(q, kk.transpose(2, 3)) / math.sqrt(self.hd)
            if mask is not None:
                scores = scores + mask
            probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            attn = torch.matmul(probs, vv).transpose(1, 2).reshape(b, t, self.d)
            x = x + lin(attn, self.w[p + "self_attn.o_proj.weight"])
            h = self.rms(x, self.w[p + "post_attention_layernorm.weight"])
            mlp = lin(torch.nn.functional.silu(lin(h, self.w[p + "mlp.gate_proj.weight"]))
                      * lin(h, self.w[p + "mlp.up_proj.weight"]), self.w[p + "mlp.down_proj.weight"])
            x = x + mlp
        x = self.rms(x, self.w["model.norm.weight"])
        return lin(x, self.lm_head), new_cache

    def greedy(self, prompt, n):
        logits, cache = self.forward(torch.tensor([prompt]))
        out = []
        for _ in range(n):
            token = int(logits[0, -1].argmax())
            out.append(token)
            if len(out) == n:
                break
            logits, cache = self.forward(torch.tensor([[token]]), cache)
        return out


class Gpt2:
    """GPT2LMHeadModel's eager forward: Conv1D as addmm, learned positions, LayerNorm, gelu_new."""

    def __init__(self, directory):
        with open(os.path.join(directory, "config.json")) as f:
            self.cfg = json.load(f)
        self.w = load_safetensors(os.path.join(directory, "model.safetensors"))
        c = self.cfg
        self.d = c["n_embd"]
        self.nh = c["n_head"]
        self.hd = self.d // self.nh
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        self.layers = c["n_layer"]

    def conv1d(self, x, name):
        shape = x.shape[:-1] + (self.w[name + ".weight"].shape[1],)
        return torch.addmm(self.w[name + ".bias"], x.reshape(-1, x.shape[-1]), self.w[name + ".weight"]).view(shape)

    def ln(self, x, name):
        return torch.nn.functional.layer_norm(x, (self.d,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    @staticmethod
    def gelu_new(x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    def forward(self, ids, cache=None):
        b, t = ids.shape
        past = 0 if cache is None else cache[0][0].shape[2]
        pos = torch.arange(past, past + t)
        x = self.w["transformer.wte.weight"][ids] + self.w["transformer.wpe.weight"][pos]
        mask = None
        if t > 1:
            mask = torch.ones(t, past + t, dtype=torch.bool).tril(past)
        new_cache = []
        for i in range(self.layers):
            p = f"transformer.h.{i}."
            qkv = self.conv1d(self.ln(x, p + "ln_1"), p + "attn.c_attn")
            q, k, v = (y.view(b, t, self.nh, self.hd).transpose(1, 2) for y in qkv.split(self.d, dim=2))
            if cache is not None:
                k = torch.cat((cache[i][0], k), dim=2)
                v = torch.cat((cache[i][1], v), dim=2)
            new_cache.append((k, v))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hd)
            if mask is not None:
                scores = torch.where(mask, scores, torch.finfo(scores.dtype).min)
            probs = torch.softmax(scores, dim=-1)
            attn = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, self.d)
            x = x + self.conv1d(attn, p + "attn.c_proj")
            m = self.gelu_new(self.conv1d(self.ln(x, p + "ln_2"), p + "mlp.c_fc"))
            x = x + self.conv1d(m, p + "mlp.c_proj")
        x = self.ln(x, "transformer.ln_f")
        return torch.nn.functional.linear(x, self.w["transformer.wte.weight"]), new_cache

    greedy = Llama.greedy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--decode-prompt", type=int, default=16)
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    with open(os.path.join(args.model, "config.json")) as f:
        model_type = json.load(f).get("model_type", "llama")
    model = Gpt2(args.model) if model_type == "gpt2" else Llama(args.model)
    vocab = model.cfg["vocab_size"]
    # The same token ids as bench/forward: (i * 7919 + 13) mod (vocab - 3) + 3, row-major.
    count = args.batch * args.tokens
    ids = torch.tensor([(i * 7919 + 13) % (vocab - 3) + 3 for i in range(count)]).view(args.batch, args.tokens)
    prompt = [(i * 7919 + 13) % (vocab - 3) + 3 for i in range(args.decode_prompt)]
    with torch.inference_mode():
        model.forward(ids[:, :8])  # warm-up
        prefill = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            model.forward(ids)
            prefill.append(time.perf_counter() - start)
        model.greedy(prompt, 4)
        decode = []
        tokens = None
        for _ in range(args.repeats):
            start = time.perf_counter()
            tokens = model.greedy(prompt, args.decode_tokens)
            decode.append(time.perf_counter() - start)
    print(json.dumps({
        "threads": torch.get_num_threads(),
        "prefill_seconds": min(prefill),
        "prefill_tokens_per_s": count / min(prefill),
        "decode_seconds": min(decode),
        "decode_tokens_per_s": args.decode_tokens / min(decode),
        "greedy_tokens": tokens,
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
