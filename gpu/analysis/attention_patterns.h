#pragma once
// Attention patterns of a prompt: per layer, each head's attention probabilities (query ×
// key), exactly those the forward averages the values with: the family's scale, soft-cap
// (Gemma-2), sliding window (Mistral, Gemma, Qwen) and causal mask included. The engine and
// `gyrus-cli attention` call it. Torch-free.

#include "core/base/status.h"
#include "gpu/model/language_model.h"

#include <QList>

#include <vector>

namespace gyrus::gpu {

struct AttentionPatterns
{
    std::vector<int> tokens;
    std::vector<int> layers;            ///< which layers, in order
    std::vector<FloatTensor> patterns;  ///< per layer [heads, queries, keys]; rows sum to 1
};

/// The patterns of `layers` (empty: every layer).
Result<AttentionPatterns> attentionPatterns(const LanguageModel &model,
                                            const std::vector<int> &tokens,
                                            const QList<int> &layers = {});

}  // namespace gyrus::gpu
