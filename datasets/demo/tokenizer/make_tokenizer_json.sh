#!/usr/bin/env bash
# Regenerates tokenizer.json and tokenizer_config.json (here and in ../model/) from tokenizer.model and checks it: Hugging
# Face `tokenizers` must give sentencepiece's ids and decoded text on every held-out line. Pinned
# PyPI packages in a throwaway virtual environment. Usage: make_tokenizer_json.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$(mktemp -d /tmp/gyrus-demo-tokenizer.XXXXXX)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "tokenizers==0.20.3" "sentencepiece==0.2.0" "protobuf==5.28.3"
"$venv/bin/python" "$here/make_tokenizer_json.py" "$here/tokenizer.model" \
    "$here/../../corpus/heldout.txt" "$here" "$here/../model"
