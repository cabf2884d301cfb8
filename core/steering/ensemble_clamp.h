#pragma once
// Weighted ensemble steering (the original project's "weighted clamping", seed_pipeline.md §8.8,
// with its unit mismatch fixed): the k features a selection method found, steered together as
// one edit in proportion to the weights of the classifier that decodes the concept from them.
// The seed wrote coef · m (log-odds per standard deviation) as an activation value; here feature
// j is moved along its decoder direction by m · sd_j · w_j / max|w| — its own spread across the
// items, scaled by its relative weight — so m = 1 moves the strongest feature by one standard
// deviation towards the concept (label 1) and m < 0 away from it.

#include "core/base/status.h"
#include "core/steering/clamp_set.h"

#include <vector>

namespace gyrus {

/// One Add entry per feature (all positions); features with weight 0 are left out.
/// InvalidInput when the lists differ in length, are empty or every weight is 0.
Result<ClampSet> ensembleClampSet(const QString &name, const std::vector<int> &features,
                                  const std::vector<double> &weights,
                                  const std::vector<double> &sds, double strength);

}  // namespace gyrus
