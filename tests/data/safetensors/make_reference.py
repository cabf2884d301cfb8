#!/usr/bin/python3
"""Writes reference.safetensors the way Hugging Face's Rust `safetensors` serialiser lays it out,
plus reference_expected.json with every value as Python computed it (the independent reference
tst_safetensors compares against).

Layout (https://github.com/huggingface/safetensors, format section): 8-byte little-endian header
length N; N bytes of compact JSON {"__metadata__": {...}, name: {"dtype", "shape",
"data_offsets": [begin, end]}} padded with spaces to a multiple of 8; then the data section,
tensors sorted by dtype (larger element first) then name, little-endian, row-major.

Debian bookworm has no `safetensors` module, so the bytes are written here with struct + json;
torch only converts values to half/bfloat16 bit patterns.

Run: /usr/bin/python3 tests/data/safetensors/make_reference.py
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def tensors():
    g = torch.Generator().manual_seed(1234)
    return {
        # name: (dtype tag, torch tensor)
        "model.embed_tokens.weight": ("F32", torch.randn(5, 3, generator=g)),
        "model.norm.weight": ("F16", (torch.randn(7, generator=g) * 3).half()),
        "lm_head.weight": ("BF16", (torch.randn(2, 4, generator=g) * 10).bfloat16()),
        "counts": ("I32", torch.tensor([[-3, 0, 7], [2147483647, -2147483648, 1]], dtype=torch.int32)),
        "positions": ("I64", torch.tensor([1 << 40, -5, 0, 9], dtype=torch.int64)),
        "scalar": ("F32", torch.tensor(2.5)),
        "empty": ("F16", torch.zeros(0, 4).half()),
    }


ELEMENT = {"F32": 4, "F16": 2, "BF16": 2, "I32": 4, "I64": 8}


def raw_bytes(tag, t):
    t = t.contiguous()
    if tag in ("F16", "BF16"):
        # Reinterpret the 16-bit patterns as int16 to get their bytes without a float conversion.
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if tag == "F32":
        return t.numpy().astype("<f4").tobytes()
    if tag == "I32":
        return t.numpy().astype("<i4").tobytes()
    return t.numpy().astype("<i8").tobytes()


def main():
    items = tensors()
    # The Rust writer orders by dtype (descending alignment) then name.
    order = sorted(items, key=lambda n: (-ELEMENT[items[n][0]], n))
    header = {"__metadata__": {"format": "pt", "source": "make_reference.py"}}
    data = b""
    for name in order:
        tag, t = items[name]
        blob = raw_bytes(tag, t)
        header[name] = {"dtype": tag, "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(HERE, "reference.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    expected = {name: {"dtype": tag, "shape": list(t.shape),
                       "values": [float(v) if tag in ("F32", "F16", "BF16") else int(v)
                                  for v in t.reshape(-1).tolist()]}
                for name, (tag, t) in items.items()}
    with open(os.path.join(HERE, "reference_expected.json"), "w") as f:
        json.dump({"metadata": header["__metadata__"], "tensors": expected}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
