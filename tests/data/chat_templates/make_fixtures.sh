#!/usr/bin/env bash
# Regenerates expected.json: reference renderings of the real chat templates by Hugging Face
# transformers' own apply_chat_template (PyPI, pinned), in a throwaway virtual environment.
# transformers' chat templating needs jinja2 but not torch. Usage: make_fixtures.sh [SHARED_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shared="${1:-$here/../../../../shared}"
venv="$(mktemp -d /tmp/gyrus-chat-templates.XXXXXX)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet "transformers==4.46.3" "jinja2==3.1.4" "tokenizers==0.20.3"
"$venv/bin/python" "$here/make_fixtures.py" "$shared/tokenizers" "$here/expected.json"
