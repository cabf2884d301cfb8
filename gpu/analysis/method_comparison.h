#pragma once
// Which selection method finds the features that carry a concept (seed_pipeline.md §8, done
// right): k features are selected INSIDE each training fold of repeated stratified k-fold
// cross-validation, an L2 logistic regression (standardised on the training fold) predicts the
// held-out fold, and a label-permutation null says what chance looks like. Every method sees the
// same splits and the same permutations, so their results can be compared pair by pair.
// Torch-free.

#include "core/base/float_matrix.h"
#include "core/base/status.h"
#include "core/contrasts/method_score.h"
#include "gpu/analysis/feature_selection.h"

#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
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

/// One repeat (the true labels) or one permutation (permuted labels), with its folds.
struct ComparisonSplit
{
    std::vector<int64_t> labels;
    std::vector<int> fold;  ///< per item, 0 … folds − 1 (stratified by `labels`)
};

/// The splits a comparison runs, in order, drawn from one mt19937_64 seeded with options.seed:
/// `repeats` fold assignments of the true labels (each class shuffled, then dealt round-robin),
/// then `permutations` times a shuffle of the previous permutation and its fold assignment.
std::vector<ComparisonSplit> comparisonSplits(const std::vector<int64_t> &labels,
                                              const ComparisonOptions &options);

/// The comparison one split at a time (a split: one repeat, or one permutation with its own
/// folds), so that a long comparison runs in slices with progress and cancel (the engine's
/// job). Every method is scored on every split together: the statistics a fold's selection
/// needs are computed once for all methods, and a logistic model is fitted once per distinct
/// feature set. Splits of one step() run in parallel on the intra-op threads (each split's own
/// tensor work then stays on its thread), so the cores are used without oversubscribing.
class MethodComparisonRun
{
public:
    /// Checks the inputs (labels 0/1 with more than `folds` items each, finite values) and draws
    /// every split from the seed; the run keeps a copy of the table. Temporal methods need the
    /// overload below.
    static Result<MethodComparisonRun> create(const FloatMatrix &x,
                                              const std::vector<int64_t> &labels,
                                              const std::vector<SelectionMethod> &methods,
                                              const ComparisonOptions &options);
    /// On aligned token windows: temporal methods score the time courses (what a pair of items
    /// contributes is computed once here; each fold re-ranks its training pairs), every other
    /// method each item's mean over its real positions (TemporalTable::pooledMean).
    static Result<MethodComparisonRun> create(const TemporalTable &windows,
                                              const std::vector<int64_t> &labels,
                                              const std::vector<SelectionMethod> &methods,
                                              const ComparisonOptions &options);

    /// Runs up to `splits` more splits (the repeats, then the permutations). Errors end the run.
    Status step(int splits = 1);

    bool isFinished() const;
    int stepsDone() const;
    int totalSteps() const;
    /// The splits that are repeats (the first ones); the rest are permutations.
    int repeatCount() const;
    /// True once every repeat is done and the permutations are running.
    bool inPermutations() const;

    /// One score per method, in the order given to create(), once isFinished().
    std::vector<MethodScore> scores() const;

private:
    struct State;
    MethodComparisonRun() = default;
    static Result<MethodComparisonRun> createFrom(const FloatMatrix &x,
                                                  const TemporalTable *windows,
                                                  const std::vector<int64_t> &labels,
                                                  const std::vector<SelectionMethod> &methods,
                                                  const ComparisonOptions &options);
    std::shared_ptr<State> m_state;
};

/// The classifier of a method's k features fitted on every item (what the folds' classifiers
/// estimate): an L2 logistic regression on the standardised features, as in the comparison.
struct EnsembleClassifier
{
    std::vector<int64_t> features;
    std::vector<double> weights;  ///< per feature, on the standardised scale (log-odds of label 1)
    std::vector<double> means;    ///< each feature's mean over the items
    std::vector<double> sds;      ///< its standard deviation (n − 1), floored at 1e-12
    double intercept = 0;
};

/// Fits the classifier of `features` (columns of x) on all items; InvalidInput for labels that
/// are not 0/1 with both present, an empty or out-of-range feature list.
Result<EnsembleClassifier> fitEnsembleClassifier(const FloatMatrix &x,
                                                 const std::vector<int64_t> &labels,
                                                 const std::vector<int64_t> &features,
                                                 double l2 = 1.0);

/// Splits per step() that keep the intra-op threads busy while progress stays fine-grained (a few
/// per thread).
int comparisonSplitsPerStep();

/// Runs a whole comparison; `progress` (may be empty) hears (splits done, total) after each
/// step and returns false to stop (the result is then Status::cancelled()).
Result<std::vector<MethodScore>> compareSelectionMethods(
        const FloatMatrix &x, const std::vector<int64_t> &labels,
        const std::vector<SelectionMethod> &methods, const ComparisonOptions &options,
        const std::function<bool(int done, int total)> &progress = {});

/// The same on aligned token windows (MethodComparisonRun::create on a TemporalTable).
Result<std::vector<MethodScore>> compareSelectionMethods(
        const TemporalTable &windows, const std::vector<int64_t> &labels,
        const std::vector<SelectionMethod> &methods, const ComparisonOptions &options,
        const std::function<bool(int done, int total)> &progress = {});

/// One method's comparison score (compareSelectionMethods with one method). Deterministic for a
/// seed, and the same whatever other methods it is compared with.
Result<MethodScore> crossValidatedScore(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        SelectionMethod method, const ComparisonOptions &options);

}  // namespace gyrus::gpu
