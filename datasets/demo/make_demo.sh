#!/usr/bin/env bash
# Rebuilds the demo assets with gyrus-cli: the model (datasets/demo/model), its evaluation against
# n-gram baselines, and the demo SAE (datasets/demo/sae). Needs a build (scripts/build).
#   datasets/demo/make_demo.sh [WORK_DIR]      (WORK_DIR keeps checkpoints and caches; resumable)
# On a CUDA build add DEVICE=cuda:0 (and more --steps: the recipe below fits a 2-core CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=${GYRUS_CLI:-build/app/cli/gyrus-cli}
work=${1:-build/demo-work}
device=${DEVICE:-cpu}
mkdir -p "$work"

# 1. The language model: Llama architecture, 4 layers, d_model 192, 6 heads over 2 KV heads,
#    SwiGLU 512, tied embeddings (2.36 M parameters), 1200 steps of 32 x 128 tokens (4.9 M tokens,
#    ~1.2 epochs of the train split), AdamW lr 3e-3, 100 warm-up steps, cosine decay to 10%.
"$cli" train-lm --train datasets/corpus/train.txt --heldout datasets/corpus/heldout.txt \
    --tokenizer datasets/demo/tokenizer/tokenizer.model --out "$work/model" \
    --checkpoint "$work/model-checkpoint.safetensors" --device "$device" \
    --layers 4 --d-model 192 --heads 6 --kv-heads 2 --ffn 512 --context 128 --batch 32 \
    --steps 1200 --warmup 100 --lr 0.003 --eval-every 200 --eval-sequences 64 \
    --checkpoint-every 100 --seed 1 --save-dtype fp16 > "$work/train-lm.json"
mkdir -p datasets/demo/model
cp "$work/model/config.json" "$work/model/model.safetensors" "$work/model/tokenizer.model" \
    "$work/model/train_log.jsonl" datasets/demo/model/

# 2. Held-out cross-entropy next to the unigram and bigram baselines (all windows of 128 tokens).
"$cli" lm-eval --model datasets/demo/model --text datasets/corpus/heldout.txt \
    --baseline-train datasets/corpus/train.txt --context 128 > datasets/demo/model/eval.json

# 3. The demo SAE: TopK, 8x expansion, on the middle of the residual stream.
"$cli" cache --model datasets/demo/model --corpus datasets/corpus/train.txt \
    --hook blocks.2.hook_resid_post --context-length 128 --tokens 2000000 --storage float32 \
    --out "$work/acts.h5"
"$cli" sae train --activations "$work/acts.h5" --arch topk --d-sae 1536 -k 32 \
    --batch-size 4096 --tokens 8192000 --seed 1 --device "$device" --out datasets/demo/sae
"$cli" cache --model datasets/demo/model --corpus datasets/corpus/heldout.txt \
    --hook blocks.2.hook_resid_post --context-length 128 --storage float32 \
    --out "$work/acts-heldout.h5"
"$cli" sae eval --sae datasets/demo/sae --activations "$work/acts-heldout.h5" \
    > datasets/demo/sae/eval.json

# 4. The demo SAE's corpus scan (top examples, histograms, logit effects of every feature), shipped
#    so the Features dock is full on first start: the first 50k tokens of the held-out text (2 MB;
#    the app finds it by the SAE's fingerprint and never writes into the SAE directory).
"$cli" scan --model datasets/demo/model --sae datasets/demo/sae \
    --corpus datasets/corpus/heldout.txt --tokens 50000 --scan-file datasets/demo/sae/gyrus_scan.bin
