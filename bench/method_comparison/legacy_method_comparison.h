#pragma once
// The method comparison as it was before it was vectorised (legacy_method_comparison.cpp).

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "gpu/analysis/method_comparison.h"

#include <vector>

namespace gyrus::bench {

/// The old per-method cross-validated score (same options and seed as the product's).
Result<MethodScore> legacyCrossValidatedScore(const FloatMatrix &x,
                                              const std::vector<int64_t> &labels,
                                              SelectionMethod method,
                                              const gpu::ComparisonOptions &options);

}  // namespace gyrus::bench
