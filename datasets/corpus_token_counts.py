#!/usr/bin/python3
"""Counts the tokens of the demo corpus under a sentencepiece model, per source and split.

    /usr/bin/python3 datasets/corpus_token_counts.py datasets/demo/tokenizer/tokenizer.model

Each line of train.txt / heldout.txt is encoded on its own without BOS/EOS by `spm_encode`
(Debian package sentencepiece: the same library gyrus links). Prints a Markdown table of tokens,
words and tokens per word, and the share of byte-fallback and unknown tokens.
"""

import os
import subprocess
import sys


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    model = sys.argv[1]
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    pieces = subprocess.run(["spm_export_vocab", f"--model={model}"], check=True,
                            stdout=subprocess.PIPE, text=True).stdout.splitlines()
    byte_ids = {i for i, p in enumerate(pieces) if p.startswith("<0x")}
    unk_id = 0
    counts = {}  # split -> per-line token counts
    special = {}
    for split in ("train", "heldout"):
        path = os.path.join(corpus, f"{split}.txt")
        with open(path, "rb") as f:
            out = subprocess.run(["spm_encode", f"--model={model}", "--output_format=id"],
                                 stdin=f, check=True, stdout=subprocess.PIPE, text=True).stdout
        ids = [[int(t) for t in line.split()] for line in out.split("\n")[:-1]]
        counts[split] = [len(line) for line in ids]
        flat = [t for line in ids for t in line]
        special[split] = (sum(t in byte_ids for t in flat), sum(t == unk_id for t in flat),
                          len(flat))
    table = {}
    with open(os.path.join(corpus, "documents.tsv"), encoding="utf-8") as f:
        next(f)
        for row in f:
            _, source, _, split, first, last, words = row.rstrip("\n").split("\t")
            t = table.setdefault((source, split), [0, 0])
            t[0] += sum(counts[split][int(first) - 1:int(last)])
            t[1] += int(words)
    print("| source | split | tokens | words | tokens/word |")
    print("|---|---|---:|---:|---:|")
    for (source, split), (tokens, words) in sorted(table.items()):
        print(f"| {source} | {split} | {tokens:,} | {words:,} | {tokens / words:.3f} |")
    for split in ("train", "heldout"):
        tokens = sum(counts[split])
        words = sum(w for (_, sp), (_, w) in table.items() if sp == split)
        print(f"| all | {split} | {tokens:,} | {words:,} | {tokens / words:.3f} |")
    print()
    for split in ("train", "heldout"):
        byte, unk, total = special[split]
        print(f"{split}: {100 * byte / total:.3f}% byte-fallback tokens, {unk} unknown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
