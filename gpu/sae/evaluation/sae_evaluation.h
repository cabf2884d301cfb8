#pragma once
// Reconstruction and sparsity metrics of an SAE on held-out activations (sae_sota.md §5.1), in
// the raw units of the activations. CE-loss recovered needs the model and lives elsewhere.

#include "core/base/status.h"
#include "core/sae/sae_evaluation_types.h"

#include <QString>

#include <cstdint>
#include <memory>

namespace gyrus::gpu {

namespace detail {
class ActivationSource;
class SaeModule;
}  // namespace detail

/// Streams up to `maxTokens` rows (all when <= 0) from `source` in batches of `batchSize`
/// through `module` on `device` ("cpu", "cuda"). Fails when d_in does not match the columns.
Result<SaeEvalMetrics> evaluateSae(const detail::SaeModule &module,
                                   detail::ActivationSource &source, int64_t maxTokens = 0,
                                   int64_t batchSize = 4096,
                                   const QString &device = QStringLiteral("cpu"));

}  // namespace gyrus::gpu
