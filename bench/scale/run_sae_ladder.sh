#!/usr/bin/env bash
# The wide-SAE ladder through the app's engine: random-weight bf16 JumpReLU SAEs of 16k, 65k, 131k
# and 262k features at d_in 2304 (Gemma-2-2B) and 4096 (Llama-3.1-8B), each loaded, encoded
# (heatmap), clamped (steering), scanned, inspected and mapped (feature-wise RSA on 64 items) by
# `bench_scale sae-engine`, one child process per rung so each peak RSS is its own. The models
# are the two shapes restricted to the layers the SAE needs (2 layers, SAE at layer 1: a job at
# layer L reads layers 0..L only), written once under $ROOT; each SAE is written, measured and
# deleted before the next (262k x 4096 in bf16 is 4.3 GB). Prints one JSON object per rung.
# Run alone on a shared machine (the 262k x 4096 rung holds ~6 GB).
# Usage: bench/scale/run_sae_ladder.sh [BUILD_DIR]   (WIDTHS, DINS, SCAN_TOKENS, ROOT, KEEP=1)
set -euo pipefail
BUILD=${1:-build}
BENCH="$BUILD/bench/scale/bench_scale"
ROOT=${ROOT:-/tmp/gyrus-scale}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$ROOT"
cleanup() {
    rm -rf "$ROOT"/sae-wide
    if [ "${KEEP:-0}" != 1 ]; then rm -rf "$ROOT"/gemma-2-2b-l2 "$ROOT"/llama-3.1-8b-l2; fi
}
trap cleanup EXIT
for din in ${DINS:-2304 4096}; do
    case $din in
        2304) model="$ROOT/gemma-2-2b-l2"; preset=gemma-2-2b:2 ;;
        4096) model="$ROOT/llama-3.1-8b-l2"; preset=llama-3.1-8b:2 ;;
        *) echo "d_in must be 2304 or 4096" >&2; exit 2 ;;
    esac
    [ -f "$model/model.safetensors.index.json" ] || "$BENCH" write-model "$preset" "$model" >&2
    for width in ${WIDTHS:-16384 65536 131072 262144}; do
        rm -rf "$ROOT/sae-wide"
        "$BENCH" write-sae "$ROOT/sae-wide" "$din" "$width" blocks.1.hook_resid_post bf16 >&2
        "$BENCH" sae-engine "$model" "$ROOT/sae-wide" "${SCAN_TOKENS:-512}"
    done
done
