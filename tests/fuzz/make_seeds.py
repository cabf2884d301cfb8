"""Fills the seed corpus of each fuzz target from real files in the repository (and ../shared when
it is there). Harnesses whose formats have no files in the repository (clamp sets, RDM CSV,
corpus scans, workspaces) write their own seeds with Gyrus's writers (GYRUS_FUZZ_SEED_DIR).

usage: make_seeds.py REPO SHARED OUT    (OUT/<target>/ gets the seeds)
"""
import glob
import json
import os
import shutil
import sys

repo, shared, out = sys.argv[1:4]
SMALL = 256 * 1024  # larger files are mostly tensor bytes: slow to mutate, no new parser paths


def put(target, paths, limit=SMALL):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    for i, path in enumerate(sorted(paths)):
        if os.path.isfile(path) and os.path.getsize(path) <= limit:
            shutil.copyfile(path, os.path.join(folder, "%03d_%s" % (i, os.path.basename(path))))


def put_text(target, name, text):
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text)


def files(*patterns):
    return [p for pattern in patterns for p in glob.glob(os.path.join(repo, pattern), recursive=True)]


put("fuzz_safetensors_file", files("tests/data/**/*.safetensors", "datasets/**/*.safetensors"))
# An index over the two shards fuzz_safetensors_index writes, as transformers writes one.
put_text("fuzz_safetensors_index", "index.json", json.dumps({
    "metadata": {"total_size": 48},
    "weight_map": {"model.embed_tokens.weight": "model-00001-of-00002.safetensors",
                   "model.norm.weight": "model-00002-of-00002.safetensors",
                   "lm_head.weight": "model-00002-of-00002.safetensors"}}, indent=2))
put("fuzz_model_config", files("datasets/**/config.json", "tests/data/**/config.json"))
sys.path.insert(0, os.path.join(repo, "tests/data/model_families"))
try:  # the families' configs as the fixtures write them (needs numpy only to import)
    import make_checkpoints as mc
    for name, config in [("gpt2", mc.gpt2_config()), ("llama3", mc.llama_config(mc.LLAMA3)),
                         ("qwen2", mc.qwen_config("qwen2")), ("qwen3", mc.qwen_config("qwen3")),
                         ("neox", mc.neox_config()), ("gemma2", mc.gemma2_config()),
                         ("gemma3", mc.gemma3_multimodal_config())]:
        put_text("fuzz_model_config", name + ".json", json.dumps(config, indent=2))
except ImportError:
    pass
put("fuzz_sentencepiece_model", files("datasets/**/tokenizer.model") +
    glob.glob(os.path.join(shared, "tokenizers/*/tokenizer.model")))
put("fuzz_saelens_config", files("tests/data/**/cfg.json", "datasets/**/cfg.json"))
put("fuzz_npz", files("tests/data/**/*.npz"))
put("fuzz_prompt_set", files("datasets/prompt-sets/**/*.json") +
    glob.glob(os.path.join(shared, "seed-prompt-sets/**/*.json"), recursive=True))

# tokenizer.json: each real file cut down to its first 600 tokens and the merges among them (the
# same components, small enough for many runs a second).
for name in ["gpt2", "gemma2", "llama3_1", "qwen3", "mistral-lenml-llama2"]:
    try:
        data = json.load(open(os.path.join(shared, "tokenizers", name, "tokenizer.json"),
                              encoding="utf-8"))
    except OSError:
        continue
    vocab = {t: i for t, i in data["model"]["vocab"].items() if i < 600}

    def parts(m):
        return m.split(" ", 1) if isinstance(m, str) else m
    data["model"]["vocab"] = vocab
    data["model"]["merges"] = [m for m in data["model"]["merges"]
                               if all(p in vocab for p in parts(m)) and "".join(parts(m)) in vocab]
    data["added_tokens"] = data["added_tokens"][:20]
    put_text("fuzz_tokenizer_json", name + ".json", json.dumps(data, ensure_ascii=False))
