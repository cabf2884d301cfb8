#!/usr/bin/env bash
# The GPU checks and figures of docs/torch2.md ("On a GPU"), in one run of about 6 minutes on an
# H100: the cuda-labelled tests, forward parity and speed against transformers (eager and sdpa)
# on a random checkpoint of Llama-3.2-1B's shape, SAE training tokens/s for TopK and JumpReLU at
# d_in 2304, d_sae 65,536, batch 4,096 against a plain PyTorch step of the same maths and the
# device's bf16 matmul rate, bf16 against float32 (loss/EV), and RSA of 2,000 items x 16,384
# features on the GPU against the CPU path. Every figure is a ratio measured in this run.
#
# Prepare on the build machine: scripts/device-bundle (writes .device-bundle/). On the GPU
# machine, from the repository root, with .device-bundle carried:
#   bench/torch2/device/run.sh            results in $OUT (results.json, log.txt)
# A dry run without a GPU (the bundle through its own loader, tiny sizes, the CPU):
#   GYRUS_DEVICE=cpu bench/torch2/device/run.sh
set -uo pipefail
cd "$(dirname "$0")/../../.."
bundle=${GYRUS_BUNDLE:-.device-bundle}
device=${GYRUS_DEVICE:-cuda:0}
out=${OUT:-/tmp/gyrus-device-out}
mkdir -p "$out"
log=$out/log.txt
exec > >(tee "$log") 2>&1
if [ ! -x "$bundle/lib/ld-linux-x86-64.so.2" ]; then
    echo "run.sh: no bundle in $bundle (scripts/device-bundle makes it)"
    exit 1
fi

# LibTorch and CUDA from this machine's PyTorch, or from the wheel configuration on a dry run.
if python3 -c 'import torch' 2>/dev/null; then
    torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
    have_peer=$(python3 -c 'import transformers' 2>/dev/null && echo yes || echo no)
else
    torch_lib=$(sed -n 's/^Torch_DIR:PATH=\(.*\)\/share\/cmake\/Torch$/\1/p' build-torch2/CMakeCache.txt)/lib
    have_peer=no
fi
nvidia_libs=$(ls -d "$(dirname "$(dirname "$torch_lib")")"/nvidia/*/lib 2>/dev/null | tr '\n' ':')
libpath="$PWD/$bundle/lib:$torch_lib:$nvidia_libs/usr/local/nvidia/lib64:/usr/local/nvidia/lib"
source_dir=$(cat "$bundle/source-dir")
if [ ! -e "$source_dir/tests/data" ]; then
    mkdir -p "$(dirname "$source_dir")" && ln -sfn "$PWD" "$source_dir"
fi
export GYRUS_SENTENCEPIECE_MODULE=$PWD/$bundle/lib/libgyrus_sentencepiece.so
export QT_QPA_PLATFORM=offscreen
gyrus() { "$bundle/lib/ld-linux-x86-64.so.2" --library-path "$libpath" "$bundle/bin/$1" "${@:2}"; }
peer() { python3 bench/torch2/device/hf_peer.py "$@"; }
step() { echo "=== $* ($(date +%T))"; }

if [ "$device" = cpu ]; then
    size=tiny sae=(--d-in 64 --d-sae 512 --batch 256) rsa=(--n-rdm 200 --features 256)
    forward=(--batch 2 --tokens 32 --decode-tokens 8 --repeats 1)
    export GYRUS_CUDA_TEST_DEVICE=cpu
else
    size=1b sae=(--d-in 2304 --d-sae 65536 --batch 4096) rsa=(--n-rdm 2000 --features 16384)
    forward=(--batch 8 --tokens 512 --decode-tokens 128 --repeats 3)
fi
step environment
nvidia-smi -L 2>/dev/null
python3 -c 'import torch; print("python torch", torch.__version__, torch.version.cuda)' 2>/dev/null
echo "bundle LibTorch from $torch_lib; transformers peer: $have_peer"

step cuda tests
gyrus tst_llama_cuda
gyrus tst_sae_cuda

step SAE training
gyrus bench_sae_train --arch topk "${sae[@]}" --steps 5 --device "${device%%:*}" >"$out/sae_topk.json"
gyrus bench_sae_train --arch jumprelu "${sae[@]}" --steps 5 --device "${device%%:*}" >"$out/sae_jumprelu.json"
if [ "$have_peer" = yes ]; then
    peer sae-step --arch topk "${sae[@]}" --device "$device" >"$out/peer_sae_topk.json"
    peer sae-step --arch jumprelu "${sae[@]}" --device "$device" >"$out/peer_sae_jumprelu.json"
fi

step mixed precision
gyrus bench_mixed_precision --device "${device%%:*}" --steps 300 >"$out/mixed_precision.json"

step RSA on the device and on the CPU
gyrus bench_rsa "${rsa[@]}" --no-peer >"$out/rsa_device.json"
CUDA_VISIBLE_DEVICES= gyrus bench_rsa "${rsa[@]}" --no-peer >"$out/rsa_cpu.json"

if [ "$have_peer" = yes ]; then
    step forward against transformers
    model=/tmp/gyrus-random-llama
    [ -f "$model/config.json" ] || peer make-model "$model" --size "$size"
    dtype=bf16
    [ "$device" = cpu ] && dtype=fp32
    gyrus bench_device_forward --model "$model" --device "$device" --dtype "$dtype" \
        "${forward[@]}" --logits-out "$out/logits_gyrus.f32" >"$out/forward_gyrus.json"
    for attn in eager sdpa; do
        peer forward "$model" --attn "$attn" --device "$device" --dtype "$dtype" "${forward[@]}" \
            --logits-out "$out/logits_$attn.f32" >"$out/forward_$attn.json"
    done
fi

step summary
python3 - "$out" <<'PY'
import glob, json, os, sys
import numpy as np
out = sys.argv[1]
def load(name):
    path = os.path.join(out, name)
    return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else None
r = {}
for arch in ("topk", "jumprelu"):
    g, p = load(f"sae_{arch}.json"), load(f"peer_sae_{arch}.json")
    if g:
        row = g["results"][0]
        r[f"sae_{arch}"] = {"gyrus_tokens_per_s": row["tokens_per_second"],
                            "gyrus_matmul_fraction": row["matmul_fraction"]}
        if p:
            r[f"sae_{arch}"].update(torch_tokens_per_s=p["tokens_per_s"],
                                    ratio_to_torch=row["tokens_per_second"] / p["tokens_per_s"],
                                    bf16_matmul_tflops=p["bf16_matmul_tflops"],
                                    gyrus_tflops_6dn=row["tokens_per_second"] * 6 * g["d_in"] * g["d_sae"] / 1e12)
r["mixed_precision"] = load("mixed_precision.json")
d, c = load("rsa_device.json"), load("rsa_cpu.json")
if d and c:
    r["rsa"] = {k: {"device_s": d[k]["gyrus_s"], "cpu_s": c[k]["gyrus_s"],
                    "speedup": c[k]["gyrus_s"] / d[k]["gyrus_s"]}
                for k in ("rdm_correlation", "rsa_spearman_permutations")}
g = load("forward_gyrus.json")
if g:
    r["forward"] = {"gyrus": g}
    mine = np.fromfile(os.path.join(out, "logits_gyrus.f32"), dtype=np.float32)
    for attn in ("eager", "sdpa"):
        p = load(f"forward_{attn}.json")
        if p:
            theirs = np.fromfile(os.path.join(out, f"logits_{attn}.f32"), dtype=np.float32)
            r["forward"][attn] = p
            r["forward"][f"prefill_ratio_to_{attn}"] = g["prefill"]["tokens_per_s"] / p["prefill_tokens_per_s"]
            r["forward"][f"decode_ratio_to_{attn}"] = g["decode"]["tokens_per_s"] / p["decode_tokens_per_s"]
            r["forward"][f"max_abs_logit_difference_to_{attn}"] = float(np.abs(mine - theirs).max())
            r["forward"][f"logit_scale"] = float(np.abs(theirs).max())
json.dump(r, open(os.path.join(out, "results.json"), "w"), indent=1)
print(json.dumps(r, indent=1))
PY
