"""Runs Hugging Face transformers itself on make_checkpoints.py's random checkpoints and writes
what it computes, as committed fixtures for tst_model_families.

Usage: scripts/hf-reference (makes the pinned virtual environment and runs this script as
  VENV/bin/python tests/data/model_families/make_hf_fixtures.py tests/data/model_families/hf)

The checkpoints are made by /usr/bin/python3 make_checkpoints.py, exactly as the test makes them
(the same script, the same numpy), and the fixture records the SHA-256 of every file of every
checkpoint, so the test can tell that it runs the weights transformers ran. Every case is loaded
with AutoModelForCausalLM, eager attention, and run twice: in float64 and in the checkpoint's own
dtype (float32 or bfloat16). Per run the fixture holds the logits, every
blocks.L.hook_resid_pre (hidden_states[L]), every blocks.L.hook_resid_post (the decoder layer's
output, taken with a forward hook: Hugging Face's last hidden state is after the final norm) and
hf.final_norm (hidden_states[-1], the final norm's output with its weight; TransformerLens's
ln_final.hook_normalized is taken before the weight, so it is not compared directly).

Output: OUT/manifest.json and OUT/<case>.<dtype>.bin (little-endian float64 for float64 runs,
float32 otherwise, tensors concatenated at the offsets the manifest gives).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
DTYPES = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16}


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def decoder_layers(model, count):
    """The ModuleList of the language model's decoder layers (not a vision tower's)."""
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) == count and "vision" not in name:
            return module
    raise RuntimeError("no decoder layer list of length %d" % count)


def run(directory, tokens, layers, dtype):
    model = transformers.AutoModelForCausalLM.from_pretrained(
        directory, dtype=DTYPES[dtype], attn_implementation="eager")
    model.eval()
    outputs = {}

    def keep(layer):
        def hook(_module, _inputs, output):
            value = output[0] if isinstance(output, tuple) else output
            outputs["blocks.%d.hook_resid_post" % layer] = value[0].detach()
        return hook

    handles = [m.register_forward_hook(keep(i)) for i, m in enumerate(decoder_layers(model, layers))]
    with torch.no_grad():
        out = model(torch.tensor([tokens]), output_hidden_states=True)
    for handle in handles:
        handle.remove()
    hidden = out.hidden_states
    assert len(hidden) == layers + 1, (directory, len(hidden))
    tensors = {"logits": out.logits[0]}
    for layer in range(layers):
        tensors["blocks.%d.hook_resid_pre" % layer] = hidden[layer][0]
    tensors.update(outputs)
    tensors["hf.final_norm"] = hidden[-1][0]
    return tensors


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_hf_fixtures.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_checkpoints.py"), work], check=True)
        with open(os.path.join(work, "manifest.json")) as f:
            cases = json.load(f)["cases"]
        manifest = {"transformers": transformers.__version__, "torch": torch.__version__,
                    "attention": "eager", "cases": []}
        for case in cases:
            directory = os.path.join(work, case["dir"])
            with open(os.path.join(directory, "config.json")) as f:
                config = json.load(f)
            layers = config.get("text_config", config).get("num_hidden_layers", config.get("n_layer"))
            entry = {"name": case["name"], "tokens": case["tokens"],
                     "files": {name: sha256(os.path.join(directory, name))
                               for name in sorted(os.listdir(directory))},
                     "runs": {}}
            own = "bfloat16" if case["dtype"] == "BF16" else "float32"
            for dtype in ("float64", own):
                tensors = run(directory, case["tokens"], layers, dtype)
                stored = np.float64 if dtype == "float64" else np.float32
                file = "%s.%s.bin" % (case["name"], dtype)
                index = {}
                offset = 0
                with open(os.path.join(out_dir, file), "wb") as f:
                    for key in sorted(tensors):
                        array = tensors[key].to(torch.float64).numpy().astype("<f8" if stored is np.float64 else "<f4")
                        f.write(array.tobytes())
                        index[key] = {"shape": list(array.shape), "offset": offset}
                        offset += array.nbytes
                entry["runs"][dtype] = {"file": file, "element": 8 if stored is np.float64 else 4,
                                        "tensors": index}
                print("%-24s %-8s %d tensors" % (case["name"], dtype, len(index)))
            manifest["cases"].append(entry)
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
