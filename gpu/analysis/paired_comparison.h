#pragma once
// Claims as statistics, not bar heights: the difference between two methods of a comparison
// (or one method on two representations of the same items) measured on the same cross-
// validation splits, with a confidence interval and a paired test. Torch-free.
//
// The unit of resampling is the item. Each repeat of the comparison predicts every item once
// (out of fold); an item's correctness is averaged over the repeats, and the difference in
// balanced accuracy is a weighted sum of per-item differences (weight 1 / (2 n_class)), which
// equals the difference of the mean balanced accuracies exactly. The CI resamples items within
// each condition (bootstrap); the test flips the sign of each item's difference (under "the two
// methods are exchangeable for every item" each sign is equally likely).

#include "gpu/analysis/method_comparison.h"

#include <cstdint>
#include <vector>

namespace gyrus::gpu {

struct PairedOptions
{
    int bootstrap = 4000;      ///< item resamples for the interval
    int signFlips = 9999;      ///< random sign flips for the test
    double confidence = 0.95;  ///< the interval's coverage
    uint64_t seed = 0;
};

struct PairedDifference
{
    double difference = 0;  ///< mean balanced accuracy of a minus that of b (over repeats)
    double low = 0;         ///< percentile bootstrap interval over items
    double high = 0;
    double p = 1;  ///< two-sided sign-flip p: (1 + #|flipped| ≥ |observed|) / (1 + flips)
    int items = 0;
    /// Items each method got right more often than the other (over the repeats).
    int itemsBetterA = 0;
    int itemsBetterB = 0;
};

/// a − b on the same items and splits: both scores must come from comparisons of the same items
/// with the same labels, folds and seed (their repeatProbabilities line up item by item).
Result<PairedDifference> pairedDifference(const MethodScore &a, const MethodScore &b,
                                          const std::vector<int64_t> &labels,
                                          const PairedOptions &options = {});

/// Holm's step-down adjustment of a family of p-values (same order as given).
std::vector<double> holmAdjusted(const std::vector<double> &p);

}  // namespace gyrus::gpu
