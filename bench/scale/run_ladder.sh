#!/usr/bin/env bash
# Writes the random-weight checkpoints and SAEs of the ladder under $ROOT (default
# /tmp/gyrus-scale; about 24 GB of disk: 8B-shaped 16 GB, Gemma-2-2B-shaped 5.2 GB), runs
# bench_scale's ladder and its engine run on the 8B-shaped model, prints the JSON, and deletes
# everything it wrote unless KEEP=1. Run one at a time on a shared machine: the 8B rung holds
# ~6 GB. Usage: bench/scale/run_ladder.sh [BUILD_DIR]
set -euo pipefail
BUILD=${1:-build}
BENCH="$BUILD/bench/scale/bench_scale"
ROOT=${ROOT:-/tmp/gyrus-scale}
mkdir -p "$ROOT"
cleanup() { if [ "${KEEP:-0}" != 1 ]; then rm -rf "$ROOT"/llama-124m "$ROOT"/gemma-2-2b "$ROOT"/llama-3.1-8b "$ROOT"/sae-*; fi; }
trap cleanup EXIT
for preset in llama-124m gemma-2-2b llama-3.1-8b; do
    [ -f "$ROOT/$preset/model.safetensors.index.json" ] || "$BENCH" write-model "$preset" "$ROOT/$preset" >&2
done
# An SAE at layer 12 of the 8B-shaped model (Llama Scope's 32k width).
[ -f "$ROOT/sae-llama-l12-32k/cfg.json" ] ||
    "$BENCH" write-sae "$ROOT/sae-llama-l12-32k" 4096 32768 blocks.12.hook_resid_post >&2
"$BENCH" ladder "$ROOT" --widths "${WIDTHS:-16384,65536,131072,262144}"
"$BENCH" engine "$ROOT/llama-3.1-8b" "$ROOT/sae-llama-l12-32k"
