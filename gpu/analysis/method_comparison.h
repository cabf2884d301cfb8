#pragma once
// Which selection method finds the features that carry a concept (seed_pipeline.md §8, done
// right): k features are selected INSIDE each training fold of repeated stratified k-fold
// cross-validation, an L2 logistic regression (standardised on the training fold) predicts the
// held-out fold, and a label-permutation null says what chance looks like. Torch-free.

#include "core/float_matrix.h"
#include "core/status.h"
#include "gpu/analysis/feature_selection.h"

#include <cstdint>
#include <vector>

namespace gyrus::gpu {

struct ComparisonOptions
{
    int folds = 5;
    int repeats = 10;
    int k = 8;               ///< features selected per fold
    double l2 = 1.0;         ///< ridge penalty on the standardised weights (not the intercept)
    int permutations = 100;  ///< label permutations for the null (each one repeat); 0: none
    uint64_t seed = 0;
};

struct MethodScore
{
    SelectionMethod method = SelectionMethod::Univariate;
    double balancedAccuracy = 0;      ///< mean over repeats of the out-of-fold balanced accuracy
    double balancedAccuracyLow = 0;   ///< 2.5th percentile over repeats
    double balancedAccuracyHigh = 0;  ///< 97.5th percentile over repeats
    double auc = 0;
    double aucLow = 0;
    double aucHigh = 0;
    double nullMean = 0;  ///< mean balanced accuracy under permuted labels
    double p = 1;         ///< (1 + #null ≥ observed) / (1 + permutations)
};

/// Cross-validated decoding of `labels` (0/1, each class at least `folds` items) from the k
/// features `method` selects, as described above. Deterministic for a seed.
Result<MethodScore> crossValidatedScore(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        SelectionMethod method, const ComparisonOptions &options);

}  // namespace gyrus::gpu
