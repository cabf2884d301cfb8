#pragma once
// "Which features carry the concept?" (seed_pipeline.md §8.3–8.4, done right): one continuous
// score per feature for a two-condition item set, so rankings never rest on tied p-values.
// Torch-free.

#include "core/float_matrix.h"
#include "core/status.h"
#include "gpu/analysis/temporal_rsa.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace gyrus::gpu {

/// Scores on one pooled value per item and feature (x [items, features]). The names say what
/// each computes; "max-activation", "discriminative-rsa" and "categorical-rsa" are the names
/// these scores had before and are still accepted (see selectionMethodFromName).
enum class SelectionMethod
{
    /// |mean_A − mean_B|: how much the mean activation differs between the conditions (the
    /// corrected max-activation contrast).
    MeanDifference,
    /// |Welch t| of the feature between the conditions.
    Univariate,
    /// Pooled separation, correlation form: the Pearson correlation, over item pairs i < j,
    /// between the pooled distance d_ij = |x_i − x_j| and the model m_ij = [label_i ≠ label_j]
    /// (a point-biserial correlation). Not an RSA of patterns: each item is one number.
    PooledSeparationR,
    /// Pooled separation, standardised form:
    ///   (D̄_between − ½(D̄_within,A + D̄_within,B)) / s_pooled,
    /// with D̄ the mean of d_ij = |x_i − x_j| over between-condition pairs and over the pairs
    /// within each condition (each condition's homogeneity weighs the same whatever its size),
    /// and s_pooled the pooled SD of the between and within distances. 0 when the feature is
    /// constant. On a balanced design (n_A = n_B) it is a strictly increasing function of
    /// PooledSeparationR, so both rank features identically (docs/method_comparison.md).
    PooledSeparationD,
    /// The original project's max-activation selection (seed_pipeline.md §8.4): the largest
    /// pooled activation over all items of both conditions, blind to the condition.
    SeedMaxActivation,
    /// Temporal RSA with the discriminative model (temporal_rsa.h): the items' time courses
    /// over an aligned token window are the patterns. Needs a TemporalTable.
    TemporalDiscriminativeRsa,
    /// Temporal RSA with the categorical model: positive when condition A's (label 0) time
    /// courses are more coherent than B's. Needs a TemporalTable.
    TemporalCategoricalRsa,
    /// The original project's "discriminative RSA" (seed_pipeline.md §8.3), reproduced to show
    /// what the fixes change: Pearson r between items' whole windows (padding included),
    /// z = arctanh(1 − r) with every r ≤ 0 dropped, Student's t of z within the first condition
    /// against z between, z-scored over features. Positive t means the first condition is LESS
    /// coherent (the seed's sign). Needs a TemporalTable.
    SeedTemporalDiscriminativeRsa,
    /// The original project's "categorical RSA": the same with z within the second condition in
    /// place of z between.
    SeedTemporalCategoricalRsa,
    /// Multivariate feature-set RSA (feature_set_rsa.h): the k features are chosen together,
    /// greedily, for the match of their joint pooled-pattern RDM with the discriminative model.
    /// Selects a set rather than scoring features one at a time.
    FeatureSetRsa,
};

/// True for the methods that need each item's aligned token window (a TemporalTable).
bool isTemporalMethod(SelectionMethod method);

/// True for the methods that score pooled values one feature at a time.
bool isPooledMethod(SelectionMethod method);

/// Canonical names: "mean-difference", "univariate", "pooled-separation-r",
/// "pooled-separation-d", "seed-max-activation", "temporal-discriminative-rsa",
/// "temporal-categorical-rsa", "seed-temporal-discriminative-rsa",
/// "seed-temporal-categorical-rsa", "feature-set-rsa".
QString selectionMethodName(SelectionMethod method);

/// Canonical names, and the older names "max-activation" (mean-difference),
/// "discriminative-rsa" (pooled-separation-r) and "categorical-rsa" (pooled-separation-d).
std::optional<SelectionMethod> selectionMethodFromName(const QString &name);

/// Every pooled method's canonical name, for help texts and error messages.
QStringList pooledSelectionMethodNames();

/// Every method's canonical name (pooled, then temporal).
QStringList selectionMethodNames();

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
