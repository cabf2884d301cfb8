#pragma once
// "Which features carry the concept?" (seed_pipeline.md §8.3–8.4, done right): one continuous
// score per feature for a two-condition item set, so rankings never rest on tied p-values.
// Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "gpu/analysis/temporal_rsa.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace gyrus::gpu {

// SelectionMethod, isTemporalMethod and isPooledMethod are in core/base/vocabulary.h.

/// One score per feature of x [items, features] (higher: carries the condition more); `labels`
/// holds 0 or 1 per item, at least two items in each. Errors name the problem (a temporal
/// method needs the overload below).
Result<std::vector<double>> featureScores(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                          SelectionMethod method);

/// One score per feature of aligned token windows: temporal methods score the time courses,
/// the others each item's mean over its real positions (TemporalTable::pooledMean).
Result<std::vector<double>> featureScores(const TemporalTable &table,
                                          const std::vector<int64_t> &labels,
                                          SelectionMethod method);

/// The `k` best features by score, best first (ties by the lower index; NaN last).
std::vector<int64_t> topFeatures(const std::vector<double> &scores, int64_t k);

}  // namespace gyrus::gpu
