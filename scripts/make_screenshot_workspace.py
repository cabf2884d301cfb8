#!/usr/bin/python3
"""Writes a .gyrus workspace for the screenshots (scripts/screenshots): the demo model and SAE,
and the SAE training dock's state rebuilt from the demo SAE's real training log
(datasets/demo/sae/train_log.jsonl) and evaluation (eval.json). It also shows that a workspace
is plain HDF5 + JSON (core/session/workspace_file.h).

usage: make_screenshot_workspace.py REPO_ROOT OUT.gyrus
"""
import json
import os
import sys

import h5py


def main():
    root, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    sae = os.path.join(root, "datasets/demo/sae")
    model = os.path.join(root, "datasets/demo/model")
    log = [json.loads(line) for line in open(os.path.join(sae, "train_log.jsonl"))]
    evaluation = json.load(open(os.path.join(sae, "eval.json")))
    total = log[-1]["step"]
    history = [{
        "step": m["step"], "total_steps": total, "tokens": m["tokens"], "loss": m["loss"],
        "mse": m["mse"], "normalized_mse": m["normalized_mse"],
        "explained_variance": m["explained_variance"], "l0": m["l0"], "l1": m["l1"],
        "dead_fraction": m["dead_fraction"], "dense_fraction": m["dense_fraction"],
        "lr": m["lr"], "tokens_per_second": m["tokens_per_second"],
        "eta_seconds": m["eta_seconds"], "density_histogram": m["log10_density_histogram"],
        "histogram_low": -10.0, "histogram_high": 0.0,
    } for m in log]
    form = {
        "activations": "build/demo-work/acts-train.h5", "dataset": "activations",
        "hook_name": "blocks.2.hook_resid_post", "architecture": "topk", "d_sae": 1536,
        "k": 32, "l1_coefficient": 5.0, "l0_coefficient": 0.01, "batch_size": 4096,
        "tokens": total * 4096, "lr": 0.0, "device": "cpu", "seed": "0", "out": sae,
        "resume_checkpoint": "",
    }
    training = {
        "version": 1, "form": form, "last_submitted": form, "history": history,
        "runs": [{"out": sae, "request": form}], "paused_checkpoint": "",
        "outcome": {"out": sae, "last": history[-1]},
        "evaluation": dict({k: evaluation[k] for k in (
            "hook_name", "tokens", "explained_variance", "mse", "l0", "dead_fraction",
            "dense_fraction", "ce_tokens", "ce_loss_original", "ce_loss_sae", "ce_loss_zero",
            "ce_loss_with_error", "kl_sae", "ce_loss_recovered")}, sae=sae),
    }
    sections = {
        "model": {"version": 1, "path": model, "device": "cpu", "dtype": "fp32"},
        "sae": {"version": 1, "path": sae, "device": "cpu"},
        "sae_training": training,
    }
    string = h5py.string_dtype("utf-8")
    with h5py.File(out, "w") as f:
        f.attrs.create("format", "gyrus.workspace", dtype=string)
        f.attrs.create("format_version", "1", dtype=string)
        f.create_dataset("provenance", data=json.dumps({"made_by": __file__}), dtype=string)
        for name, state in sections.items():
            f.create_dataset("sections/" + name, data=json.dumps(state), dtype=string)


if __name__ == "__main__":
    main()
