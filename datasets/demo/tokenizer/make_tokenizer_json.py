"""Writes tokenizer.json: the demo tokenizer.model in Hugging Face's tokenizers format, then checks
that Hugging Face `tokenizers` gives the same ids as sentencepiece on every held-out line.

Run by make_tokenizer_json.sh (pinned `tokenizers` and `sentencepiece` from PyPI in a throwaway
virtual environment). Usage: make_tokenizer_json.py TOKENIZER_MODEL HELDOUT_TXT OUT_DIR...
(writes OUT_DIR/tokenizer.json and OUT_DIR/tokenizer_config.json)

The layout follows from the sentencepiece model's own settings (see ./README.md):
- BPE over the whole normalised line, no pre-tokenizer: sentencepiece's BPE merges across the
  line too; pieces never span a word boundary because the trainer split on whitespace.
- identity normalisation with a dummy prefix and whitespace kept: prepend "▁", spaces to "▁".
- merges: sentencepiece joins the adjacent pair whose joined piece has the highest score. Every
  pair (left, right) whose concatenation is a piece becomes a merge ranked by that piece's score,
  which is the rank HF's BPE applies.
- byte fallback for characters outside the vocabulary (pieces <0x00>..<0xFF>), unknown id 0.
- decoding: "▁" back to spaces, byte pieces to bytes, the dummy prefix's space stripped.
"""
import json
import os
import sys

import sentencepiece
import tokenizers
from sentencepiece import sentencepiece_model_pb2 as model_pb2


def read_model(path):
    proto = model_pb2.ModelProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return proto


def check_settings(proto):
    spec, norm = proto.trainer_spec, proto.normalizer_spec
    expected = {
        "model_type is BPE": spec.model_type == model_pb2.TrainerSpec.BPE,
        "byte_fallback": spec.byte_fallback,
        "identity normalisation": norm.name == "identity" and not norm.precompiled_charsmap,
        "add_dummy_prefix": norm.add_dummy_prefix,
        "whitespace kept": not norm.remove_extra_whitespaces,
        "whitespace as prefix": not spec.treat_whitespace_as_suffix,
    }
    wrong = [name for name, ok in expected.items() if not ok]
    if wrong:
        sys.exit("tokenizer.model does not have the settings this converter assumes: " + ", ".join(wrong))


def build(proto):
    Type = model_pb2.ModelProto.SentencePiece
    vocab = {piece.piece: i for i, piece in enumerate(proto.pieces)}
    scores = [piece.score for piece in proto.pieces]
    mergeable = {i for i, p in enumerate(proto.pieces) if p.type == Type.NORMAL}
    merges = []
    for piece, i in vocab.items():
        if i not in mergeable:
            continue
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                merges.append((-scores[i], i, vocab[left], vocab[right], left, right))
    merges.sort()
    specials = [(i, p.piece) for i, p in enumerate(proto.pieces)
                if p.type in (Type.CONTROL, Type.UNKNOWN)]
    unk = next(i for i, p in enumerate(proto.pieces) if p.type == Type.UNKNOWN)
    bos = proto.trainer_spec.bos_id
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": text, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for i, text in specials],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": proto.pieces[bos].piece, "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": proto.pieces[bos].piece, "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": proto.pieces[bos].piece, "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {proto.pieces[bos].piece: {
                "id": proto.pieces[bos].piece, "ids": [bos],
                "tokens": [proto.pieces[bos].piece]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": proto.pieces[unk].piece,
                  "continuing_subword_prefix": None, "end_of_word_suffix": None,
                  "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab,
                  "merges": [[left, right] for *_, left, right in merges]},
    }


def tokenizer_config(proto):
    """transformers reads the special tokens' names from tokenizer_config.json (so does Gyrus)."""
    name = lambda i: proto.pieces[i].piece if 0 <= i < len(proto.pieces) else None
    spec = proto.trainer_spec
    return {"tokenizer_class": "LlamaTokenizerFast", "add_bos_token": True,
            "add_eos_token": False, "bos_token": name(spec.bos_id),
            "eos_token": name(spec.eos_id), "unk_token": name(spec.unk_id),
            "pad_token": name(spec.pad_id), "legacy": True,
            "clean_up_tokenization_spaces": False}


def verify(model_path, json_path, heldout):
    sp = sentencepiece.SentencePieceProcessor(model_file=model_path)
    hf = tokenizers.Tokenizer.from_file(json_path)
    with open(heldout, encoding="utf-8") as f:
        lines = f.read().split("\n")
    lines = [line for line in lines if line]
    tokens = 0
    for number, line in enumerate(lines, 1):
        expected = sp.encode(line)
        got = hf.encode(line, add_special_tokens=False).ids
        if got != expected:
            sys.exit(f"{heldout}:{number}: ids differ\n  sentencepiece {expected}\n  tokenizers    {got}")
        with_bos = hf.encode(line).ids
        if with_bos != [sp.bos_id()] + expected:
            sys.exit(f"{heldout}:{number}: BOS not prepended: {with_bos[:3]}")
        if hf.decode(got) != sp.decode(expected):
            sys.exit(f"{heldout}:{number}: decoded text differs")
        tokens += len(expected)
    print(f"{json_path}: identical ids and decoded text on {len(lines)} held-out lines "
          f"({tokens} tokens), tokenizers {tokenizers.__version__}, "
          f"sentencepiece {sentencepiece.__version__}")


def main():
    model_path, heldout, *outputs = sys.argv[1:]
    proto = read_model(model_path)
    check_settings(proto)
    text = json.dumps(build(proto), ensure_ascii=False, indent=1) + "\n"
    config = json.dumps(tokenizer_config(proto), indent=2) + "\n"
    for out in outputs:
        with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
            f.write(text)
        with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            f.write(config)
        verify(model_path, os.path.join(out, "tokenizer.json"), heldout)


if __name__ == "__main__":
    main()
