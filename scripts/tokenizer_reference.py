"""Reference ids and offsets from Hugging Face's Rust `tokenizers` (run by scripts/tokenizer-reference).

The held-out corpus is encoded as texts: every line alone, then every run of 10 lines joined with
"\n" (so line breaks are tokenised too). Texts are digested in groups of GROUP: the SHA-256 of
"ids;offsets\n" per text (ids comma-separated, offsets "start-end" in code points), so the fixture
stays small while any difference in any id or offset changes a digest. Hard strings are stored in
full, with and without the special tokens. The same text list and digest are computed by
tests/core/tokenizer_reference_data.cpp.
"""
import argparse
import hashlib
import json
import sys

GROUP = 50
PARAGRAPH_LINES = 10

# name -> files, as in ../shared/tokenizers
TOKENIZERS = {
    "gpt2": "gpt2/tokenizer.json",
    "gemma2": "gemma2/tokenizer.json",
    "gemma3": "gemma3/tokenizer.json",
    "llama3": "llama3/tokenizer.json",
    "llama3_1": "llama3_1/tokenizer.json",
    "qwen2_5": "qwen2_5/tokenizer.json",
    "qwen3": "qwen3/tokenizer.json",
    "mistral": "mistral-lenml-llama2/tokenizer.json",
    "gpt2-original": "gpt2-original",
}


def load(shared, name):
    import tokenizers
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    rel = TOKENIZERS[name]
    if rel.endswith(".json"):
        return Tokenizer.from_file(f"{shared}/{rel}")
    # GPT-2's original vocab.json + merges.txt, set up as transformers' GPT2Converter does.
    bpe = models.BPE.from_file(f"{shared}/{rel}/encoder.json", f"{shared}/{rel}/vocab.bpe",
                               continuing_subword_prefix="", end_of_word_suffix="",
                               fuse_unk=False)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens([tokenizers.AddedToken("<|endoftext|>", special=True)])
    return tok


def corpus_texts(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    texts = list(lines)
    for i in range(0, len(lines), PARAGRAPH_LINES):
        texts.append("\n".join(lines[i:i + PARAGRAPH_LINES]))
    return texts


def canonical(ids, offsets):
    return (",".join(map(str, ids)) + ";" +
            ",".join(f"{s}-{e}" for s, e in offsets) + "\n")


def digests(encodings):
    out = []
    for g in range(0, len(encodings), GROUP):
        h = hashlib.sha256()
        for enc in encodings[g:g + GROUP]:
            h.update(canonical(enc.ids, enc.offsets).encode())
        out.append(h.hexdigest()[:16])
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shared", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--hard", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dump", help="print one tokenizer's corpus encodings as JSON lines")
    args = parser.parse_args()

    import tokenizers
    texts = corpus_texts(args.corpus)
    with open(args.hard, encoding="utf-8") as f:
        hard = json.load(f)
    if args.dump:
        tok = load(args.shared, args.dump)
        for enc in tok.encode_batch(texts):
            print(json.dumps({"ids": enc.ids, "offsets": enc.offsets}))
        return
    out = {"tokenizers_version": tokenizers.__version__, "group": GROUP,
           "paragraph_lines": PARAGRAPH_LINES, "corpus_texts": len(texts), "tokenizers": {}}
    for name in TOKENIZERS:
        tok = load(args.shared, name)
        corpus = tok.encode_batch(texts)
        entry = {"corpus_tokens": sum(len(e.ids) for e in corpus), "corpus": digests(corpus),
                 "hard": [], "hard_no_special": [], "hard_decoded": []}
        for text in hard:
            enc = tok.encode(text)
            entry["hard"].append({"ids": enc.ids, "offsets": [list(o) for o in enc.offsets]})
            plain = tok.encode(text, add_special_tokens=False)
            entry["hard_no_special"].append({"ids": plain.ids,
                                             "offsets": [list(o) for o in plain.offsets]})
            entry["hard_decoded"].append(tok.decode(plain.ids, skip_special_tokens=False))
        out["tokenizers"][name] = entry
        print(f"{name}: {entry['corpus_tokens']} corpus tokens", file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
