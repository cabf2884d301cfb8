#!/usr/bin/env python3
"""Gyrus on LibTorch 2.x (build-torch2/) against Debian's 1.13 (build/) on the CPU, side by side.

Runs each bench of both builds alternately in one session (1.13, 2.x, 1.13, 2.x, ...) with
OMP_NUM_THREADS=1 and --threads 1 where the bench has it, so machine load drifts over both
alike, and keeps the best of the rounds per build. Prints one JSON object: every figure for
both builds and the ratio 2.x / 1.13 (above 1: 2.x faster, for rates) measured in the same run.

    bench/torch2/compare_cpu.py [--debian build] [--torch2 build-torch2] [--rounds 3]

Start-up is the wall time of `gyrus-cli env` (loads LibTorch, initialises it, prints the
runtime) when both builds have gyrus-cli, else of tst_runtime_info (loads and initialises
LibTorch, reads the runtime, one small matrix product); `startup_probe` says which.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def run_json(command, env):
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out[out.index("{"):])


def wall(command, env):
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--debian", default="build")
    parser.add_argument("--torch2", default="build-torch2")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", QT_QPA_PLATFORM="offscreen")
    builds = {"1.13": args.debian, "2.x": args.torch2}

    def exe(build, path):
        return os.path.join(build, path)

    jobs = {}
    # Start-up: the smallest process both builds have that loads and initialises LibTorch.
    for probe in (["app/cli/gyrus-cli", "env"], ["tests/gpu/tst_runtime_info"]):
        if all(os.path.exists(exe(b, probe[0])) for b in builds.values()):
            jobs["startup_seconds"] = (lambda b, p=probe: wall([exe(b, p[0])] + p[1:], env), min)
            startup_probe = " ".join(probe)
            break
    jobs["forward"] = (lambda b: run_json([exe(b, "bench/forward/bench_forward"), "--no-peer",
                                           "--rounds", "1"], env), None)
    jobs["sae_train"] = (lambda b: run_json([exe(b, "bench/sae_train/bench_sae_train"),
                                             "--arch", "all", "--steps", "4", "--threads", "1"],
                                            env), None)
    jobs["rsa"] = (lambda b: run_json([exe(b, "bench/rsa/bench_rsa"), "--no-peer"], env), None)

    results = {name: {label: [] for label in builds} for name in jobs}
    for _ in range(args.rounds):
        for name, (job, _) in jobs.items():
            for label, build in builds.items():
                results[name][label].append(job(build))

    def best_rate(samples, get):
        return max(get(s) for s in samples)

    def best_time(samples, get):
        return min(get(s) for s in samples)

    report = {"bench": "torch2_vs_debian_cpu", "rounds": args.rounds, "omp_num_threads": 1,
              "builds": builds}
    figures = {}
    if "startup_seconds" in results:
        figures["startup_seconds"] = {k: min(v) for k, v in results["startup_seconds"].items()}
        report["startup_probe"] = startup_probe
    for key in ("prefill", "decode"):
        figures[f"forward_{key}_tokens_per_s"] = {
            label: best_rate(s, lambda j: j[key]["gyrus_tokens_per_s"])
            for label, s in results["forward"].items()}
    archs = [r["arch"] for r in results["sae_train"]["1.13"][0]["results"]]
    for arch in archs:
        figures[f"sae_train_{arch}_tokens_per_s"] = {
            label: best_rate(s, lambda j: next(r["tokens_per_second"] for r in j["results"]
                                               if r["arch"] == arch))
            for label, s in results["sae_train"].items()}
    # bench_rsa times the correlation RDM in float64 (the default) and float32.
    for precision in ("float64", "float32"):
        figures[f"rdm_{precision}_seconds"] = {
            label: best_time(s, lambda j: j["rdm_correlation"][f"gyrus_{precision}_s"])
            for label, s in results["rsa"].items()}
    figures["rsa_permutations_seconds"] = {
        label: best_time(s, lambda j: j["rsa_spearman_permutations"]["gyrus_s"])
        for label, s in results["rsa"].items()}
    for name, pair in figures.items():
        faster = pair["2.x"] / pair["1.13"] if "tokens_per_s" in name else pair["1.13"] / pair["2.x"]
        pair["speed_ratio_2x_over_1_13"] = faster
    report["figures"] = figures
    report["torch"] = {label: results["forward"][label][0]["torch"] for label in builds}
    report["blas"] = {label: results["forward"][label][0]["blas"] for label in builds}
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
