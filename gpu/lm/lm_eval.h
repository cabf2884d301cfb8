#pragma once
// Held-out cross-entropy of a loaded language model. Torch-free.

#include "core/base/status.h"
#include "gpu/lm/token_corpus.h"

namespace gyrus::gpu {

class LanguageModel;

/// Mean cross-entropy (nats/token) of `model` on `corpus` cut into consecutive windows of
/// contextLength + 1 tokens (at most `maxSequences`; 0 = all), BOS targets excluded: the same
/// windows and rule as LmTrainer::heldoutLoss, so the numbers compare.
Result<double> languageModelCrossEntropy(const LanguageModel &model, const TokenCorpus &corpus,
                                         int contextLength, int maxSequences = 0);

}  // namespace gyrus::gpu
