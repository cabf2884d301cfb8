#!/usr/bin/env python3
"""Data-parallel SAE training throughput on this host: `gyrus-cli launch --nproc W -- sae train`
for each world size W, on the same synthetic activations, the same global batch and the same data
shards, so every W trains on the same batches. Prints JSON: tokens/s per W, its ratio to W = 1
measured in the same run, and the time per step spent in collectives (the gradient all-reduce and,
for batchtopk, the threshold gather) against the step time. The launcher gives each rank
cores / W OpenMP threads, so W > cores shows the overhead of processes sharing cores.

Usage: bench_distributed.py --cli build/app/cli/gyrus-cli [--worlds 1,2,4] [--arch topk]
       [--d-in 256] [--d-sae 4096] [--k 32] [--batch 4096] [--steps 30] [--rows 65536]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def write_activations(path, rows, d, seed):
    # Sparse combinations of 4·d unit directions, like a residual stream seen by an SAE.
    rng = np.random.default_rng(seed)
    dictionary = rng.standard_normal((4 * d, d)).astype(np.float32)
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    with h5py.File(path, "w") as f:
        out = f.create_dataset("activations", (rows, d), dtype="float32", chunks=(1024, d))
        for start in range(0, rows, 8192):
            n = min(8192, rows - start)
            codes = np.zeros((n, 4 * d), dtype=np.float32)
            for j in range(8):
                codes[np.arange(n), rng.integers(0, 4 * d, n)] = np.abs(rng.normal(2.0, 0.5, n))
            out[start:start + n] = codes @ dictionary
        f.attrs["hook_name"] = "synthetic"
        f.attrs["model"] = "synthetic"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--worlds", default="1,2,4")
    parser.add_argument("--arch", default="topk")
    parser.add_argument("--d-in", type=int, default=256)
    parser.add_argument("--d-sae", type=int, default=4096)
    parser.add_argument("--k", type=int, default=32)
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rows", type=int, default=65536)
    args = parser.parse_args()
    worlds = [int(w) for w in args.worlds.split(",")]
    shards = max(worlds)
    results = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "acts.h5")
        write_activations(data, args.rows, args.d_in, 1)
        for world in worlds:
            out = os.path.join(work, f"sae-{world}")
            environment = dict(os.environ)
            for name in ("RANK", "WORLD_SIZE", "MASTER_PORT", "OMP_NUM_THREADS"):
                environment.pop(name, None)
            command = [args.cli, "launch", "--nproc", str(world), "--", "sae", "train",
                       "--activations", data, "--data-shards", str(shards), "--arch", args.arch,
                       "--d-sae", str(args.d_sae), "--k", str(args.k), "--batch-size",
                       str(args.batch), "--tokens", str(args.batch * args.steps),
                       "--metrics-every", str(args.steps), "--normalisation-tokens", "8192",
                       "--seed", "1", "--out", out]
            run = subprocess.run(command, capture_output=True, text=True, env=environment)
            if run.returncode != 0:
                sys.exit(f"world size {world} failed: {run.stderr.strip()}")
            final = json.loads(run.stdout)["final"]
            results.append({
                "world_size": world,
                "threads_per_rank": max(1, (os.cpu_count() or 1) // world),
                "tokens_per_second": final["tokens_per_second"],
                "step_seconds": final["step_seconds"],
                "collective_seconds_per_step": final["collective_seconds"],
                "collective_share": final["collective_seconds"] / final["step_seconds"],
                "explained_variance": final["explained_variance"],
            })
    base = results[0]["tokens_per_second"]
    for result in results:
        result["throughput_ratio_vs_world_1"] = result["tokens_per_second"] / base
    print(json.dumps({
        "bench": "sae_train_distributed",
        "cores": os.cpu_count(),
        "shape": {"arch": args.arch, "d_in": args.d_in, "d_sae": args.d_sae, "k": args.k,
                  "batch": args.batch, "steps": args.steps, "data_shards": shards},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }, indent=2))


if __name__ == "__main__":
    main()
