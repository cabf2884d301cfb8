#pragma once
// How well one selection method's k features decode a concept under repeated cross-validation
// (gpu/analysis/method_comparison.h computes it; docs/method_comparison.md). Plain values: the
// Contrasts dock's comparison rows are these scores plus the features chosen on all items.

#include "core/base/vocabulary.h"

#include <QString>

#include <vector>

namespace gyrus {

struct MethodScore
{
    SelectionMethod method = SelectionMethod::MeanDifference;
    double balancedAccuracy = 0;      ///< mean over repeats of the out-of-fold balanced accuracy
    double balancedAccuracyLow = 0;   ///< 2.5th percentile over repeats
    double balancedAccuracyHigh = 0;  ///< 97.5th percentile over repeats
    double auc = 0;
    double aucLow = 0;
    double aucHigh = 0;
    double nullMean = 0;  ///< mean balanced accuracy under permuted labels
    double nullLow = 0;   ///< 2.5th percentile of the null balanced accuracies (mean without any)
    double nullHigh = 0;  ///< 97.5th percentile
    double p = 1;         ///< (1 + #null ≥ observed) / (1 + permutations)
    /// The balanced accuracy and AUC of each repeat, in split order (for paired comparisons).
    std::vector<double> repeatAccuracies;
    std::vector<double> repeatAucs;
    /// Each repeat's out-of-fold probability of label 1 per item (item order of the table), for
    /// paired comparisons item by item (paired_comparison.h).
    std::vector<std::vector<double>> repeatProbabilities;
    /// The null balanced accuracy of each permutation, in permutation order.
    std::vector<double> nullAccuracies;
    /// An earlier method of the same comparison that chose the same k features as this one in
    /// every fold of every repeat and permutation, so every number above is its number too (it
    /// was computed once); empty when there is none.
    QString sameSelectionsAs;
};

}  // namespace gyrus
