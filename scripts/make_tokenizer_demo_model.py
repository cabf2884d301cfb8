"""Writes a Llama model directory with random weights around a real Hugging Face tokenizer, for
pictures of the token heatmap with Llama-3's or Gemma's tokenizer (scripts/screenshots).

usage: make_tokenizer_demo_model.py TOKENIZER_DIR OUT_DIR

TOKENIZER_DIR has tokenizer.json (+ tokenizer_config.json); they are copied into OUT_DIR beside a
config.json and model.safetensors shaped like the demo model (4 layers, d_model 192, so the demo
SAE on blocks.2.hook_resid_post loads on it) with vocab_size = the tokenizer's largest id + 1.
The weights are random (seeded): only the tokenisation is meant to be looked at.
"""
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np


def vocab_size(tokenizer_json):
    data = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    ids = list(data["model"]["vocab"].values()) + [t["id"] for t in data.get("added_tokens", [])]
    return max(ids) + 1


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype=np.float16).tobytes()
        header[name] = {"dtype": "F16", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def main():
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        if (source / name).exists():
            shutil.copyfile(source / name, out / name)
    vocab = vocab_size(source / "tokenizer.json")
    d, layers, heads, kv_heads, head_dim, ffn = 192, 4, 6, 2, 32, 512
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": d,
              "intermediate_size": ffn, "num_hidden_layers": layers,
              "num_attention_heads": heads, "num_key_value_heads": kv_heads,
              "hidden_act": "silu", "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
              "rope_theta": 10000.0, "vocab_size": vocab, "tie_word_embeddings": True,
              "torch_dtype": "float16"}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    rng = np.random.default_rng(7)

    def matrix(rows, cols):
        return rng.standard_normal((rows, cols), dtype=np.float32) / np.sqrt(cols)

    tensors = {"model.embed_tokens.weight": rng.standard_normal((vocab, d), dtype=np.float32)}
    for i in range(layers):
        p = f"model.layers.{i}."
        tensors[p + "input_layernorm.weight"] = np.ones(d, dtype=np.float32)
        tensors[p + "post_attention_layernorm.weight"] = np.ones(d, dtype=np.float32)
        tensors[p + "self_attn.q_proj.weight"] = matrix(heads * head_dim, d)
        tensors[p + "self_attn.k_proj.weight"] = matrix(kv_heads * head_dim, d)
        tensors[p + "self_attn.v_proj.weight"] = matrix(kv_heads * head_dim, d)
        tensors[p + "self_attn.o_proj.weight"] = matrix(d, heads * head_dim)
        tensors[p + "mlp.gate_proj.weight"] = matrix(ffn, d)
        tensors[p + "mlp.up_proj.weight"] = matrix(ffn, d)
        tensors[p + "mlp.down_proj.weight"] = matrix(d, ffn)
    tensors["model.norm.weight"] = np.ones(d, dtype=np.float32)
    write_safetensors(out / "model.safetensors", tensors)
    print(out)


if __name__ == "__main__":
    main()
