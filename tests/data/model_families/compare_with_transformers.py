#!/usr/bin/python3
"""Checks make_checkpoints.py's float64 reference against Hugging Face transformers itself.

Usage (a throwaway virtual environment; Debian's python3-torch serves as torch):
  /usr/bin/python3 -m venv --system-site-packages /tmp/hf && /tmp/hf/bin/pip install transformers==4.50.3
  /usr/bin/python3 make_checkpoints.py /tmp/mf
  /tmp/hf/bin/python compare_with_transformers.py /tmp/mf

Loads every case with AutoModelForCausalLM (eager attention, float64), runs its tokens with
output_hidden_states, and prints per case the largest |difference| between transformers and the
reference for the logits and for every hidden state (hidden_states[L] is blocks.L.hook_resid_pre;
the last one is ln_final.hook_normalized), relative to the largest reference magnitude. A case
whose float64 forward transformers cannot run is run in float32. transformers computes RoPE
tables in float32 whatever the dtype, so agreement is to ~1e-6, not 1e-15; for bfloat16
checkpoints Gemma's sqrt(d) normaliser is rounded to bfloat16 by the reference (what transformers
does when it runs in bfloat16) but not by a float64 run. Exits 1 when a float32 case differs by
more than 1e-5 or a bfloat16 one by more than 6e-2.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    failed = False
    for case in manifest["cases"]:
        load = lambda key: np.fromfile(os.path.join(root, case["outputs"][key]["file"]), "<f8").reshape(
            case["outputs"][key]["shape"])
        directory = os.path.join(root, case["dir"])
        try:
            model = transformers.AutoModelForCausalLM.from_pretrained(
                directory, torch_dtype=torch.float64, attn_implementation="eager")
        except Exception as error:  # noqa: BLE001 - reported, not hidden
            print("%-24s not loaded by transformers: %s" % (case["name"], str(error).splitlines()[0]))
            continue
        model.eval()
        dtype = "float64"
        try:
            with torch.no_grad():
                out = model(torch.tensor([case["tokens"]]), output_hidden_states=True)
        except Exception:  # noqa: BLE001 - some versions cannot build a float64 mask
            model = model.float()
            dtype = "float32"
            with torch.no_grad():
                out = model(torch.tensor([case["tokens"]]), output_hidden_states=True)
        pairs = [("logits", out.logits[0].double().numpy(), load("logits"))]
        hidden = [h.double() for h in out.hidden_states]
        for layer in range(len(hidden) - 1):
            pairs.append(("blocks.%d.hook_resid_pre" % layer, hidden[layer][0].numpy(),
                          load("blocks.%d.hook_resid_pre" % layer)))
        pairs.append(("ln_final.hook_normalized", hidden[-1][0].numpy(), load("ln_final.hook_normalized")))
        worst = max(np.abs(a - b).max() / np.abs(b).max() for _, a, b in pairs)
        bound = 6e-2 if case["dtype"] == "BF16" else 1e-5
        failed = failed or worst > bound
        print("%-24s %s, %d tensors, worst max|diff|/max|ref| = %.2e (bound %.0e)"
              % (case["name"], dtype, len(pairs), worst, bound))
    print("transformers %s, torch %s" % (transformers.__version__, torch.__version__))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
