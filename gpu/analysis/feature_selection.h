#pragma once
// "Which features carry the concept?" (seed_pipeline.md §8.3–8.4, done right): one continuous
// score per feature for a two-condition item set, so rankings never rest on tied p-values.
// Torch-free.

#include "core/float_matrix.h"
#include "core/status.h"

#include <QString>

#include <optional>
#include <vector>

namespace gyrus::gpu {

enum class SelectionMethod
{
    /// |mean_A − mean_B|: the max-activation contrast.
    MaxActivation,
    /// |Welch t| of the feature between the conditions.
    Univariate,
    /// Discriminative RSA: the Pearson correlation, over item pairs i < j, between the feature's
    /// item RDM d_ij = |x_i − x_j| and the categorical model RDM m_ij = [label_i ≠ label_j]. High
    /// when the feature separates the conditions (a point-biserial correlation).
    DiscriminativeRsa,
    /// Categorical RSA: how much farther apart items of different conditions are than items of
    /// the same condition, in units of the spread of the feature's distances:
    ///   (D̄_between − ½(D̄_within,A + D̄_within,B)) / s_pooled,
    /// with D̄ the mean of d_ij = |x_i − x_j| over between-condition pairs and over the pairs
    /// within each condition (each condition's homogeneity weighs the same whatever its size),
    /// and s_pooled the pooled SD of the between and within distances. 0 when the feature is
    /// constant.
    CategoricalRsa,
};

/// "max-activation", "univariate", "discriminative-rsa", "categorical-rsa".
QString selectionMethodName(SelectionMethod method);
std::optional<SelectionMethod> selectionMethodFromName(const QString &name);

/// One score per feature of x [items, features] (higher: carries the condition more); `labels`
/// holds 0 or 1 per item, at least two items in each. Errors name the problem.
Result<std::vector<double>> featureScores(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                          SelectionMethod method);

/// The `k` best features by score, best first (ties by the lower index).
std::vector<int64_t> topFeatures(const std::vector<double> &scores, int64_t k);

}  // namespace gyrus::gpu
