#pragma once
// A text corpus as one stream of token ids, for language-model training and evaluation.
// Torch-free.

#include "core/base/status.h"
#include "gpu/model/tokenizer.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <vector>

namespace gyrus::gpu {

/// Every line of a text file encoded with BOS at its start, concatenated: the model sees each
/// sentence or paragraph begin as it will at inference (with BOS), and learns across line
/// boundaries only what BOS allows.
struct TokenCorpus
{
    QString source;               ///< the text file
    std::vector<int32_t> tokens;  ///< all ids, in file order
    qint64 lines = 0;
    qint64 words = 0;  ///< whitespace-separated, for tokens-per-word figures
};

/// Encodes `textPath` with `tokenizer`. `maxLines` > 0 stops early (tests, quick evals).
/// `progress` (fraction) may return false to cancel. Errors name the file.
Result<TokenCorpus> encodeTextFile(const QString &textPath, const Tokenizer &tokenizer,
                                   qint64 maxLines = 0,
                                   const std::function<bool(double)> &progress = {});

/// Loads token ids cached by saveTokenCache() if the cache is newer than `textPath` and was made
/// with the tokenizer of the same SHA-256; otherwise encodes and writes the cache.
Result<TokenCorpus> encodeTextFileCached(const QString &textPath, const Tokenizer &tokenizer,
                                         const QString &cachePath,
                                         const std::function<bool(double)> &progress = {});

/// Cross-entropy (nats per token) of n-gram baselines fitted on `train`, evaluated on every
/// transition of `heldout` (the first token of each line, BOS, is context only).
struct NgramBaselines
{
    double unigram = 0.0;  ///< add-one smoothed unigram
    double bigram = 0.0;   ///< bigram interpolated with the unigram (weight tuned on held-out,
                           ///< which flatters the baseline: the model must beat its best case)
    double bigramWeight = 0.0;
    qint64 evaluatedTokens = 0;
};

NgramBaselines ngramBaselines(const TokenCorpus &train, const TokenCorpus &heldout, int vocabSize,
                              int bosId);

}  // namespace gyrus::gpu
