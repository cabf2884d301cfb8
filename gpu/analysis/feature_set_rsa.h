#pragma once
// Multivariate (feature-set) RSA selection: instead of scoring features one at a time, choose
// the set of k features whose joint pattern geometry best matches the design. Each item's
// pattern is its vector of (standardised) pooled values over the set; the set's RDM holds the
// Euclidean distances between those vectors; its score is the Pearson correlation of that RDM
// with the discriminative model RDM (0 within a condition, 1 between) over every item pair.
// Sets are grown greedily (forward selection) from a candidate pool: the features that score
// best one at a time (pooled-separation-r, which is this score for a set of one). Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"

#include <cstdint>
#include <vector>

namespace gyrus::gpu {

struct FeatureSetSelection
{
    std::vector<int64_t> features;  ///< in the order they joined the set
    std::vector<double> setScores;  ///< the set's RDM–model correlation after each addition
};

/// How many single-feature best candidates the greedy search considers for a set of k.
int featureSetCandidateCount(int64_t k, int64_t features);

/// Greedy feature-set RSA over the rows `rows` of `x` ([items, cols] row-major float64), each
/// column standardised over those rows; `labels` per item of x (0/1); `candidates` the columns
/// it may choose from. Ties go to the earlier candidate.
FeatureSetSelection featureSetRsa(const std::vector<double> &x, int64_t cols,
                                  const std::vector<int64_t> &rows,
                                  const std::vector<int64_t> &labels,
                                  const std::vector<int64_t> &candidates, int64_t k);

/// The whole procedure on every item of `x`: candidates are the best by pooled-separation-r.
Result<FeatureSetSelection> featureSetRsaSelection(const FloatMatrix &x,
                                                   const std::vector<int64_t> &labels, int64_t k);

}  // namespace gyrus::gpu
