#pragma once
// Steering with a clamp set: generation, the next-token distribution and feature ranges
// on a prompt, with the SAE splice of clamp_splice.h. The engine's steering requests and
// `gyrus-cli generate --clamp` both call these, so the GUI and the CLI give the same output for
// the same settings. Torch-free.

#include "core/base/status.h"
#include "core/steering/clamp_set.h"
#include "core/steering/interventions.h"
#include "core/steering/steering_types.h"
#include "gpu/model/language_model.h"

#include <QList>

#include <memory>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// Generates a continuation of `prompt` with `clamps` spliced in at the SAE's hook through
/// prefill and every decode step, positions scoped by the prompt's length (BOS never edited),
/// and `interventions` (head ablations, steering vectors) at every position after BOS.
/// Without an enabled clamp the SAE is not needed (`sae` may be null); with neither clamps nor
/// interventions it runs the plain model.
Result<GenerateResult> generateClamped(const LanguageModel &model,
                                       const std::shared_ptr<const detail::SaeModule> &sae,
                                       const ClampSet &clamps, const QString &prompt,
                                       const GenerateOptions &options,
                                       const TokenCallback &callback = {},
                                       const Interventions &interventions = {});

/// log p(token | prompt) over the vocabulary for the token after `promptTokens`, with `clamps`
/// applied to the prompt's positions that they cover and `interventions` after BOS (float32,
/// one per vocabulary entry).
Result<std::vector<float>> nextTokenLogProbabilities(
        const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
        const ClampSet &clamps, const std::vector<int> &promptTokens,
        const Interventions &interventions = {});

/// `interventions` with every steering vector that names a ConceptSource and has no direction
/// yet given its concept vector (conceptVector() at the vector's hook; label "A − B"). Errors:
/// those of conceptVector() (an unknown side, a side without items, an unknown hook or pooling).
Result<Interventions> withConceptVectors(const LanguageModel &model,
                                         const Interventions &interventions);

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
