#pragma once

#include "core/base/status.h"
#include "core/base/vocabulary.h"
#include "core/rsa/rdm.h"
#include "core/rsa/rsa_comparison.h"

#include <QString>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace gyrus::gpu {

struct RsaOptions
{
    RsaMethod method = RsaMethod::Spearman;
    /// Item-label permutations; 0: no p-value. p = (k + 1) / (permutations + 1), k the number
    /// of permutations at least as extreme (the observed labelling counts once).
    int64_t permutations = 10000;
    uint64_t seed = 0;
    RsaAlternative alternative = RsaAlternative::Greater;
    /// Bootstrap resamples of the items for a percentile confidence interval; 0: none.
    int64_t bootstraps = 0;
    double ciLevel = 0.95;
    /// Spearman/Pearson permutations as batched tensor gathers even on the CPU (the path a GPU
    /// always takes; on the CPU a fused loop is faster). For tests and benchmarks.
    bool batchedTensorPermutations = false;
};

/// Compares two RDMs over the same stimuli (same ids, same order). Inference follows seed
/// defect 12's fix: the null distribution permutes the ITEM labels of `b` (its rows and columns
/// together, a Mantel test), never the pairs, because pairs that share an item are dependent.
/// Spearman and Pearson permutations are batched gathers plus one matrix–vector product on the
/// analysis device; Kendall's τ-a uses Knight's O(P log P) algorithm per permutation on the CPU
/// threads (the tensor form is O(P²) per permutation). The bootstrap resamples items with
/// replacement and drops the self-pairs of duplicated items.
Result<RsaComparison> compareRdms(const Rdm &a, const Rdm &b, const RsaOptions &options = {});

/// compareRdms() in steps, for callers that must stay responsive between slices of work (the
/// engine): the same numbers as compareRdms() with the same options, whatever the step sizes.
class RsaComparisonRun
{
public:
    /// Checks the pair and computes the observed statistic.
    static Result<std::unique_ptr<RsaComparisonRun>> start(const Rdm &a, const Rdm &b,
                                                           const RsaOptions &options);
    ~RsaComparisonRun();
    RsaComparisonRun(const RsaComparisonRun &) = delete;
    RsaComparisonRun &operator=(const RsaComparisonRun &) = delete;

    /// Runs up to `permutations` more permutations, then up to `bootstraps` more bootstrap
    /// resamples once the permutations are done. True when everything is done.
    bool step(int64_t permutations = 1024, int64_t bootstraps = 16);
    bool isFinished() const;
    /// Share of the permutations and resamples done, in [0, 1].
    double progress() const;
    /// The comparison so far (complete once isFinished()).
    RsaComparison result() const;

private:
    struct State;
    explicit RsaComparisonRun(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

/// The correlation of two equally long vectors (upper triangles) by `method`; fails when either
/// is constant or they differ in length.
Result<double> vectorCorrelation(const std::vector<float> &a, const std::vector<float> &b,
                                 RsaMethod method);

/// The statistic under each item permutation of `b` used by compareRdms (same seed, same
/// order): for tests and for plotting the null distribution.
Result<std::vector<double>> permutationNull(const Rdm &a, const Rdm &b, const RsaOptions &options);

/// The `count` item permutations of 0 … n−1 drawn from `seed` (mt19937_64, Fisher–Yates, so
/// the sequence is the same on every platform and device).
std::vector<std::vector<int64_t>> itemPermutations(int64_t n, int64_t count, uint64_t seed);

}  // namespace gyrus::gpu
