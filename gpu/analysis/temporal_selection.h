#pragma once
// Private to gyrus_gpu: temporal RSA scores of many training sets drawn from one table, as the
// folds of a method comparison need them. Everything a pair of items contributes (its
// correlation distance, whether it is defined) depends on the two items only, never on the
// labels or on the other items, so it is computed once per table; a fold then only re-ranks the
// pairs of its training items (one walk over each feature's presorted pairs). Torch-free.

#include "core/base/status.h"
#include "gpu/analysis/temporal_rsa.h"

#include <cstdint>
#include <vector>

namespace gyrus::gpu::detail {

/// Per feature, the item pairs whose correlation distance is defined (temporal_rsa.h), sorted by
/// that distance (rounded to 12 decimals, as temporalRsaScores ranks it).
struct TemporalPairOrders
{
    int64_t items = 0;
    int64_t features = 0;
    std::vector<int32_t> first;   ///< per pair index (i < j, row-major): i
    std::vector<int32_t> second;  ///< j
    /// Feature f's sorted pairs are entries[offsets[f] … offsets[f + 1]); an entry is a pair
    /// index, with kTiesWithPrevious set when its distance equals the previous entry's.
    std::vector<int64_t> offsets;
    std::vector<uint32_t> entries;
    static constexpr uint32_t kTiesWithPrevious = 0x80000000u;
};

/// Builds the orders (batched tensor maths for the distances, a sort per feature). Errors as
/// temporalRsaScores gives them for the table itself.
Result<TemporalPairOrders> temporalPairOrders(const TemporalTable &table,
                                              const TemporalRsaOptions &options = {});

/// What one pair is to a fold's two temporal models: bit 0 the discriminative model counts it
/// (both items in the training set), bit 1 its discriminative model value is 1 (between
/// conditions); bit 2 the categorical model counts it (both in training, same condition), bit 3
/// its categorical value is 1 (within B).
std::vector<uint8_t> temporalPairCodes(const TemporalPairOrders &orders,
                                       const std::vector<uint8_t> &inTraining,
                                       const std::vector<int64_t> &labels);

/// Spearman scores of every feature for the pairs `codes` selects (discriminative and/or
/// categorical, per the pointers that are not null; each gets `features` values). Equal to
/// temporalRsaScores on the same items and labels.
void temporalFoldScores(const TemporalPairOrders &orders, const std::vector<uint8_t> &codes,
                        double *discriminative, double *categorical);

/// The original project's per-pair quantities (seed_pipeline.md §8.3): Pearson r of two items'
/// time courses over every position of the window (its windows have no mask), transformed as
/// z = arctanh(1 − clip(r, −.999, .999)), NaN where that is not finite (r ≤ 0: the seed drops
/// those pairs).
struct SeedPairTransforms
{
    int64_t items = 0;
    int64_t features = 0;
    int64_t positions = 0;
    std::vector<double> z;        ///< [features, pairs]
    std::vector<uint8_t> flat;    ///< [features, items]: the time course is constant
    std::vector<double> sums;     ///< [features, items]: Σ over positions
    std::vector<double> squares;  ///< [features, items]: Σ of squares over positions
};

Result<SeedPairTransforms> seedPairTransforms(const TemporalTable &table);

/// The seed's t statistics for the items flagged in `inTraining` with `labels` (0: its set 1):
/// Student's t of z(within set 1) against z(between) (discriminative) or z(within set 2)
/// (categorical); 0 for a feature whose values there have SD < 1e-9, that has a constant time
/// course there (a NaN in its correlation matrix), or whose t is not finite. Then z-scored over
/// features (population SD) when that SD exceeds 1e-9, as the seed did.
/// seedFoldScores gives both models in one pass (each pointer not null gets `features` values).
void seedFoldScores(const SeedPairTransforms &transforms, const std::vector<uint8_t> &inTraining,
                    const std::vector<int64_t> &labels, double *discriminative,
                    double *categorical);
std::vector<double> seedTemporalScores(const SeedPairTransforms &transforms,
                                       const std::vector<uint8_t> &inTraining,
                                       const std::vector<int64_t> &labels, TemporalRsaModel model);

}  // namespace gyrus::gpu::detail
