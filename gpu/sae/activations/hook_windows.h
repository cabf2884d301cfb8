#pragma once
// Private to gyrus_gpu (and tests/gpu). The activation store's input: corpus lines cut into
// windows that each start with BOS, run through the model to one hook with the BOS rows dropped.
// Shared by the HDF5 cache (gpu/sae/activations/activation_cache.cpp) and the streaming source
// (gpu/sae/activations/streaming_activations.cpp) so that both see the same activations.

#include "core/base/status.h"
#include "gpu/lm/token_corpus.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace gyrus::gpu {
class LanguageModel;
}

namespace gyrus::gpu::detail {

/// One forward-pass input: BOS then up to contextLength − 1 tokens of one corpus line.
struct HookWindow
{
    std::vector<int> tokens;
    int32_t document = 0;       ///< the line's index among the corpus's non-empty lines
    int32_t firstPosition = 0;  ///< position of tokens[1] within the line's tokens
};

/// The corpus's lines cut into windows in file order; stops once `tokenBudget` activation rows
/// (non-BOS tokens) are covered (0: the whole corpus). Lines without tokens make no window.
std::vector<HookWindow> cutHookWindows(const TokenCorpus &corpus, int bos, int contextLength,
                                       int64_t tokenBudget);

/// Activation rows a window yields (its tokens without BOS).
inline int64_t rowsOf(const HookWindow &window)
{
    return static_cast<int64_t>(window.tokens.size()) - 1;
}

/// Runs `windows` as one batch and returns their hook activations without the BOS rows,
/// concatenated in window order: float32 [Σ rowsOf, d_model] on the CPU. Non-finite values fail,
/// naming `corpusName`, the line and the token.
Result<at::Tensor> hookRows(const LanguageModel &model, const QString &hookName,
                            const std::vector<const HookWindow *> &windows,
                            const QString &corpusName);

}  // namespace gyrus::gpu::detail
