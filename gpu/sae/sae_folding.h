#pragma once
// Private to gyrus_gpu (and tests/gpu): SaeModule's folds (foldInputScale, foldDecoderNorms)
// applied to the weights in place, for a loader that holds the only copy: a folded clone of a
// 262k x 4096 bf16 SAE would be another 4.3 GB at its load's peak.

#include "gpu/sae/sae_module.h"

namespace gyrus::gpu::detail {

/// SaeModule::foldInputScale(scale) on `weights` in place.
void foldInputScaleInPlace(SaeWeights &weights, double scale);

/// SaeModule::foldDecoderNorms() on `weights` in place.
void foldDecoderNormsInPlace(SaeWeights &weights);

}  // namespace gyrus::gpu::detail
