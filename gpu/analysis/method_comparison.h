#pragma once
// Which selection method finds the features that carry a concept (seed_pipeline.md §8, done
// right): k features are selected INSIDE each training fold of repeated stratified k-fold
// cross-validation, an L2 logistic regression (standardised on the training fold) predicts the
// held-out fold, and a label-permutation null says what chance looks like. Torch-free.

#include "core/float_matrix.h"
#include "core/status.h"
#include "gpu/analysis/feature_selection.h"

#include <cstdint>
#include <random>
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
    double nullLow = 0;   ///< 2.5th percentile of the null balanced accuracies (mean without any)
    double nullHigh = 0;  ///< 97.5th percentile
    double p = 1;         ///< (1 + #null ≥ observed) / (1 + permutations)
};

/// crossValidatedScore() one repeat or permutation at a time, so a long comparison can run in
/// slices with progress and cancel (the engine's job). The same seed gives the same score as
/// crossValidatedScore().
class MethodComparisonRun
{
public:
    /// Checks the inputs; the run keeps copies of x and labels.
    static Result<MethodComparisonRun> create(const FloatMatrix &x,
                                              const std::vector<int64_t> &labels,
                                              SelectionMethod method,
                                              const ComparisonOptions &options);

    /// Runs the next repeat (then the next permutation). Errors end the run.
    Status step();

    bool isFinished() const { return m_done >= totalSteps(); }

    int stepsDone() const { return m_done; }

    int totalSteps() const { return m_options.repeats + m_options.permutations; }

    /// The score once isFinished().
    MethodScore score() const;

private:
    MethodComparisonRun() = default;

    FloatMatrix m_x;
    std::vector<int64_t> m_labels;
    SelectionMethod m_method = SelectionMethod::Univariate;
    ComparisonOptions m_options;
    std::mt19937_64 m_rng;
    std::vector<double> m_accuracies;
    std::vector<double> m_aucs;
    std::vector<double> m_null;
    std::vector<int64_t> m_permuted;
    int m_done = 0;
};

/// Cross-validated decoding of `labels` (0/1, each class at least `folds` items) from the k
/// features `method` selects, as described above. Deterministic for a seed.
Result<MethodScore> crossValidatedScore(const FloatMatrix &x, const std::vector<int64_t> &labels,
                                        SelectionMethod method, const ComparisonOptions &options);

}  // namespace gyrus::gpu
