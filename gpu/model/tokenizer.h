#pragma once
// The tokenizer of a model, with token-to-character alignment: a Hugging Face tokenizer.json
// (or GPT-2's vocab.json + merges.txt) through core/tokenizer's engine, or a sentencepiece
// tokenizer.model; and the sentencepiece BPE trainer. Torch-free; sentencepiece stays behind the
// pimpl.

#include "core/base/status.h"

#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>
#include <optional>

namespace gyrus::gpu {

/// Token ids of a text and, for each token, the characters it covers.
struct Encoding
{
    /// [begin, end) in UTF-16 code units of the encoded QString (QString::mid(begin, end -
    /// begin) is the token's text). BOS gets the empty span [0, 0). Byte-fallback tokens that
    /// split one character share that character's span.
    struct Span
    {
        int begin = 0;
        int end = 0;
    };

    QVector<int> ids;
    QVector<Span> spans;  ///< one per id
};

class Tokenizer
{
public:
    Tokenizer();  ///< an empty tokenizer (vocabSize() == 0); use load()

    /// Loads a tokenizer: a model directory (its tokenizer.json, else tokenizer.model, else
    /// vocab.json + merges.txt), a tokenizer.json (its tokenizer_config.json beside it gives
    /// add_bos_token/add_eos_token and the BOS/EOS tokens), a sentencepiece tokenizer.model, or
    /// GPT-2's vocab.json (merges.txt beside it; encoder.json + vocab.bpe also work). Errors name
    /// the file (and the JSON path): missing, unreadable, malformed, unsupported.
    static Result<Tokenizer> load(const QString &path);

    /// The file load() would read in `directory`, or "" when it has no tokenizer.
    static QString findInDirectory(const QString &directory);

    /// Encodes `text` with the tokenizer's own normalisation. `addBos`: sentencepiece prepends
    /// BOS; a Hugging Face tokenizer applies its post-processor (BOS/EOS as the file says).
    Encoding encode(const QString &text, bool addBos) const;

    /// TransformerLens's BOS rule in place of the tokenizer's own, for the SAE the activations
    /// feed (its cfg's prepend_bos): encode(text, true) then encodes without special tokens and
    /// puts BOS first when `prepend` is true (GPT-2, Pythia and Qwen add none of their own).
    /// nullopt restores the tokenizer's rule. encode(text, false) is unchanged. `bos` is the id
    /// to put first when the tokenizer names none (config.json's bos_token_id).
    void setPrependBos(std::optional<bool> prepend, int bos = -1)
    {
        m_prependBos = prepend;
        m_ruleBosId = bos;
    }

    std::optional<bool> prependBos() const { return m_prependBos; }

    /// Text of the ids; control/special tokens (BOS/EOS/PAD) produce nothing, byte pieces are
    /// reassembled into UTF-8.
    QString decode(const QVector<int> &ids) const;

    /// The piece for display: "▁" or a byte-level "Ġ" shown as a space, a byte-level line break
    /// as "⏎", byte pieces as "<0xE2>", control and unknown tokens as their piece ("<s>",
    /// "<|begin_of_text|>", "<unk>"). Out of range: "".
    QString displayPiece(int id) const;

    /// The raw piece as the vocabulary spells it ("▁the", "Ġthe", "<0x0A>", "<s>"). Out of
    /// range: "".
    QString pieceToString(int id) const;

    /// The id of a piece, or unkId() when the vocabulary has no such piece.
    int pieceToId(const QString &piece) const;

    bool isByte(int id) const;

    bool isControl(int id) const;

    int vocabSize() const;

    int bosId() const;  ///< -1 when the model has none

    /// "sentencepiece", "tokenizer.json" or "vocab.json+merges.txt" ("" when empty).
    QString kind() const;

    int eosId() const;

    int unkId() const;

    int padId() const;

    /// The file it was loaded from.
    QString path() const;

private:
    Encoding encodeOwnRule(const QString &text, bool addBos) const;

    struct Impl;
    std::shared_ptr<const Impl> m_impl;
    std::optional<bool> m_prependBos;
    int m_ruleBosId = -1;
};

/// Options of a Llama-style BPE tokenizer: byte fallback, digits split, identity normalisation
/// (so token spans map onto the user's text), unk=0, bos=1, eos=2, no pad. Deterministic for
/// the same inputs and options: one thread, a fixed seed.
struct TokenizerTrainOptions
{
    QStringList inputFiles;  ///< plain text, one sentence (or paragraph) per line
    QString modelPrefix;     ///< writes <modelPrefix>.model and <modelPrefix>.vocab
    int vocabSize = 8000;
    double characterCoverage = 0.9995;
    bool byteFallback = true;
    int inputSentenceSize = 2000000;  ///< lines sampled from the input; 0 = all
    int maxSentenceLength = 16384;    ///< bytes; longer lines are skipped
    unsigned int seed = 42;
    int numThreads = 1;  ///< > 1 is faster but may change the result
};

/// Trains a sentencepiece BPE model with `options`. Errors: no input, unreadable input, vocab
/// size too small for the characters and bytes, trainer failures (message passed on).
Status trainSentencepieceBpe(const TokenizerTrainOptions &options);

}  // namespace gyrus::gpu
