#pragma once
// Reconstruction and sparsity metrics of an SAE on held-out activations (sae_sota.md §5.1), in
// the raw units of the activations. CE-loss recovered needs the model and lives elsewhere.

#include "core/status.h"

#include <QString>

#include <cstdint>
#include <memory>

namespace gyrus::gpu {

namespace detail {
class ActivationSource;
class SaeModule;
}  // namespace detail

struct SaeEvalMetrics
{
    int64_t tokens = 0;
    double explainedVariance = 0;  ///< 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² (x̄ over all tokens)
    double mse = 0;                ///< mean over tokens and dimensions of (x̂ − x)²
    double msePerToken = 0;       ///< mean over tokens of Σ_d (x̂ − x)²
    double normalizedMse = 0;     ///< Σ‖x − x̂‖² / Σ‖x‖²
    double l0 = 0;                ///< mean active latents per token
    double l1 = 0;                ///< mean Σ_i f_i per token
    double deadFraction = 0;      ///< latents that never fired on these tokens
    double denseFraction = 0;     ///< latents active on more than 10% of these tokens
    double cosineSimilarity = 0;  ///< mean cos(x, x̂)
};

/// Streams up to `maxTokens` rows (all when <= 0) from `source` in batches of `batchSize`
/// through `module` on `device` ("cpu", "cuda"). Fails when d_in does not match the columns.
Result<SaeEvalMetrics> evaluateSae(const detail::SaeModule &module,
                                   detail::ActivationSource &source, int64_t maxTokens = 0,
                                   int64_t batchSize = 4096,
                                   const QString &device = QStringLiteral("cpu"));

}  // namespace gyrus::gpu
