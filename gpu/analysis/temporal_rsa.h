#pragma once
// Per-feature temporal RSA, as the original study meant it (seed_pipeline.md §8.3, done right):
// for one feature, each item's pattern is its time course over an aligned token window; the
// item × item RDM holds correlation distances between those patterns; the score is the rank
// correlation of that RDM with a model RDM. Batched over features (one chunk of features at a
// time as [features, items, positions] tensors), so it runs on the GPU too. Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"

#include <QStringList>

#include <cstdint>
#include <vector>

namespace gyrus::gpu {

/// Aligned token windows of every item: values [items, positions, features] and a mask
/// [items, positions] (1: a real token of the item, 0: padding, never part of a pattern).
struct TemporalTable
{
    int64_t items = 0;
    int64_t positions = 0;
    int64_t features = 0;
    std::vector<float> values;
    std::vector<uint8_t> mask;

    bool hasConsistentSize() const
    {
        return items >= 0 && positions >= 0 && features >= 0 &&
               int64_t(values.size()) == items * positions * features &&
               int64_t(mask.size()) == items * positions;
    }

    /// Each item's mean over its masked-in positions ([items, features]; 0 for an item with no
    /// position): what methods that need one value per item and feature use.
    FloatMatrix pooledMean() const;
};

enum class TemporalRsaModel
{
    /// Model RDM over every item pair: 0 within a condition, 1 between. The score is high when
    /// the feature's time courses are more alike within the conditions than across them.
    Discriminative,
    /// Model RDM over the pairs within a condition only: 0 within A (label 0, the concept's
    /// condition), 1 within B. The score is positive when A's time courses are more alike among
    /// themselves than B's (A is the more coherent category), negative when B's are.
    Categorical,
};

struct TemporalRsaOptions
{
    /// A pair is compared over the positions both items have (pairwise length matching: a
    /// left-aligned short item is never compared with the padding of a long one). Pairs with
    /// fewer common positions are left out of the feature's RDM, and items with fewer positions
    /// of their own are reported. At least 3: two points always correlate ±1.
    int minPositions = 3;
    /// Features per batch (memory: about 5 · batch · items² doubles).
    int64_t batchFeatures = 256;
    /// Rank with batched tensor operations even on the CPU (the path a GPU always takes; on the
    /// CPU a fused per-feature loop is faster). For tests and benchmarks: same scores.
    bool tensorRanks = false;
};

struct TemporalRsaScores
{
    /// Per feature: Spearman's rank correlation between the feature's correlation-distance RDM
    /// (1 − Pearson r between two items' time courses over their common positions) and the
    /// model RDM, over the item pairs where the distance is defined. Distances are rounded to
    /// 12 decimals before ranking, so pairs that differ only by rounding tie; ties get their
    /// average rank. A pair is undefined where either time course is constant over the common
    /// positions (correlation needs variation), or where the pair has fewer than minPositions
    /// common positions. A feature with no defined pair on one side of the model scores 0.
    std::vector<double> scores;
    /// Per feature: the item pairs that entered its rank correlation.
    std::vector<int64_t> pairsUsed;
    /// Items with fewer than minPositions positions (left out of every pair), named by index.
    QStringList notes;
};

/// Scores every feature of `table`. `labels` holds 0 (A) or 1 (B) per item, with at least two
/// items of each. Errors name the problem (shape, labels, non-finite values).
Result<TemporalRsaScores> temporalRsaScores(const TemporalTable &table,
                                            const std::vector<int64_t> &labels,
                                            TemporalRsaModel model,
                                            const TemporalRsaOptions &options = {});

}  // namespace gyrus::gpu
