#!/usr/bin/python3
"""Checks make_checkpoints.py's float64 numpy reference against the committed transformers
fixture (hf/, made by scripts/hf-reference): two forwards written independently of each other
and of Gyrus.

Usage: /usr/bin/python3 compare_with_transformers.py [HF_DIR]     (needs only numpy)

Prints per case and transformers run the largest |difference| over the logits and every residual
hook both have, relative to the largest reference magnitude. Exits 1 when a float64 or float32
run of a float32 checkpoint differs by more than 1e-5, or a run of a bfloat16 one by more than
6e-2. (transformers computes RoPE
tables in float32 even in a float64 run, so RoPE families agree to ~1e-7, not 1e-15; for
bfloat16 checkpoints its float64 run keeps Gemma's sqrt(d) normaliser in float64 where the
reference rounds it to bfloat16 as a bfloat16 run does.)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    hf = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "hf")
    with open(os.path.join(hf, "manifest.json")) as f:
        fixture = json.load(f)
    failed = False
    with tempfile.TemporaryDirectory() as ref:
        subprocess.run([sys.executable, os.path.join(HERE, "make_checkpoints.py"), ref], check=True)
        with open(os.path.join(ref, "manifest.json")) as f:
            cases = {c["name"]: c for c in json.load(f)["cases"]}
        for case in fixture["cases"]:
            reference = cases[case["name"]]
            assert reference["tokens"] == case["tokens"], case["name"]
            for dtype, run in sorted(case["runs"].items()):
                with open(os.path.join(hf, run["file"]), "rb") as f:
                    raw = f.read()
                worst, where, count = 0.0, "", 0
                for key, entry in run["tensors"].items():
                    if key not in reference["outputs"]:
                        continue
                    array = np.frombuffer(raw, dtype="<f8" if run["element"] == 8 else "<f4",
                                          count=int(np.prod(entry["shape"])),
                                          offset=entry["offset"]).astype(np.float64)
                    out = reference["outputs"][key]
                    expected = np.fromfile(os.path.join(ref, out["file"]), "<f8")
                    relative = np.abs(array - expected).max() / np.abs(expected).max()
                    count += 1
                    if relative > worst:
                        worst, where = relative, key
                bound = 6e-2 if "bfloat16" in case["runs"] else 1e-5
                failed = failed or worst > bound
                print("%-36s %-8s %2d tensors, worst max|diff|/max|ref| = %.2e (%s; bound %.0e)"
                      % (case["name"], dtype, count, worst, where, bound))
    print("transformers %s, torch %s" % (fixture["transformers"], fixture["torch"]))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
