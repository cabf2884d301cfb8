#pragma once
// Steering with a clamp set (issue 8): generation, the next-token distribution and feature ranges
// on a prompt, with the SAE splice of clamp_splice.h. The engine's steering requests and
// `gyrus-cli generate --clamp` both call these, so the GUI and the CLI give the same output for
// the same settings. Torch-free.

#include "core/clamp_set.h"
#include "core/status.h"
#include "core/steering_types.h"
#include "gpu/model/language_model.h"

#include <QList>

#include <memory>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// Generates a continuation of `prompt` with `clamps` spliced in at the SAE's hook through
/// prefill and every decode step, positions scoped by the prompt's length (BOS never edited).
/// An empty set (no enabled clamp) runs the plain model: `sae` may then be null.
Result<GenerateResult> generateClamped(const LanguageModel &model,
                                       const std::shared_ptr<const detail::SaeModule> &sae,
                                       const ClampSet &clamps, const QString &prompt,
                                       const GenerateOptions &options,
                                       const TokenCallback &callback = {});

/// log p(token | prompt) over the vocabulary for the token after `promptTokens`, with `clamps`
/// applied to the prompt's positions that they cover (float32, one per vocabulary entry).
Result<std::vector<float>> nextTokenLogProbabilities(
        const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
        const ClampSet &clamps, const std::vector<int> &promptTokens);

/// KL(p ‖ q) in nats from two log-probability vectors of equal length (summed in double).
double klDivergence(const std::vector<float> &logP, const std::vector<float> &logQ);

/// The union of the `top` likeliest tokens before and after, with both probabilities, and KL.
NextTokenShift compareNextToken(const std::vector<float> &before, const std::vector<float> &after,
                                int top, const Tokenizer &tokenizer);

/// Minimum, maximum (BOS excluded) and last-token value of `features` over `promptTokens`.
Result<FeatureRanges> featureRangesOnPrompt(const LanguageModel &model,
                                            const detail::SaeModule &sae,
                                            const std::vector<int> &promptTokens,
                                            const QList<int> &features);

}  // namespace gyrus::gpu
