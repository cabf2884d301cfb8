#pragma once
// What `gyrus-cli compare-methods`, `gyrus-cli replicate` and the Contrasts dock's replication
// report share: a finished method comparison as rows (with the features chosen on all items) and
// as JSON, the original project's six combinations (seed_pipeline.md §8.1) and the paired
// differences that make its three claims testable. Torch-free.

#include "core/base/float_matrix.h"
#include "gpu/analysis/method_comparison.h"
#include "gpu/analysis/paired_comparison.h"
#include "gpu/analysis/temporal_rsa.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace gyrus::gpu {

struct ComparisonRow
{
    QString representation;  ///< "raw" or "sae"
    QString version;         ///< "corrected" or "seed" (the original project's formulas)
    QString combination;     ///< the original project's name for it, when it has one
    MethodScore score;
    /// The k features the method picks on every item (what the seed reported as its selection;
    /// the comparison itself selects inside each training fold).
    std::vector<int64_t> selectedOnAllItems;
};

/// The rows of a finished comparison of `scores` on the table `x` (each item's window mean when
/// there are windows) or `windows` (when it has items), with each method's k features chosen on
/// every item and the original project's name of the combination.
Result<std::vector<ComparisonRow>> comparisonRows(const std::vector<MethodScore> &scores,
                                                  const FloatMatrix &x,
                                                  const TemporalTable &windows,
                                                  const std::vector<int64_t> &labels,
                                                  const QString &representation,
                                                  const QString &version, int k);

QJsonObject comparisonRowJson(const ComparisonRow &row);

/// The original project's six combinations {RSA-discriminative, RSA-categorical,
/// max-activation} × {SAE, raw}: their names, the seed's formula and the corrected one.
struct SeedCombination
{
    QString name;  ///< e.g. "RSA_SAE_discriminative"
    bool sae = false;
    SelectionMethod seedMethod;
    SelectionMethod correctedMethod;
};

const std::vector<SeedCombination> &seedCombinations();

/// The seed's window: left-first, D = 50 positions, zero-padded (seed_pipeline.md §4.2, §8.2).
constexpr int kSeedWindow = 50;

/// One paired difference between two rows, as JSON (difference, CI, p, items better each way).
struct ClaimTest
{
    QString claim;  ///< what it tests, in words
    QString a;      ///< "representation/method" of the minuend
    QString b;
    PairedDifference difference;
    double holmP = 1;  ///< adjusted over the family it was tested in
    bool primary = false;
};

QJsonObject claimTestJson(const ClaimTest &test);

/// The row of `representation`/`method`/`version` in `rows`, or null.
const ComparisonRow *findRow(const std::vector<ComparisonRow> &rows, const QString &representation,
                             SelectionMethod method, const QString &version);

}  // namespace gyrus::gpu
